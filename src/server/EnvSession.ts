import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_VARIANT, promptFor } from '../calibration/promptFor.ts';
import { type ToolDefinition, WorkspaceTools } from '../calibration/WorkspaceTools.ts';
import { RltaskError } from '../errors.ts';
import { initWorkspace } from '../workspace/initWorkspace.ts';
import {
  type Action,
  clientMessage,
  clientMessageTypes,
  describeIssues,
  issuesOf,
  type ResetObservation,
  type SessionState,
  type StepObservation,
  type WsErrorCode,
} from './_openEnvMessages.ts';
import { HttpError } from './HttpError.ts';
import type { ServedGrade, ServerContext } from './ServerContext.ts';
import type { CatalogEntry } from './TaskCatalog.ts';

/** Where a session's messages go: the WebSocket, seen as text out, a close, and flow control of what comes in. */
export interface SessionTransport {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Stop reading messages from the client until `resume`. */
  pause(): void;
  resume(): void;
}

/**
 * Messages waiting behind a slow one (a grade) before the socket stops being read: a client that does not wait
 * for its replies is held back by TCP, as OpenEnv's read-one-reply-one loop holds it, instead of queueing here.
 */
const MAX_QUEUED = 8;

/** Why a session ended: the client's `close` message, the socket going away, the idle timeout, or the drain. */
export type SessionEnd = 'close' | 'disconnect' | 'idle' | 'drain';

/** `submit` is not one of the workspace tools (it ends the episode), but an agent must be told about it. */
export const SUBMIT_TOOL: ToolDefinition = {
  name: 'submit',
  description: 'Submit the workspace for grading. This ends the episode: the reward is 1 if the fix is correct, else 0.',
  input_schema: { type: 'object', properties: {}, required: [], additionalProperties: false },
};

interface Episode {
  readonly id: string;
  readonly entry: CatalogEntry;
  readonly seed: number;
  readonly dir: string;
  readonly tools: WorkspaceTools;
  steps: number;
  done: boolean;
  removed: boolean;
}

const envelope = z.looseObject({ type: z.unknown().optional() });

function isMessageType(t: unknown): t is (typeof clientMessageTypes)[number] {
  return clientMessageTypes.some((k) => k === t);
}

/**
 * One environment session: one WebSocket of `/ws`, speaking OpenEnv's protocol. A `reset` starts an episode in
 * a fresh temporary workspace (the previous one is deleted); `step` runs a workspace tool or `submit`, which
 * grades the workspace through the server's queue and ends the episode. Messages are handled one at a time in
 * arrival order. The workspace is deleted when the episode ends (submit, the step limit) and when the session
 * ends (a `close` message, the socket closing, the idle timeout, the server draining).
 *
 * @example
 * const transport = { send: (t) => socket.send(t), close: (c, r) => socket.close(c, r), pause: () => socket.pause(), resume: () => socket.resume() };
 * const session = new EnvSession(ctx, transport, onEnd);
 * socket.on('message', (data) => session.receive(data.toString('utf8')));
 * socket.on('close', () => void session.end('disconnect'));
 */
export class EnvSession {
  readonly #ctx: ServerContext;
  readonly #transport: SessionTransport;
  readonly #onEnd: () => void;
  readonly #unregisterDrain: () => void;
  /** Messages run one after another on this chain, so a step never overlaps a reset or a grade. */
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #paused = false;
  #idle: NodeJS.Timeout | undefined;
  #episode: Episode | undefined;
  #ended: Promise<void> | undefined;

  constructor(ctx: ServerContext, transport: SessionTransport, onEnd: () => void) {
    this.#ctx = ctx;
    this.#transport = transport;
    this.#onEnd = onEnd;
    ctx.metrics.sessions.inc();
    this.#unregisterDrain = ctx.onDrain(() => this.end('drain'));
    this.#armIdle();
  }

