/** The sliding window of the `rpm` and `inputTpm` caps. */
const WINDOW_MS = 60_000;

/** Limits of a `RequestGate`. */
export interface RequestGateOptions {
  /** Requests in flight at most (the calibration's `--concurrency`); the adaptive limit never exceeds it. */
  readonly maxConcurrent: number;
  /** Requests started in any 60 s at most (`--rpm`). */
  readonly rpm?: number;
  /**
   * Input tokens of the requests started in any 60 s at most (`--input-tpm`). A request is charged its estimate
   * when it starts and corrected to the actual count when it ends, if the caller knows it.
   */
  readonly inputTpm?: number;
  /** Clock in ms since the epoch; injectable for tests. Defaults to a monotonic one. */
  readonly now?: () => number;
  /** Resolves after `ms`, or early once `signal` aborts; injectable for tests. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** How a gated request ended: `rate_limited` is an HTTP 429, `failed` any other error. */
export type RequestOutcome = 'ok' | 'rate_limited' | 'failed';

/**
 * Hands a slot back. `actualInputTokens`, when known, replaces the estimate the request was charged in the
 * input-tokens window (a non-finite count is ignored). Calls after the first do nothing.
 */
export type ReleaseSlot = (outcome: RequestOutcome, actualInputTokens?: number) => void;

/** A change of the concurrency limit, for the report. */
export interface GateEvent {
  /** When, as an ISO timestamp. */
  readonly at: string;
  readonly kind: 'reduction' | 'recovery';
  /** The limit after the change. */
  readonly limit: number;
  readonly why: string;
}

/** What a `RequestGate` did so far. */
export interface GateStats {
  /** Requests that ended `rate_limited`. */
  readonly rateLimited: number;
  /** The concurrency limit now. */
  readonly limit: number;
  /** The lowest the limit has been. */
  readonly lowestLimit: number;
  readonly reductions: number;
  readonly recoveries: number;
  /** Time acquirers spent waiting for a slot, summed over acquirers (aborted ones included). */
  readonly waitedMs: number;
  /** Requests holding a slot now. */
  readonly inFlight: number;
  /** Acquirers waiting now. */
  readonly queued: number;
  readonly events: readonly GateEvent[];
}

interface Waiter {
  readonly tokens: number;
  readonly since: number;
  readonly resolve: (release: ReleaseSlot) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort?: () => void;
}

/** A request's charge in the input-tokens window; `tokens` is corrected at release while `live`. */
interface Charge {
  readonly at: number;
  tokens: number;
  live: boolean;
}

function defaultNow(): number {
  // Monotonic, so the windows survive wall-clock adjustments, yet close enough to epoch ms for the ISO stamps.
  return performance.timeOrigin + performance.now();
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function positive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`RequestGate: ${name} must be a positive number, not ${value}`);
}

/**
 * The gate every API request of every calibration attempt passes through, so that concurrent attempts share
 * one budget of concurrency, requests per minute and input tokens per minute, and back off together when the
 * API answers 429.
 *
 * Waiters are served strictly first come, first served: one that a cap holds back holds back everyone behind
 * it, so a large request is never starved by small ones overtaking it.
 *
 * The concurrency limit adapts (AIMD). A `rate_limited` outcome halves it (at least 1), but only when the
 * request started after the last halving: the 429s of requests already in flight when the limit was cut
 * describe the old concurrency, so a burst of them is one congestion event, not one per response. As many
 * `ok` outcomes in a row as the current limit (one round at that concurrency) raise it by 1, up to
 * `maxConcurrent`; only requests started after the last halving count, so the survivors of the old
 * concurrency cannot undo a cut at once, and a `rate_limited` or `failed` outcome restarts the count.
 *
 * A request whose estimate alone exceeds `inputTpm` would never fit, so it goes through once the window has
 * nothing charged in it. The only timer is the wait for a window to slide, and it exists only while someone
 * waits on a window.
 *
 * @example
 * const gate = new RequestGate({ maxConcurrent: 8, rpm: 50 });
 * const release = await gate.acquire(estimatedTokens, signal);
 * try {
 *   const message = await client.messages.create(request);
 *   release('ok', message.usage.input_tokens);
 * } catch (e) {
 *   release(e instanceof RateLimitError ? 'rate_limited' : 'failed');
 *   throw e;
 * }
 */
