import { RltaskError } from '../errors.ts';
import { InputFile } from './_inputFile.ts';
import { registerSandboxOwner, Sandbox, type SandboxOptions } from './Sandbox.ts';

export interface SandboxPoolOptions {
  /** Children kept started and ready ahead of demand (at least 1). */
  readonly size: number;
  /**
   * Stop starting children ahead of demand once this many have been started in all (e.g. the number of
   * submissions in a batch, so that no child is started for nothing); `take()` still starts one on demand.
   * Default: no limit.
   */
  readonly limit?: number;
  /** How a child is started (default `Sandbox.start`). */
  readonly start?: (options: SandboxOptions) => Promise<Sandbox>;
  /**
   * Share the properties' cached inputs through one file that every child of the pool reads (see
   * `_inputFile.ts`), instead of writing them into every child's channel: for a batch graded with one seed,
   * whose inputs are the same for every submission. The pool opens the file and `close()` closes it. Default
   * false (also when the machine has no such file: the inputs then go through the channel).
   */
  readonly shareInputs?: boolean;
}

/**
 * Pre-started sandboxes, so that starting a child (a fresh `node` under every isolation layer) is off a
 * grade's critical path. A child is handed out once and never comes back — one submission per child, exactly as
 * without a pool — and taking one starts its replacement while the taker works.
 *
 * `killAllSandboxes()` stops every pool from starting more children before it kills them all, so a signal
 * handler leaves no child behind.
 *
 * @example
 * const pool = new SandboxPool(sandboxOptions(spec), { size: 2, limit: dirs.length });
 * try { const sandbox = await pool.take(); … await sandbox.dispose(); } finally { await pool.close(); }
 */
export class SandboxPool {
  readonly #options: SandboxOptions;
  readonly #size: number;
  #limit: number;
  readonly #start: (options: SandboxOptions) => Promise<Sandbox>;
  readonly #unregister: () => void;
  /** Idle children in start order (oldest first, most likely ready). */
  #idle: Promise<Sandbox>[] = [];
  /** Every child this pool started, taken or not, until it is gone (for `kill`). */
  readonly #all = new Set<Promise<Sandbox>>();
  #started = 0;
  #closed = false;
  readonly #inputFile: InputFile | null;

  constructor(options: SandboxOptions, pool: SandboxPoolOptions) {
    this.#inputFile = pool.shareInputs === true ? InputFile.open() : null;
    this.#options = this.#inputFile === null ? options : { ...options, inputFile: this.#inputFile };
    this.#size = Math.max(1, Math.floor(pool.size));
    this.#limit = pool.limit ?? Number.POSITIVE_INFINITY;
    this.#start = pool.start ?? Sandbox.start;
    this.#unregister = registerSandboxOwner({ stop: () => this.#stop() });
    this.#fill();
  }

  /** Children started so far (taken, idle or gone). */
  get started(): number {
    return this.#started;
  }

  /** Children started and not yet taken (some may still be starting). */
  get idle(): number {
    return this.#idle.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #launch(): Promise<Sandbox> {
    this.#started++;
    const p = this.#start(this.#options);
    this.#all.add(p);
    // An idle child that fails to start is reported to whoever takes it; until then the rejection is expected.
    p.then(
      (s) => s.finished.then(() => this.#all.delete(p)),
      () => this.#all.delete(p),
    );
    return p;
  }

  #fill(): void {
    while (!this.#closed && this.#idle.length < this.#size && this.#started < this.#limit) this.#idle.push(this.#launch());
  }

  /**
   * One child fewer will be needed than the limit said (e.g. a submission of the batch that its static checks
   * already decided): lowers the limit by one, so that no child is pre-started for it.
   */
  forgo(): void {
    this.#limit = Math.max(0, this.#limit - 1);
  }

  /**
   * A ready child that nobody else has had; its replacement starts now. The caller owns it and must `dispose()`
   * it. Rejects with E_INTERNAL when the pool is closed or a child cannot be started.
   */
  async take(): Promise<Sandbox> {
    // A child that died while idle (killed from outside, out of memory) is discarded; give up after a few.
    for (let attempt = 0; attempt <= this.#size + 1; attempt++) {
      if (this.#closed) throw new RltaskError('E_INTERNAL', 'the sandbox pool is closed');
      const next = this.#idle.shift() ?? this.#launch();
      this.#fill();
      const sandbox = await next;
      if (this.#closed) {
        sandbox.kill();
        throw new RltaskError('E_INTERNAL', 'the sandbox pool was closed while a child was being handed out');
      }
      if (sandbox.alive) return sandbox;
      await sandbox.dispose();
    }
    throw new RltaskError('E_INTERNAL', 'sandbox children keep dying before they are used');
  }

  /** Stop starting children and kill the idle ones, synchronously (children already taken are left alone). */
  #stop(): void {
    this.#closed = true;
    this.#unregister();
    for (const p of this.#idle) p.then((s) => s.kill(), () => undefined);
  }

  /** Kill every child this pool started, taken ones included (an aborted batch), and stop starting more. */
  kill(): void {
    this.#stop();
    for (const p of this.#all) p.then((s) => s.kill(), () => undefined);
  }

  /**
   * Stop starting children and wait until every idle child is gone. Taken children stay the takers' business,
   * but the shared input file is closed: call this once every taken child has finished its work.
   */
  async close(): Promise<void> {
    const idle = this.#idle;
    this.#idle = [];
    this.#stop();
    await Promise.all(idle.map((p) => p.then((s) => s.dispose(), () => undefined)));
    this.#inputFile?.close();
  }
}