  /** Handle one text message from the client (queued behind those still running). */
  receive(raw: string): void {
    if (this.#ended !== undefined) return;
    this.#pending++;
    this.#disarmIdle();
    if (this.#pending >= MAX_QUEUED && !this.#paused) {
      this.#paused = true;
      this.#transport.pause();
    }
    this.#chain = this.#chain
      .then(() => (this.#ended === undefined ? this.#handle(raw) : undefined))
      .catch((e: unknown) => this.#error('EXECUTION_ERROR', e instanceof Error ? e.message : String(e)))
      .finally(async () => {
        this.#pending--;
        if (this.#paused && this.#pending < MAX_QUEUED) {
          this.#paused = false;
          this.#transport.resume();
        }
        if (this.#pending === 0) this.#armIdle();
        // A drain that stopped waiting for this message has already deleted the workspace it may have made.
        if (this.#ended !== undefined) await this.#removeWorkspace();
      });
  }

  /**
   * End the session once the message being handled is done: later messages are dropped, the workspace is
   * deleted, and (unless the client is already gone) the socket is closed, after an error message saying why
   * when the server ended it. Idempotent; resolves when all of that is done.
   */
  end(why: SessionEnd): Promise<void> {
    if (this.#ended !== undefined) return this.#ended;
    this.#disarmIdle();
    this.#unregisterDrain();
    this.#ended = this.#settled(why).then(async () => {
      // The workspace goes first, so that a client that sees the socket close finds it gone.
      await this.#removeWorkspace();
      try {
        if (why === 'idle') {
          this.#error('SESSION_ERROR', `the session was idle for more than ${this.#ctx.limits.idleMs / 1000} s; it is closed and its workspace deleted`);
          this.#transport.close(1000, 'idle timeout');
        } else if (why === 'drain') {
          this.#error('SESSION_ERROR', 'the server is shutting down; the session is closed and its workspace deleted');
          this.#transport.close(1001, 'server shutting down');
        } else if (why === 'close') {
          this.#transport.close(1000, 'closed');
        }
      } finally {
        this.#ctx.metrics.sessions.dec();
        this.#onEnd();
      }
    });
    return this.#ended;
  }

  /**
   * The message being handled is done. A drain waits for it (a grade in flight still reaches its client) but no
   * longer than `drainMs`: the server's drain only starts its own deadline once every session has closed.
   */
  async #settled(why: SessionEnd): Promise<void> {
    if (why !== 'drain') return this.#chain;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#chain, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#ctx.limits.drainMs)))]);
    clearTimeout(timer);
  }

  #armIdle(): void {
    if (this.#ended !== undefined) return;
    this.#disarmIdle();
    this.#idle = setTimeout(() => void this.end('idle'), this.#ctx.limits.idleMs);
    // An idle session must not keep a process alive that has nothing else to do.
    this.#idle.unref();
  }

  #disarmIdle(): void {
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = undefined;
  }

  #send(message: { type: 'observation' | 'state' | 'error'; data: unknown }): void {
    this.#transport.send(JSON.stringify(message));
  }

  #error(code: WsErrorCode, message: string, extra: Readonly<Record<string, unknown>> = {}): void {
    this.#send({ type: 'error', data: { message, code, ...extra } });
  }

  #observe(observation: ResetObservation | StepObservation, reward: 0 | 1 | null, done: boolean): void {
    this.#send({ type: 'observation', data: { observation, reward, done } });
  }

