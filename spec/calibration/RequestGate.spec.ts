import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { RequestGate, type ReleaseSlot, type RequestGateOptions } from '../../src/calibration/RequestGate.ts';

/** Lets every pending promise callback run (they all precede a macrotask). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A clock that moves only when told, and a sleep that wakes by it. */
class FakeTime {
  t: number;
  readonly sleepers: { at: number; wake: () => void }[] = [];
  constructor(start = 0) {
    this.t = start;
  }
  readonly now = (): number => this.t;
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const s = {
        at: this.t + ms,
        wake: () => {
          this.sleepers.splice(this.sleepers.indexOf(s), 1);
          resolve();
        },
      };
      this.sleepers.push(s);
      signal?.addEventListener('abort', s.wake, { once: true });
    });
  async to(t: number): Promise<void> {
    this.t = t;
    for (const s of this.sleepers.filter((x) => x.at <= t)) s.wake();
    await settle();
  }
}

function gate(o: Omit<RequestGateOptions, 'now' | 'sleep'>, time = new FakeTime()): { gate: RequestGate; time: FakeTime } {
  return { gate: new RequestGate({ ...o, now: time.now, sleep: time.sleep }), time };
}

/** An acquire whose progress the test can look at without awaiting it. */
function track(p: Promise<ReleaseSlot>): { release: ReleaseSlot | undefined; error: unknown; readonly started: boolean } {
  const s = {
    release: undefined as ReleaseSlot | undefined,
    error: undefined as unknown,
    get started() {
      return this.release !== undefined;
    },
  };
  p.then(
    (r) => (s.release = r),
    (e: unknown) => (s.error = e),
  );
  return s;
}

async function acquired(g: RequestGate, n: number, tokens = 0): Promise<ReleaseSlot[]> {
  const out: ReleaseSlot[] = [];
  for (let i = 0; i < n; i++) out.push(await g.acquire(tokens));
  return out;
}

describe('RequestGate: concurrency', () => {
  it('never has more requests in flight than the limit, and serves every one', async () => {
    const { gate: g } = gate({ maxConcurrent: 3 });
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const release = await g.acquire(0);
        inFlight++;
        most = Math.max(most, inFlight);
        for (let k = 0; k < (i * 7) % 4; k++) await settle();
        inFlight--;
        done.push(i);
        release('ok');
      }),
    );
    assert.equal(most, 3);
    assert.equal(done.length, 12);
    const s = g.stats();
    assert.equal(s.inFlight, 0);
    assert.equal(s.queued, 0);
  });

  it('serves waiters first come, first served', async () => {
    const { gate: g } = gate({ maxConcurrent: 1 });
    const order: string[] = [];
    const first = await g.acquire(0);
    const rest = ['b', 'c', 'd', 'e'].map((name) =>
      g.acquire(0).then((release) => {
        order.push(name);
        return release;
      }),
    );
    await settle();
    assert.deepEqual(order, []);
    first('ok');
    for (const p of rest) (await p)('ok');
    assert.deepEqual(order, ['b', 'c', 'd', 'e']);
  });

  it('ignores a second release of the same slot', async () => {
    const { gate: g } = gate({ maxConcurrent: 1 });
    const a = await g.acquire(0);
    const b = track(g.acquire(0));
    const c = track(g.acquire(0));
    a('ok');
    a('ok');
    await settle();
    assert.equal(b.started, true);
    assert.equal(c.started, false, 'the second release freed nothing');
    assert.equal(g.stats().inFlight, 1);
  });
});