export class RequestGate {
  readonly #max: number;
  readonly #rpm: number | undefined;
  readonly #tpm: number | undefined;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  #limit: number;
  #lowest: number;
  #inFlight = 0;
  readonly #queue: Waiter[] = [];
  /** Start times in the rpm window, oldest first. */
  readonly #starts: number[] = [];
  /** Charges in the tpm window, oldest first, and their sum. */
  readonly #charges: Charge[] = [];
  #charged = 0;

  /** Number of the next request to start; a request's number orders it against limit changes. */
  #seq = 0;
  /** Requests numbered below this started before the last halving. */
  #reducedAt = 0;
  /** `ok` outcomes in a row at the current limit. */
  #streak = 0;

  #rateLimited = 0;
  #reductions = 0;
  #recoveries = 0;
  #waitedMs = 0;
  readonly #events: GateEvent[] = [];

  /** The pending wait for a window to slide, and when it ends. */
  #timer: AbortController | undefined;
  #timerAt = 0;

  constructor(o: RequestGateOptions) {
    if (!(Number.isInteger(o.maxConcurrent) && o.maxConcurrent >= 1)) throw new RangeError(`RequestGate: maxConcurrent must be an integer ≥ 1, not ${o.maxConcurrent}`);
    positive('rpm', o.rpm);
    positive('inputTpm', o.inputTpm);
    this.#max = o.maxConcurrent;
    this.#rpm = o.rpm;
    this.#tpm = o.inputTpm;
    this.#now = o.now ?? defaultNow;
    this.#sleep = o.sleep ?? defaultSleep;
    this.#limit = this.#max;
    this.#lowest = this.#max;
  }

  /**
   * Waits for a slot: a free place under the concurrency limit, room in the rpm window and room for
   * `estimatedInputTokens` in the input-tokens window. Resolves to the function that hands the slot back; call
   * it exactly once, whatever happens to the request. Rejects with the signal's reason if `signal` aborts
   * before the slot is granted, having taken nothing.
   */
  acquire(estimatedInputTokens: number, signal?: AbortSignal): Promise<ReleaseSlot> {
    if (!(Number.isFinite(estimatedInputTokens) && estimatedInputTokens >= 0)) {
      return Promise.reject(new RangeError(`RequestGate: estimatedInputTokens must be a finite number ≥ 0, not ${estimatedInputTokens}`));
    }
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const w: Waiter = { tokens: estimatedInputTokens, since: this.#now(), resolve, reject, signal };
      if (signal !== undefined) {
        w.onAbort = () => {
          const i = this.#queue.indexOf(w);
          if (i < 0) return;
          this.#queue.splice(i, 1);
          this.#waitedMs += this.#now() - w.since;
          reject(signal.reason);
          // It may have been the head that a window held back, and the next one may fit.
          this.#pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#queue.push(w);
      this.#pump();
    });
  }

  /** A snapshot of what the gate did so far. */
  stats(): GateStats {
    return {
      rateLimited: this.#rateLimited,
      limit: this.#limit,
      lowestLimit: this.#lowest,
      reductions: this.#reductions,
      recoveries: this.#recoveries,
      waitedMs: this.#waitedMs,
      inFlight: this.#inFlight,
      queued: this.#queue.length,
      events: [...this.#events],
    };
  }

  /** Starts waiters from the head of the queue while they fit; otherwise arranges to look again. */
  #pump(): void {
    for (;;) {
      const head = this.#queue[0];
      // Nothing to wait for, or a release will call again: no timer either way.
      if (head === undefined || this.#inFlight >= this.#limit) {
        this.#cancelTimer();
        return;
      }
      const now = this.#now();
      this.#prune(now);
      const wait = this.#windowWait(head.tokens, now);
      if (wait > 0) {
        this.#wakeAt(now + wait, now);
        return;
      }
      this.#queue.shift();
      this.#start(head, now);
    }
  }

  /** How long until a request of `tokens` fits both windows (0: now). */
  #windowWait(tokens: number, now: number): number {
    let until = now;
    if (this.#rpm !== undefined && this.#starts.length >= this.#rpm) {
      // Room for one more once all but rpm - 1 of the starts have left the window.
      const t = this.#starts[this.#starts.length - Math.ceil(this.#rpm)];
      if (t !== undefined) until = Math.max(until, t + WINDOW_MS);
    }
    if (this.#tpm !== undefined && this.#charged > 0 && this.#charged + tokens > this.#tpm) {
      let left = this.#charged;
      for (const c of this.#charges) {
        left -= c.tokens;
        // An empty window admits even a request larger than the whole budget.
        if (left <= 0 || left + tokens <= this.#tpm) {
          until = Math.max(until, c.at + WINDOW_MS);
          break;
        }
      }
    }
    return until - now;
  }

