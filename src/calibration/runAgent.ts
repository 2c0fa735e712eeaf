import Anthropic, { type Middleware } from '@anthropic-ai/sdk';
import type { ContentBlockParam, Message, MessageParam, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { RltaskError } from '../errors.ts';
import type { Ending } from './CalibrationResults.ts';
import type { WorkspaceTools } from './WorkspaceTools.ts';

export interface AgentLimits {
  /** API calls (model turns) at most. */
  readonly maxTurns: number;
  /** Input + output tokens over the whole conversation; checked after each turn. */
  readonly tokenBudget: number;
  /** Wall-clock limit for the loop, including tool runs; an in-flight request is aborted at the deadline. */
  readonly timeLimitMs: number;
  /** `max_tokens` of each request. */
  readonly maxTokens: number;
}

export interface AgentOptions {
  readonly client: Anthropic;
  readonly model: string;
  readonly system: string;
  readonly prompt: string;
  readonly tools: WorkspaceTools;
  readonly limits: AgentLimits;
  /** Server-sent events (default) or one JSON response per turn. */
  readonly stream?: boolean;
  /** Extra request headers (calibration sends `x-rltask-attempt`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Retries of a response that failed mid-stream (the SDK itself retries failed requests). */
  readonly streamRetries?: number;
  /** Aborts the loop (interrupt, or another attempt hit a fatal API error). */
  readonly signal?: AbortSignal;
  /** Receives each transcript entry as it happens. */
  readonly onTranscript?: (entry: Readonly<Record<string, unknown>>) => void;
  /** Receives the turn number after each response. */
  readonly onTurn?: (turn: number) => void;
}

/** How a loop ended. `aborted`: stopped from outside, not a measurement. */
export interface AgentOutcome {
  readonly ending: Ending | 'aborted';
  readonly turns: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Failed API responses (429, 5xx, a stream that broke off), whether or not a retry then succeeded. */
  readonly httpErrors: number;
  /** For `api_error`: what failed. */
  readonly error?: string;
}

/** Statuses that no retry can fix: the run stops with E_API (exit 2) instead of burning every attempt. */
const FATAL_STATUSES: ReadonlyMap<number, string> = new Map([
  [401, 'the API refused the key (401 Unauthorized); check ANTHROPIC_API_KEY'],
  [403, 'the key may not use this API or model (403 Forbidden)'],
  [404, 'not found (404): check --model and --base-url'],
]);

function describeApiError(e: unknown): string {
  if (e instanceof Anthropic.APIError) {
    const type = e.type ?? (typeof e.error === 'object' && e.error !== null && 'error' in e.error ? JSON.stringify(e.error.error) : undefined);
    return `${e.status === undefined ? 'stream error' : `HTTP ${e.status}`}${type === undefined || type === null ? '' : ` ${type}`}: ${e.apiMessage ?? e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Errors inside a started stream (the SDK only retries before the response starts). */
function retryableMidStream(e: unknown): boolean {
  if (e instanceof Anthropic.APIUserAbortError) return false;
  if (e instanceof Anthropic.APIConnectionError) return true;
  return e instanceof Anthropic.APIError && e.status === undefined && ['overloaded_error', 'api_error', 'rate_limit_error'].includes(e.type ?? '');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The assistant's content as request parameters for the next turn (only the block kinds we can send back). */
function toParams(content: Message['content']): ContentBlockParam[] {
  const out: ContentBlockParam[] = [];
  for (const b of content) {
    if (b.type === 'text') out.push({ type: 'text', text: b.text });
    else if (b.type === 'tool_use') out.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input });
    else if (b.type === 'thinking') out.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
    else if (b.type === 'redacted_thinking') out.push({ type: 'redacted_thinking', data: b.data });
  }
  return out;
}

/**
 * Run an agent on a workspace through the Messages API: the task prompt, then turns of model output and tool
 * results until the model stops calling tools (`end_turn`), or `maxTurns`, the token budget or the time
 * limit is reached. API failures that survive the retries end the loop with `api_error`; a 401/403/404 throws
 * E_API since every other attempt would fail the same way.
 */
export async function runAgent(o: AgentOptions): Promise<AgentOutcome> {
  const started = performance.now();
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(), o.limits.timeLimitMs);
  const signal = o.signal === undefined ? timer.signal : AbortSignal.any([o.signal, timer.signal]);
  const note = (type: string, fields: Record<string, unknown> = {}): void => o.onTranscript?.({ type, ms: Math.round(performance.now() - started), ...fields });
  const messages: MessageParam[] = [{ role: 'user', content: o.prompt }];
  let turns = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let httpErrors = 0;
  const end = (ending: AgentOutcome['ending'], error?: string): AgentOutcome => {
    note('end', { ending, turns, inputTokens, outputTokens, httpErrors, ...(error === undefined ? {} : { error }) });
    return { ending, turns, inputTokens, outputTokens, httpErrors, ...(error === undefined ? {} : { error }) };
  };
  const stopped = (): AgentOutcome['ending'] | undefined => (o.signal?.aborted === true ? 'aborted' : timer.signal.aborted ? 'time_limit' : undefined);
  const params = {
    model: o.model,
    max_tokens: o.limits.maxTokens,
    system: o.system,
    tools: o.tools.definitions.map((d) => ({ name: d.name, description: d.description, input_schema: { ...d.input_schema, required: [...d.input_schema.required] } })),
  };
  note('start', { model: o.model, system: o.system, prompt: o.prompt, tools: o.tools.definitions.map((d) => d.name), limits: o.limits });
  try {
    for (;;) {
      if (turns >= o.limits.maxTurns) return end('max_turns');
      const halt = stopped();
      if (halt !== undefined) return end(halt);
      let response: Message;
      try {
        response = await request(o, { ...params, messages }, signal, (fields) => {
          httpErrors++;
          note('http_error', { turn: turns + 1, ...fields });
        });
      } catch (e) {
        const halt = stopped();
        if (halt !== undefined) return end(halt);
        const status = e instanceof Anthropic.APIError ? e.status : undefined;
        const fatal = status === undefined ? undefined : FATAL_STATUSES.get(status);
        note('api_error', { turn: turns + 1, status: status ?? null, message: describeApiError(e) });
        if (fatal !== undefined) throw new RltaskError('E_API', `${fatal} (${describeApiError(e)})`, { cause: e });
        return end('api_error', describeApiError(e));
      }
      turns++;
      const u = response.usage;
      inputTokens += u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
      outputTokens += u.output_tokens;
      note('response', { turn: turns, id: response.id, stop_reason: response.stop_reason, usage: { input_tokens: u.input_tokens, output_tokens: u.output_tokens }, content: response.content });
      o.onTurn?.(turns);
      messages.push({ role: 'assistant', content: toParams(response.content) });
      const calls = response.content.filter((b) => b.type === 'tool_use');
      if (response.stop_reason === 'pause_turn') continue;
      if (response.stop_reason !== 'tool_use' || calls.length === 0) {
        const r = response.stop_reason;
        return end(r === 'max_tokens' ? 'max_tokens' : r === 'refusal' ? 'refusal' : r === 'model_context_window_exceeded' ? 'context_window' : 'end_turn');
      }
      const results: ToolResultBlockParam[] = [];
      for (const call of calls) {
        const r = await o.tools.run(call.name, call.input);
        note('tool', { turn: turns, id: call.id, name: call.name, input: call.input, isError: r.isError, result: r.content });
        results.push({ type: 'tool_result', tool_use_id: call.id, ...(r.content === '' ? {} : { content: r.content }), ...(r.isError ? { is_error: true } : {}) });
      }
      messages.push({ role: 'user', content: results });
      if (inputTokens + outputTokens >= o.limits.tokenBudget) return end('token_budget');
    }
  } finally {
    clearTimeout(timeout);
  }
}

type Params = Anthropic.MessageCreateParamsNonStreaming;

async function request(o: AgentOptions, params: Params, signal: AbortSignal, onFailure: (fields: Record<string, unknown>) => void): Promise<Message> {
  // Runs per HTTP attempt inside the SDK's retry loop, so the transcript shows every 429/5xx it absorbed.
  const observe: Middleware = async (req, next) => {
    const res = await next(req);
    if (!res.ok) onFailure({ status: res.status, retry: Number(new Headers(req.headers).get('x-stainless-retry-count') ?? 0) });
    return res;
  };
  const options = { signal, middleware: [observe], ...(o.headers === undefined ? {} : { headers: { ...o.headers } }) };
  const retries = o.streamRetries ?? 4;
  for (let attempt = 0; ; attempt++) {
    try {
      if (o.stream === false) return await o.client.messages.create({ ...params, stream: false }, options);
      return await o.client.messages.stream(params, options).finalMessage();
    } catch (e) {
      if (attempt >= retries || !retryableMidStream(e) || signal.aborted) throw e;
      onFailure({ status: null, message: describeApiError(e), streamRetry: attempt + 1 });
      // Full jitter on 1 s doubling, capped at 30 s: calls that failed together do not retry together.
      await sleep(Math.random() * Math.min(30_000, 1000 * 2 ** attempt), signal);
    }
  }
}
