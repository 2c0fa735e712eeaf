import { HttpError } from './HttpError.ts';

/**
 * At most `slots` grades run at once (the server's `--concurrency`) and at most `maxWaiting` wait for a slot
 * (`--queue`); beyond that a request is refused at once with 429 rather than left to time out in a trainer's
 * client. A job declares how many grades it holds (a batch: one per submission) and runs once it can take
 * `min(weight, slots)` slots, first come first served.
 *
 * @example
 * const queue = new GradeQueue(2, 64);
 * const result = await queue.run(1, () => gradeWorkspace(spec, dir));
 */
export class GradeQueue {
  readonly slots: number;
  readonly maxWaiting: number;
  #free: number;
  #waitingGrades = 0;
  #running = 0;
  readonly #waiters: { readonly need: number; readonly weight: number; readonly start: () => void }[] = [];
  readonly #idle: (() => void)[] = [];

  constructor(slots: number, maxWaiting: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a whole number ≥ 1, got ${slots}`);
    this.slots = slots;
    this.maxWaiting = maxWaiting;
    this.#free = slots;
  }

  /** Grades waiting for a slot. */
  get depth(): number {
    return this.#waitingGrades;
  }

  /** Jobs holding slots. */
  get running(): number {
    return this.#running;
  }

  /** Throws the 429 that `run(weight, …)` would throw now (for a caller that must decide before it answers). */
  admit(weight: number): void {
    const need = Math.max(1, Math.min(weight, this.slots));
    const mustWait = this.#waiters.length > 0 || this.#free < need;
    if (mustWait && this.#waitingGrades + weight > this.maxWaiting) {
      throw new HttpError(429, `the grading queue is full (${this.#waitingGrades} grades waiting, --queue ${this.maxWaiting}); retry later`, { 'retry-after': '1' });
    }
  }

  /**
   * Run `job` once it holds `min(weight, slots)` slots (it receives how many). Throws HttpError 429 with a
   * `Retry-After` when the waiting grades would exceed `maxWaiting`.
   */
  async run<T>(weight: number, job: (slots: number) => Promise<T>): Promise<T> {
    this.admit(weight);
    const need = Math.max(1, Math.min(weight, this.slots));
    if (this.#waiters.length > 0 || this.#free < need) {
      this.#waitingGrades += weight;
      await new Promise<void>((resolve) => this.#waiters.push({ need, weight, start: resolve }));
      this.#waitingGrades -= weight;
    } else {
      this.#free -= need;
      this.#running++;
    }
    try {
      return await job(need);
    } finally {
      this.#running--;
      this.#free += need;
      this.#wake();
    }
  }

  /** Resolves once no job holds a slot and none waits. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#waiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #wake(): void {
    // First come first served: a batch at the head is not overtaken by single grades behind it.
    for (let head = this.#waiters[0]; head !== undefined && head.need <= this.#free; head = this.#waiters[0]) {
      this.#waiters.shift();
      this.#free -= head.need;
      this.#running++;
      head.start();
    }
    if (this.#running === 0 && this.#waiters.length === 0) for (const done of this.#idle.splice(0)) done();
  }
}
