import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { RltaskError } from '../errors.ts';
import { encodeFrame, FrameReader, FrameTooLarge } from './_frames.ts';
import { LEASE_MIN_BYTES, leaseFrame } from './_framePool.ts';
import type { InputFile } from './_inputFile.ts';
import { childCommand, detectIsolation } from './_isolation.ts';
import { harnessSource, loadHarnessSource } from './harnessSource.ts';
import { LOAD_REPLY_BYTES, replyBudget } from './_replyBudget.ts';
import { leaseSandboxUid, type UidLease } from './sandboxUid.ts';
import type { ChildMessage, OracleArg, OracleReply, ParentMessage, Request, Thrown } from './protocol.ts';
import { SubmissionFault } from '../errors.ts';

export interface SandboxOptions {
  /** Address space the submission may use on top of Node's own baseline. */
  readonly memoryMb: number;
  /** Bytes of the child's stdout+stderr kept as `output`; the rest is counted and dropped. */
  readonly outputBytes: number;
  /** Hard CPU-time limit for the whole child (prlimit), a backstop behind the wall-clock deadlines. */
  readonly cpuSeconds: number;
  /**
   * A batch's file of immutable inputs (gradeMany makes one): the child inherits it read-only as fd 4, and the
   * arrays placed in it are not sent through the channel.
   */
  readonly inputFile?: InputFile;
}

/** Where the reads of a channel go: `target` is asked for the memory of each read, `received` is told how much arrived. */
export interface ChannelSink {
  target(): Uint8Array;
  received(bytes: number, into: Uint8Array): void;
}

/**
 * A started child as the sandbox sees it: a ChildProcess, or a process a launcher started another way (the
 * Python runtime's zygote forks its children). Its stdout and stderr are captured as output; it ends with an
 * exit code or a signal; `close` follows once its output has ended.
 */
export interface SandboxProcess {
  /** The process (and process group) id when the sandbox may signal it itself; otherwise `kill` does. */
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'close' | 'spawn', listener: () => void): this;
  once(event: 'error', listener: (e: Error) => void): this;
  /** Kill the process and every process it started. */
  kill(signal?: NodeJS.Signals): boolean;
}

/**
 * How a child is started: the runtime's interpreter with its harness, under the isolation it needs. The default
 * spawns Node with the TypeScript harness; another runtime passes its own to `Sandbox.start`.
 */
export type ChildLauncher = SpawningLauncher | StartingLauncher;

interface LauncherBase {
  /** Everything a child needs, resolved once per process before the first child (harness source, probes). */
  prepare(): Promise<void>;
}

/** A launcher whose child is a command this process spawns, with the channel as its fd 3 (a socket pair). */
export interface SpawningLauncher extends LauncherBase {
  readonly kind: 'spawn';
  /**
   * The argv of one child with these limits, to run as `uid` (its own while it lives, see sandboxUid.ts) when the
   * machine lets it switch; its fd 3 is the protocol channel, fd 4 the input file if any.
   */
  command(options: SandboxOptions, uid: number): { readonly command: string; readonly args: readonly string[] };
}

/** A launcher that starts the child itself and hands over its channel, whose reads go to `sink`. */
export interface StartingLauncher extends LauncherBase {
  readonly kind: 'start';
  start(options: SandboxOptions, uid: number, sink: ChannelSink): Promise<{ readonly process: SandboxProcess; readonly channel: Socket }>;
}

/** Node with the TypeScript harness, under every isolation layer the machine has (_isolation.ts). */
const nodeLauncher: ChildLauncher = {
  kind: 'spawn',
  prepare: async () => {
    await Promise.all([loadHarnessSource(), detectIsolation()]);
  },
  command: (options, uid) =>
    childCommand(
      [
        '--experimental-permission',
        '--no-warnings',
        '--disallow-code-generation-from-strings',
        `--max-old-space-size=${options.memoryMb}`,
        // V8 re-hashes every string of its start-up snapshot under a fresh random hash seed, and picking that seed
        // runs a primality test, a noticeable share of a child's start (docs/performance.md). A random seed defends a process
        // against hash flooding by its input; this process's only untrusted input is the submission, which runs
        // inside it anyway. (Any V8 flag already makes Node compile its built-in modules without their code cache,
        // so this one costs nothing there.)
        '--no-rehash-snapshot',
        '-e',
        harnessSource(),
      ],
      { memoryMb: options.memoryMb, cpuSeconds: options.cpuSeconds },
      uid,
    ),
};