  async #handle(raw: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      return this.#error('INVALID_JSON', `Invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    const env = envelope.safeParse(parsed);
    if (!env.success) return this.#error('VALIDATION_ERROR', 'a message is a JSON object {"type": …, "data": …}', { errors: issuesOf(env.error) });
    const type = env.data.type;
    if (!isMessageType(type)) return this.#error('UNKNOWN_TYPE', `Unknown message type: ${typeof type === 'string' ? type : JSON.stringify(type ?? '')}; expected one of ${clientMessageTypes.join(', ')}`);
    const message = clientMessage[type].safeParse(parsed);
    if (!message.success) return this.#error('VALIDATION_ERROR', `invalid ${type} message: ${describeIssues(message.error)}`, { errors: issuesOf(message.error) });
    const m = message.data;
    switch (m.type) {
      case 'reset':
        return this.#reset(m.data);
      case 'step':
        return this.#step(m.data);
      case 'state':
        return this.#send({ type: 'state', data: this.#state() });
      case 'close':
        // As in OpenEnv: no reply, the server closes the socket.
        void this.end('close');
        return;
    }
  }

  #state(): SessionState {
    const e = this.#episode;
    return { episode_id: e?.id ?? null, step_count: e?.steps ?? 0, task: e?.entry.spec.id ?? null, done: e?.done ?? false };
  }

  async #reset(data: z.infer<typeof clientMessage.reset>['data']): Promise<void> {
    const ids = this.#ctx.catalog.ids();
    const taskId = data.task ?? (ids.length === 1 ? ids[0] : undefined);
    if (taskId === undefined) return this.#error('VALIDATION_ERROR', `data.task: name the task; this server serves ${ids.join(', ')}`);
    const entry = this.#ctx.catalog.get(taskId);
    if (entry === undefined) return this.#error('VALIDATION_ERROR', `data.task: no task "${taskId}"; this server serves ${ids.join(', ')}`);
    const spec = entry.spec;
    let prompt: string;
    try {
      prompt = promptFor(spec, data.variant ?? undefined).prompt;
    } catch (e) {
      if (!(e instanceof RltaskError)) throw e;
      return this.#error('VALIDATION_ERROR', `data.variant: task "${spec.id}" has no variant "${data.variant ?? ''}"; it has ${[DEFAULT_VARIANT, ...Object.keys(spec.variants)].join(', ')}`);
    }
    await this.#removeWorkspace();
    this.#episode = undefined;
    const seed = data.seed ?? spec.grader.seed;
    let dir: string;
    try {
      dir = await mkdtemp(path.join(tmpdir(), `rltask-env-${spec.id}-`));
    } catch (e) {
      return this.#error('EXECUTION_ERROR', `cannot create a workspace in ${tmpdir()} (${e instanceof Error && 'code' in e ? String(e.code) : String(e)})`);
    }
    let files: string[];
    let tools: WorkspaceTools;
    try {
      files = await initWorkspace(spec, dir, { force: true });
      tools = await WorkspaceTools.open(spec, dir, seed);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    this.#episode = { id: data.episode_id ?? randomUUID(), entry, seed, dir, tools, steps: 0, done: false, removed: false };
    this.#observe({ prompt, files, tools: [...tools.definitions, SUBMIT_TOOL] }, null, false);
  }

  async #step(act: Action): Promise<void> {
    const e = this.#episode;
    if (e === undefined) return this.#error('SESSION_ERROR', 'no episode: send {"type": "reset", "data": {"task": …}} first');
    if (e.done) return this.#error('SESSION_ERROR', `episode ${e.id} is done; send reset to start another`);
    if (act.tool === 'submit') return this.#submit(e);
    const { tool, metadata: _, ...input } = act;
    let outcome: Awaited<ReturnType<WorkspaceTools['run']>>;
    try {
      // The visible tests run in a sandboxed child like a grade, so they take a slot of the same queue.
      outcome = tool === 'run_tests' ? await this.#ctx.queue.run(1, () => e.tools.run(tool, input)) : await e.tools.run(tool, input);
    } catch (err) {
      if (err instanceof HttpError && err.status === 429) return this.#error('EXECUTION_ERROR', `${err.message}; the step was not taken`, { retryable: true });
      throw err;
    }
    e.steps++;
    const observation: StepObservation = { tool, output: outcome.content, is_error: outcome.isError };
    if (e.steps >= this.#ctx.limits.maxSteps) {
      await this.#finish(e);
      return this.#observe({ ...observation, reason: `the step limit (${this.#ctx.limits.maxSteps} steps) was reached without a submit` }, 0, true);
    }
    this.#observe(observation, null, false);
  }

  async #submit(e: Episode): Promise<void> {
    let grade: ServedGrade;
    try {
      grade = await this.#ctx.gradeDir(e.entry, e.dir, { seed: e.seed, label: `episode ${e.id}` });
    } catch (err) {
      if (err instanceof HttpError && err.status === 429) return this.#error('EXECUTION_ERROR', `${err.message}; the workspace was not graded and the episode goes on: submit again`, { retryable: true });
      throw err;
    }
    if (grade.status === 'error') {
      // Not a verdict: a reward of 0 here would train the policy on the grader's fault.
      const why = grade.error?.message ?? grade.feedback;
      return this.#error('EXECUTION_ERROR', `the grader broke (${grade.error?.code ?? 'error'}: ${why}); this is not a verdict, the episode goes on: submit again`, { retryable: true, grade });
    }
    e.steps++;
    await this.#finish(e);
    this.#observe({ tool: 'submit', output: `${grade.passed ? 'PASSED' : 'FAILED'} (reward ${grade.reward}): ${grade.feedback}`, is_error: false, grade }, grade.reward, true);
  }

  /** The episode is over: nothing can act on its workspace any more. */
  async #finish(e: Episode): Promise<void> {
    e.done = true;
    await this.#removeWorkspace();
  }

  async #removeWorkspace(): Promise<void> {
    const e = this.#episode;
    if (e === undefined || e.removed) return;
    e.removed = true;
    // rm with force fails only when the temporary directory itself is broken; the session must still end.
    await rm(e.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