describe('RequestGate: 429s and recovery', () => {
  it('halves the limit once for a burst of 429s from requests already in flight', async () => {
    const { gate: g } = gate({ maxConcurrent: 8 });
    const burst = await acquired(g, 8);
    for (const release of burst) release('rate_limited');
    let s = g.stats();
    assert.equal(s.rateLimited, 8);
    assert.equal(s.limit, 4);
    assert.equal(s.reductions, 1);
    assert.deepEqual(
      s.events.map((e) => [e.kind, e.limit]),
      [['reduction', 4]],
    );
    assert.match(s.events[0]!.why, /429.*8 in flight.*8 → 4/);

    // A request started after the cut and still limited is a new congestion event.
    (await g.acquire(0))('rate_limited');
    s = g.stats();
    assert.equal(s.limit, 2);
    assert.equal(s.reductions, 2);
    (await g.acquire(0))('rate_limited');
    (await g.acquire(0))('rate_limited');
    s = g.stats();
    assert.equal(s.limit, 1, 'never below 1');
    assert.equal(s.lowestLimit, 1);
    assert.equal(s.reductions, 3, 'a 429 at limit 1 changes nothing');
    assert.equal(s.rateLimited, 11);
  });

  it('admits no new request until the in-flight count is under the cut limit', async () => {
    const { gate: g } = gate({ maxConcurrent: 4 });
    const [a, b, c, d] = await acquired(g, 4);
    a!('rate_limited');
    assert.equal(g.stats().limit, 2);
    const next = track(g.acquire(0));
    b!('ok');
    await settle();
    assert.equal(next.started, false, '2 still in flight at limit 2');
    c!('rate_limited');
    await settle();
    assert.equal(g.stats().limit, 2, 'a 429 from before the cut does not cut again');
    assert.equal(next.started, true);
    d!('ok');
    assert.equal(g.stats().recoveries, 0, 'oks from before the cut do not count towards recovery');
  });

  it('grows the limit by 1 per round of successes, back to the maximum', async () => {
    const { gate: g } = gate({ maxConcurrent: 4 });
    for (const release of await acquired(g, 4)) release('rate_limited');
    assert.equal(g.stats().limit, 2);
    const ok = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) (await g.acquire(0))('ok');
    };

    await ok(1);
    (await g.acquire(0))('failed');
    await ok(1);
    assert.equal(g.stats().limit, 2, 'a failure restarts the round');
    await ok(1);
    assert.equal(g.stats().limit, 3);
    await ok(2);
    assert.equal(g.stats().limit, 3);
    await ok(1);
    assert.equal(g.stats().limit, 4);
    await ok(20);
    const s = g.stats();
    assert.equal(s.limit, 4, 'never above maxConcurrent');
    assert.equal(s.lowestLimit, 2);
    assert.equal(s.recoveries, 2);
    assert.deepEqual(
      s.events.map((e) => [e.kind, e.limit]),
      [
        ['reduction', 2],
        ['recovery', 3],
        ['recovery', 4],
      ],
    );
    assert.match(s.events[1]!.why, /2 requests in a row succeeded.*2 → 3/);
  });
});

describe('RequestGate: rpm', () => {
  it('holds the (rpm+1)-th request until the oldest start leaves the 60 s window', async () => {
    const { gate: g, time } = gate({ maxConcurrent: 10, rpm: 3 });
    (await g.acquire(0))('ok');
    await time.to(20_000);
    (await g.acquire(0))('ok');
    await time.to(30_000);
    (await g.acquire(0))('ok');
    const d = track(g.acquire(0));
    await settle();
    assert.equal(d.started, false);
    assert.equal(time.sleepers.length, 1);
    await time.to(59_999);
    assert.equal(d.started, false);
    await time.to(60_000);
    assert.equal(d.started, true);
    assert.equal(time.sleepers.length, 0, 'no timer once nobody waits');
    const e = track(g.acquire(0));
    await time.to(79_999);
    assert.equal(e.started, false);
    await time.to(80_000);
    assert.equal(e.started, true);
    assert.equal(g.stats().waitedMs, 30_000 + 20_000);
  });
});

describe('RequestGate: input tpm', () => {
  it('charges estimates at start, corrects them at release, and keeps FIFO order', async () => {
    const { gate: g, time } = gate({ maxConcurrent: 10, inputTpm: 1000 });
    const a = await g.acquire(600);
    const b = track(g.acquire(600));
    const c = track(g.acquire(100));
    await settle();
    assert.equal(b.started, false);
    assert.equal(c.started, false, 'a small request does not overtake the one waiting ahead of it');
    a('ok', 300);
    await settle();
    assert.equal(b.started, true, 'the correction made room: 300 + 600');
    assert.equal(c.started, true, '300 + 600 + 100 fits exactly');
    const d = track(g.acquire(1));
    await time.to(59_999);
    assert.equal(d.started, false);
    await time.to(60_000);
    assert.equal(d.started, true);
  });

  it('corrects upwards too', async () => {
    const { gate: g, time } = gate({ maxConcurrent: 10, inputTpm: 1000 });
    (await g.acquire(100))('ok', 900);
    const b = track(g.acquire(200));
    await settle();
    assert.equal(b.started, false);
    await time.to(60_000);
    assert.equal(b.started, true);
  });

  it('lets a request larger than the whole budget through once the window is empty', async () => {
    const { gate: g, time } = gate({ maxConcurrent: 10, inputTpm: 1000 });
    const a = track(g.acquire(5000));
    await settle();
    assert.equal(a.started, true, 'an empty window admits it');
    const b = track(g.acquire(1));
    await time.to(59_999);
    assert.equal(b.started, false);
    await time.to(60_000);
    assert.equal(b.started, true);
    const c = track(g.acquire(5000));
    await time.to(119_999);
    assert.equal(c.started, false, 'not while anything is charged');
    await time.to(120_000);
    assert.equal(c.started, true);
  });
});