export type LoadResult = { readonly ok: true; readonly exports: readonly string[] } | { readonly ok: false; readonly thrown: Thrown };

const live = new Set<Sandbox>();

const MIB = 1024 * 1024;
const noRelease = (): void => undefined;
/**
 * Output past `outputBytes` is discarded, but past this much the child is stopped: reading a flood costs the
 * grading process its CPU, and whether the flood or the time limit ended a grade would depend on how fast it read.
 */
const FLOOD_BYTES = 256 * MIB;

const V8_TRACE_START = '\n<--- Last few GCs --->';

/** `output` with V8's fatal-error report replaced by its `FATAL ERROR: …` line. */
function withoutV8Trace(output: string): string {
  const at = output.indexOf(V8_TRACE_START);
  if (at < 0) return output;
  const report = output.slice(at);
  // V8 words the same exhaustion differently depending on which collection gave up; the cause is the same.
  const reason = report.includes('JavaScript heap out of memory') ? 'JavaScript heap out of memory' : (/^FATAL ERROR: (.*)$/m.exec(report)?.[1] ?? 'V8 stopped the process');
  return `${output.slice(0, at)}\nFATAL ERROR: ${reason} [V8's report omitted]\n`;
}

/** Something that starts sandboxes on its own (a pool): told to stop before every child is killed. */
export interface SandboxOwner {
  stop(): void;
}
const owners = new Set<SandboxOwner>();

/** Register an owner so that `killAllSandboxes()` stops it from starting more children. Returns the unregister. */
export function registerSandboxOwner(owner: SandboxOwner): () => void {
  owners.add(owner);
  return () => owners.delete(owner);
}

/** Kill every child this process started, and stop pools from starting more (signal handlers, test teardown). */
export function killAllSandboxes(): void {
  for (const o of owners) o.stop();
  for (const s of live) s.kill();
}

/**
 * One sandboxed child process that runs exactly one submission and is then killed. It is a black-box oracle:
 * the parent sends requests over a framed channel on fd 3 (see _frames.ts) and gets back values; the child's
 * stdout and stderr are only captured as text and never parsed.
 */
export class Sandbox {
  readonly #child: SandboxProcess;
  readonly #channel: Socket;
  readonly #options: SandboxOptions;
  readonly #pending = new Map<
    number,
    {
      resolve: (m: ChildMessage, release?: () => void) => void;
      reject: (e: Error) => void;
      at: number;
      what: string;
      timeoutMs: number;
      budget: number;
      /** Its reply may be received into pooled memory (requestLeased). */
      leased: boolean;
    }
  >();
  /**
   * One timer for the pending requests' deadlines (an Oracle's requests all share the task's deadline), re-armed
   * only when an earlier deadline comes along: a timer per request cost more than many a request itself.
   */
  #deadline: { at: number; timer: NodeJS.Timeout } | null = null;
  #nextId = 1;
  /** Lengths of the arrays kept in the child (`keep` requests), by handle: what a reply that passes them may hold. */
  readonly #kept = new Map<number, number>();
  #output = '';
  #outputDropped = 0;
  #ended: Error | null = null;
  #ready: Promise<void>;
  /** Who waits for the next message that is not a reply (ready, loaded, analyzed), and how large it may be. */
  #loadWaiter: { resolve: (m: ChildMessage) => void; reject: (e: Error) => void; budget: number } | null = null;
  #closed: Promise<void>;
  /** A program has been sent to the child: from then on it may run untrusted code. */
  #loaded = false;