  #prune(now: number): void {
    while (this.#starts.length > 0 && this.#starts[0]! + WINDOW_MS <= now) this.#starts.shift();
    while (this.#charges.length > 0 && this.#charges[0]!.at + WINDOW_MS <= now) {
      const c = this.#charges.shift()!;
      c.live = false;
      this.#charged -= c.tokens;
    }
    // Corrections can leave float dust; an empty window must read as empty for the oversize rule.
    if (this.#charges.length === 0) this.#charged = 0;
  }

  #start(w: Waiter, now: number): void {
    if (w.onAbort !== undefined) w.signal?.removeEventListener('abort', w.onAbort);
    this.#waitedMs += now - w.since;
    this.#inFlight++;
    const seq = this.#seq++;
    if (this.#rpm !== undefined) this.#starts.push(now);
    let charge: Charge | undefined;
    if (this.#tpm !== undefined) {
      charge = { at: now, tokens: w.tokens, live: true };
      this.#charges.push(charge);
      this.#charged += w.tokens;
    }
    let released = false;
    w.resolve((outcome, actualInputTokens) => {
      if (released) return;
      released = true;
      if (charge?.live === true && actualInputTokens !== undefined && Number.isFinite(actualInputTokens)) {
        const actual = Math.max(0, actualInputTokens);
        this.#charged += actual - charge.tokens;
        charge.tokens = actual;
      }
      this.#inFlight--;
      this.#settle(outcome, seq);
      this.#pump();
    });
  }

  /** Adapts the concurrency limit to how request number `seq` ended. */
  #settle(outcome: RequestOutcome, seq: number): void {
    if (outcome === 'rate_limited') {
      this.#rateLimited++;
      this.#streak = 0;
      if (seq < this.#reducedAt) return;
      this.#reducedAt = this.#seq;
      const from = this.#limit;
      const to = Math.max(1, Math.floor(from / 2));
      if (to === from) return;
      this.#limit = to;
      this.#lowest = Math.min(this.#lowest, to);
      this.#reductions++;
      this.#event('reduction', `429 rate limited with ${this.#inFlight + 1} in flight: concurrency ${from} → ${to}`);
    } else if (outcome === 'failed') {
      this.#streak = 0;
    } else if (seq >= this.#reducedAt && this.#limit < this.#max) {
      this.#streak++;
      if (this.#streak < this.#limit) return;
      const from = this.#limit;
      this.#limit = from + 1;
      this.#streak = 0;
      this.#recoveries++;
      this.#event('recovery', `${from} ${from === 1 ? 'request' : 'requests'} in a row succeeded: concurrency ${from} → ${from + 1}`);
    }
  }

  #event(kind: GateEvent['kind'], why: string): void {
    this.#events.push({ at: new Date(this.#now()).toISOString(), kind, limit: this.#limit, why });
  }

  #wakeAt(at: number, now: number): void {
    // A pending wake that comes no later is good enough: that pump will look again.
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#cancelTimer();
    const timer = new AbortController();
    this.#timer = timer;
    this.#timerAt = at;
    const wake = (): void => {
      if (this.#timer !== timer) return;
      this.#timer = undefined;
      this.#pump();
    };
    this.#sleep(Math.ceil(at - now), timer.signal).then(wake, wake);
  }

  #cancelTimer(): void {
    const timer = this.#timer;
    this.#timer = undefined;
    timer?.abort();
  }
}