describe('RequestGate: abort', () => {
  it('rejects a waiter with the reason and takes no slot', async () => {
    const { gate: g } = gate({ maxConcurrent: 1 });
    const a = await g.acquire(0);
    const ac = new AbortController();
    const b = track(g.acquire(0, ac.signal));
    const reason = new Error('attempt cancelled');
    ac.abort(reason);
    await settle();
    assert.equal(b.error, reason);
    assert.equal(b.started, false);
    assert.deepEqual([g.stats().inFlight, g.stats().queued], [1, 0]);
    const c = track(g.acquire(0));
    await settle();
    assert.equal(c.started, false, 'the abort freed nothing');
    a('ok');
    await settle();
    assert.equal(c.started, true);
    assert.equal(g.stats().inFlight, 1);

    const before = g.stats();
    await assert.rejects(g.acquire(0, AbortSignal.abort(reason)), (e) => e === reason);
    assert.deepEqual(g.stats(), before, 'an already aborted signal is refused without queueing');
  });

  it('stops listening to the signal once the slot is granted', async () => {
    const { gate: g } = gate({ maxConcurrent: 1 });
    const a = await g.acquire(0);
    const ac = new AbortController();
    const b = track(g.acquire(0, ac.signal));
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
    a('ok');
    await settle();
    assert.equal(b.started, true);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'one signal may serve a whole attempt of many requests');
    ac.abort();
    await settle();
    assert.equal(g.stats().inFlight, 1, 'an abort after the grant is the caller\'s to handle');
  });

  it('lets the next waiter go when the head that a window held back aborts', async () => {
    const { gate: g, time } = gate({ maxConcurrent: 10, inputTpm: 1000 });
    await g.acquire(900);
    const ac = new AbortController();
    const b = track(g.acquire(500, ac.signal));
    const c = track(g.acquire(50));
    await settle();
    assert.equal(c.started, false);
    assert.equal(time.sleepers.length, 1);
    ac.abort();
    await settle();
    assert.ok(b.error instanceof DOMException && b.error.name === 'AbortError');
    assert.equal(c.started, true);
    assert.equal(time.sleepers.length, 0, 'the wait for the window was cancelled');
  });

  it('clears its real timer when the last waiter gives up', async () => {
    const g = new RequestGate({ maxConcurrent: 2, rpm: 1 });
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const idle = timeouts();
    await g.acquire(0);
    const ac = new AbortController();
    const b = track(g.acquire(0, ac.signal));
    await settle();
    assert.equal(timeouts(), idle + 1, 'waiting for the rpm window');
    ac.abort();
    await settle();
    assert.ok(b.error !== undefined);
    assert.equal(timeouts(), idle);
  });
});

describe('RequestGate: stats', () => {
  it('reports waits, limits and timestamped events', async () => {
    const start = Date.UTC(2025, 0, 2, 3, 4, 5);
    const { gate: g, time } = gate({ maxConcurrent: 2, rpm: 2 }, new FakeTime(start));
    const [a, b] = await acquired(g, 2);
    const c = track(g.acquire(0));
    const d = track(g.acquire(0));
    await time.to(start + 1_000);
    a!('rate_limited');
    b!('ok');
    await time.to(start + 60_000);
    assert.equal(c.started, true);
    assert.equal(d.started, false, 'limit 1 now');
    c.release!('ok');
    await settle();
    assert.equal(d.started, true);
    d.release!('ok');
    assert.deepEqual(g.stats(), {
      rateLimited: 1,
      limit: 2,
      lowestLimit: 1,
      reductions: 1,
      recoveries: 1,
      waitedMs: 60_000 + 60_000,
      inFlight: 0,
      queued: 0,
      events: [
        { at: '2025-01-02T03:04:06.000Z', kind: 'reduction', limit: 1, why: '429 rate limited with 2 in flight: concurrency 2 → 1' },
        { at: '2025-01-02T03:05:05.000Z', kind: 'recovery', limit: 2, why: '1 request in a row succeeded: concurrency 1 → 2' },
      ],
    });
  });

  it('rejects nonsense limits and estimates', async () => {
    assert.throws(() => new RequestGate({ maxConcurrent: 0 }), RangeError);
    assert.throws(() => new RequestGate({ maxConcurrent: 1.5 }), RangeError);
    assert.throws(() => new RequestGate({ maxConcurrent: 1, rpm: 0 }), RangeError);
    assert.throws(() => new RequestGate({ maxConcurrent: 1, inputTpm: Number.NaN }), RangeError);
    await assert.rejects(new RequestGate({ maxConcurrent: 1 }).acquire(-1), RangeError);
  });
});