  private constructor(options: SandboxOptions, started: Started, uid: UidLease) {
    this.#options = options;
    this.#child = started.process;
    this.#channel = started.channel;
    live.add(this);
    const capture = (chunk: Buffer): void => {
      const room = this.#options.outputBytes - Buffer.byteLength(this.#output);
      if (room <= 0) {
        this.#outputDropped += chunk.length;
        if (this.#outputDropped > FLOOD_BYTES && this.#ended === null) {
          this.#fault(
            new SubmissionFault(
              'output',
              `the submission's process printed more than ${FLOOD_BYTES / MIB} MiB (its first ${this.#options.outputBytes} bytes are kept) and was stopped`,
            ),
          );
        }
        return;
      }
      const text = chunk.toString('utf8');
      if (Buffer.byteLength(text) <= room) this.#output += text;
      else {
        this.#output += Buffer.from(text).subarray(0, room).toString('utf8');
        this.#outputDropped += chunk.length - room;
      }
    };
    this.#child.stdout?.on('data', capture);
    this.#child.stderr?.on('data', capture);
    // 'close' comes once the child has exited and every process holding its pipes is gone (and with a channel of
    // our own, once that has closed too): the uid is free again.
    const channelClosed = started.relay === null ? Promise.resolve() : new Promise<void>((resolve) => started.channel.once('close', () => resolve()));
    this.#closed = new Promise<void>((resolve) => this.#child.once('close', () => resolve()))
      .then(() => channelClosed)
      .then(() => uid.release());
    this.#ready = new Promise((resolve, reject) => {
      this.#child.once('spawn', () => undefined);
      this.#child.once('error', (e) => {
        const err = new RltaskError('E_INTERNAL', `could not start the sandbox: ${e.message}`, { cause: e });
        this.#end(err);
        reject(err);
      });
      this.#loadWaiter = {
        resolve: (m) => {
          if (m.kind === 'ready') resolve();
          else reject(new RltaskError('E_INTERNAL', 'the sandbox harness sent a message before it was ready'));
        },
        reject,
        budget: LOAD_REPLY_BYTES,
      };
    });
    this.#ready.catch(() => undefined);
    // A message can be no larger than what the parent is waiting for (see _replyBudget.ts), nor than the child's
    // own memory; a bigger length prefix is refused unread, before anything is allocated for it.
    const reader = new FrameReader(
      () => Math.min((options.memoryMb + 64) * 1024 * 1024, this.#frameBudget()),
      (m, release) => this.#onMessage(m, release),
      (e) =>
        this.#fault(
          new SubmissionFault(
            'protocol',
            e instanceof FrameTooLarge
              ? `the submission's process sent a reply of ${e.bytes} bytes, more than its requests can produce (at most ${e.limit} bytes)`
              : `the submission's process sent a malformed message: ${e.message}`,
          ),
        ),
      // Pooled memory only when every message awaited is a reply whose caller gives it back (requestLeased).
      (length) => (length >= LEASE_MIN_BYTES && this.#loadWaiter === null && this.#allLeased() ? leaseFrame(length) : undefined),
    );
    if (started.relay === null) this.#channel.on('data', (chunk: Buffer) => reader.push(chunk));
    else started.relay.to = reader;
    // Errors on the channel (EPIPE after the child died) are reported by the 'exit' handler below.
    this.#channel.on('error', () => undefined);
    this.#child.once('exit', (code, signal) => {
      live.delete(this);
      this.#end(
        new SubmissionFault('exited', `the submission's process ended (${signal === null ? `exit code ${code}` : `signal ${signal}`})${this.#memoryHint(signal)}`),
      );
    });
  }

  /** Start a child and wait until its harness is ready (before any submission code exists in it). */
  static async start(options: SandboxOptions, launcher: ChildLauncher = nodeLauncher): Promise<Sandbox> {
    await launcher.prepare();
    const uid = await leaseSandboxUid();
    let started: Started;
    try {
      started = launcher.kind === 'spawn' ? spawnChild(launcher, options, uid.uid) : await startChild(launcher, options, uid.uid);
    } catch (e) {
      uid.release();
      throw e;
    }
    const s = new Sandbox(options, started, uid);
    try {
      await s.#ready;
    } catch (e) {
      s.kill();
      if (e instanceof SubmissionFault) {
        // Dying before the submission was loaded is our fault (or the machine's), not the submission's.
        throw new RltaskError('E_INTERNAL', `the sandbox died before loading the submission: ${e.message}; output: ${s.output.slice(0, 500)}`);
      }
      throw e;
    }
    return s;
  }

  /** The byte budget of the next message: the largest pending batch's, a load message's, or nothing much. */
  #frameBudget(): number {
    let budget = this.#loadWaiter === null ? 0 : this.#loadWaiter.budget;
    for (const p of this.#pending.values()) budget = Math.max(budget, p.budget);
    // Nothing is awaited: any message is a protocol fault, reported once decoded (small) or refused here.
    return budget === 0 ? LOAD_REPLY_BYTES : budget;
  }

  #memoryHint(signal: NodeJS.Signals | null): string {
    if (signal === 'SIGXCPU') return ': CPU time limit exceeded';
    if (signal === 'SIGABRT' || signal === 'SIGSEGV' || signal === 'SIGTRAP') return ': likely out of memory';
    return '';
  }

  #end(error: Error): void {
    if (this.#ended !== null) return;
    this.#ended = error;
    if (this.#deadline !== null) clearTimeout(this.#deadline.timer);
    this.#deadline = null;
    for (const [, p] of this.#pending) p.reject(error);
    this.#pending.clear();
    this.#loadWaiter?.reject(error);
    this.#loadWaiter = null;
  }

  #allLeased(): boolean {
    if (this.#pending.size === 0) return false;
    for (const p of this.#pending.values()) if (!p.leased) return false;
    return true;
  }

  #onMessage(m: unknown, release?: () => void): void {
    if (!isChildMessage(m)) {
      release?.();
      this.#fault(new SubmissionFault('protocol', 'the submission\'s process sent a malformed message'));
      return;
    }
    if (m.kind === 'replies') {
      const p = this.#pending.get(m.id);
      if (p === undefined) {
        release?.();
        this.#fault(new SubmissionFault('protocol', 'the submission\'s process sent a reply nobody asked for'));
        return;
      }
      this.#pending.delete(m.id);
      if (p.leased) p.resolve(m, release);
      else {
        release?.();
        p.resolve(m);
      }
      return;
    }
    release?.();
    const waiter = this.#loadWaiter;
    this.#loadWaiter = null;
    if (waiter === null) this.#fault(new SubmissionFault('protocol', `unexpected "${m.kind}" message from the submission's process`));
    else waiter.resolve(m);
  }

  #fault(error: SubmissionFault): void {
    this.#end(error);
    this.kill();
  }

  #post(message: ParentMessage): void {
    if (this.#ended !== null) throw this.#ended;
    const file = this.#options.inputFile;
    const parts = encodeFrame(message, file === undefined ? undefined : (a) => file.place(a));
    this.#channel.cork();
    for (const part of parts) this.#channel.write(part);
    this.#channel.uncork();
  }

  /** Send `message` and wait for the child's next message that is not a reply, within `timeoutMs`. */
  #exchange(message: ParentMessage, timeoutMs: number, what: string, budget: number): Promise<ChildMessage> {
    return new Promise<ChildMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fault(new SubmissionFault('timeout', `${what} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#loadWaiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        budget,
      };
      try {
        this.#post(message);
      } catch (e) {
        clearTimeout(timer);
        reject(e);
      }
    });
  }

  /**
   * Have the harness's own analyser read `files` (their syntax: nothing is run) and return its facts as it sent
   * them, for the runtime to validate. Only before `load`, while the child holds nothing but trusted code: what it
   * answers then is the analyser's, not the submission's. Throws a SubmissionFault when the child dies or stalls
   * (the analyser was fed untrusted text), an RltaskError when the analyser reports a failure.
   */
  async analyze(files: ReadonlyMap<string, string>, timeoutMs: number, replyBytes: number): Promise<unknown> {
    if (this.#loaded) throw new RltaskError('E_INTERNAL', 'analyze() after load(): the child is no longer trusted');
    const m = await this.#exchange({ kind: 'analyze', files: Object.fromEntries(files) }, timeoutMs, 'reading the code', replyBytes);
    if (m.kind !== 'analyzed') throw new SubmissionFault('protocol', `unexpected "${m.kind}" message while reading the code`);
    if (m.error !== undefined) throw new RltaskError('E_INTERNAL', `the analyser failed in the sandbox: ${m.error}`);
    return m.facts;
  }

  /** Load the transpiled submission (CommonJS) into the child's fresh context. */
  load(code: string, filename: string, mathSeed: number, timeoutMs: number): Promise<LoadResult> {
    this.#loaded = true;
    return this.#exchange(
      { kind: 'load', code, filename, mathSeed, loadTimeoutMs: timeoutMs, outputBytes: this.#options.outputBytes },
      timeoutMs,
      `loading ${filename}`,
      LOAD_REPLY_BYTES,
    ).then((m) => {
      if (m.kind === 'loaded') return { ok: true, exports: m.exports } as const;
      if (m.kind === 'loadFailed') return { ok: false, thrown: m.thrown } as const;
      throw new SubmissionFault('protocol', `unexpected "${m.kind}" message while loading`);
    });
  }

  #armDeadline(at: number): void {
    // Within a millisecond counts as the same deadline (it is recomputed from performance.now() per request).
    if (this.#deadline !== null && this.#deadline.at <= at + 1) return;
    if (this.#deadline !== null) clearTimeout(this.#deadline.timer);
    const timer = setTimeout(() => this.#onDeadline(), Math.max(1, at - performance.now()));
    // The child process keeps the event loop alive while a request is pending; the timer alone must not.
    timer.unref();
    this.#deadline = { at, timer };
  }

  #onDeadline(): void {
    this.#deadline = null;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const p of this.#pending.values()) {
      if (p.at <= now + 1) {
        // No figure from the clock in the message: same submission and seed, same result, however loaded the machine.
        this.#fault(new SubmissionFault('timeout', `${p.what} did not return within the time limit (the grade's share of the task's time budget that was left)`));
        return;
      }
      next = Math.min(next, p.at);
    }
    if (next !== Number.POSITIVE_INFINITY) this.#armDeadline(next);
  }

  /**
   * Send requests that the child runs in order, in one round trip; resolves with one reply per request, in the
   * same order. Rejects with a SubmissionFault when the child dies, stalls past `timeoutMs`, or lies about the
   * protocol.
   */
  async request(requests: readonly Request[], timeoutMs: number, what: string): Promise<readonly OracleReply[]> {
    return (await this.#send(requests, timeoutMs, what, false)).replies;
  }

  /**
   * `request`, for a caller that is done with the replies' arrays before it calls `release`: a large reply is
   * received into pooled memory (src/sandbox/_framePool.ts), which `release` gives back to be overwritten by a
   * later reply. `release` must be called once the replies are no longer used (not calling it only forgoes the
   * reuse); an array kept past it would change under its holder.
   */
  requestLeased(requests: readonly Request[], timeoutMs: number, what: string): Promise<{ replies: readonly OracleReply[]; release: () => void }> {
    return this.#send(requests, timeoutMs, what, true);
  }

  #send(requests: readonly Request[], timeoutMs: number, what: string, leased: boolean): Promise<{ replies: readonly OracleReply[]; release: () => void }> {
    const id = this.#nextId++;
    return new Promise<{ m: ChildMessage; release: () => void }>((resolve, reject) => {
      const at = performance.now() + Math.max(1, timeoutMs);
      const settle = (m: ChildMessage, release?: () => void): void => resolve({ m, release: release ?? noRelease });
      this.#pending.set(id, { resolve: settle, reject, at, what, timeoutMs, budget: replyBudget(requests, this.#kept), leased });
      this.#armDeadline(at);
      try {
        this.#post({ kind: 'batch', id, requests });
      } catch (e) {
        this.#pending.delete(id);
        reject(e);
      }
    }).then(({ m, release }) => {
      if (m.kind !== 'replies' || m.replies.length !== requests.length) {
        release();
        throw new SubmissionFault('protocol', `expected ${requests.length} replies`);
      }
      return { replies: m.replies, release };
    });
  }

  /**
   * The child's process id (the process group id too), for diagnostics and leak checks; undefined for a child its
   * launcher started itself (a Python child lives in the zygote's PID namespace).
   */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Resolves once the child has exited and its pipes are closed (however it ended). */
  get finished(): Promise<void> {
    return this.#closed;
  }

  /** The child is running and has not broken the protocol (a pool hands out only live children). */
  get alive(): boolean {
    return this.#ended === null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /**
   * Captured stdout+stderr of the child, capped at `outputBytes`. V8's report of a fatal error (out of memory)
   * is cut to its one-line reason: the rest (recent GCs with timestamps, addresses, a native stack) differs from
   * run to run and says nothing the reason does not.
   */
  get output(): string {
    // Past the flood limit the count is how far the child got before it was stopped: not part of a verdict.
    const dropped = this.#outputDropped > FLOOD_BYTES ? `more than ${FLOOD_BYTES / MIB} MiB` : `${this.#outputDropped} more bytes`;
    const full = this.#outputDropped > 0 ? `${this.#output}\n[output truncated: ${dropped} dropped]` : this.#output;
    return withoutV8Trace(full);
  }

  /** Kill the child's whole process group (or tree). Safe to call more than once. */
  kill(): void {
    const pid = this.#child.pid;
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      if (pid === undefined) this.#child.kill('SIGKILL');
      else {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          this.#child.kill('SIGKILL');
        }
      }
    }
    live.delete(this);
  }

  /** Kill the child and wait until its pipes are closed, so that `output` is complete. */
  async dispose(): Promise<void> {
    this.kill();
    await this.#closed;
  }
}

/** A child as a launcher started it, with the channel the sandbox talks to it on. */
interface Started {
  readonly process: SandboxProcess;
  readonly channel: Socket;
  /** Where the channel's reads go until the sandbox's FrameReader takes them (a channel a launcher connected). */
  readonly relay: Relay | null;
}

/** Spawn a launcher's command with the channel as fd 3 (a socket pair Node makes) and the input file as fd 4. */
function spawnChild(launcher: SpawningLauncher, options: SandboxOptions, uid: number): Started {
  const { command, args } = launcher.command(options, uid);
  // fd 3 is the protocol channel (a socket): not 'ipc', whose serialization copies large arrays three times.
  const child = spawn(command, [...args], {
    stdio: options.inputFile === undefined ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe', options.inputFile.childFd],
    detached: true,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    cwd: '/',
  });
  const channel = child.stdio[3];
  if (!(channel instanceof Socket)) {
    child.kill('SIGKILL');
    throw new RltaskError('E_INTERNAL', 'the sandbox channel (fd 3) was not created');
  }
  return { process: child, channel, relay: null };
}

async function startChild(launcher: StartingLauncher, options: SandboxOptions, uid: number): Promise<Started> {
  const relay = new Relay();
  const { process: child, channel } = await launcher.start(options, uid, relay);
  return { process: child, channel, relay };
}

/** Hands a channel's reads to the sandbox's FrameReader, which exists only once the channel does. */
class Relay implements ChannelSink {
  to: ChannelSink | null = null;
  /** What arrives before there is a reader (nothing should: the child starts after both exist). */
  readonly #early = new Uint8Array(64 * 1024);

  target(): Uint8Array {
    return this.to?.target() ?? this.#early;
  }

  received(bytes: number, into: Uint8Array): void {
    if (this.to === null) throw new RltaskError('E_INTERNAL', 'the sandbox channel received bytes before its reader existed');
    this.to.received(bytes, into);
  }
}

function isChildMessage(m: unknown): m is ChildMessage {
  if (typeof m !== 'object' || m === null) return false;
  const kind = (m as { kind?: unknown }).kind;
  if (kind === 'ready') return true;
  if (kind === 'loaded') return Array.isArray((m as { exports?: unknown }).exports);
  if (kind === 'loadFailed') return isThrown((m as { thrown?: unknown }).thrown);
  if (kind === 'analyzed') {
    const a = m as { facts?: unknown; error?: unknown };
    return (typeof a.facts === 'object' && a.facts !== null && a.error === undefined) || (typeof a.error === 'string' && a.facts === undefined);
  }
  if (kind === 'replies') {
    const r = m as { id?: unknown; replies?: unknown };
    return typeof r.id === 'number' && Array.isArray(r.replies);
  }
  return false;
}

function isThrown(t: unknown): t is Thrown {
  return typeof t === 'object' && t !== null && typeof (t as Thrown).name === 'string' && typeof (t as Thrown).message === 'string';
}

export type { OracleArg };
