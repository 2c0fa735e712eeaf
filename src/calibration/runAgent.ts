import type Anthropic from '@anthropic-ai/sdk';
import type { ContentBlockParam, Message, MessageCreateParamsNonStreaming, MessageParam, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { RltaskError } from '../errors.ts';
import { callModel, type Gate } from './_callModel.ts';
import type { Ending } from './CalibrationResults.ts';
import type { WorkspaceTools } from './WorkspaceTools.ts';

export interface AgentLimits {
  /** API calls (model turns) at most. */
  readonly maxTurns: number;
  /** Input + output tokens over the whole conversation; checked after each turn. */
  readonly tokenBudget: number;
  /**
   * The model's clock: time generating plus time running its tools. Waiting for the API (failed requests,
   * back-off, rate caps) is not counted. A response still arriving at the limit is cut off.
   */
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
  /** Retries of one request after a transport fault (default 6). */
  readonly retries?: number;
  /** A request with no byte for this long has stalled and is retried (default 120 s). */
  readonly stallMs?: number;
  /** Back-off before a retry when the server names no delay (default: full jitter on 1 s doubling, ≤ 60 s). */
  readonly backoffMs?: (retry: number) => number;
  /** Concurrency and rate caps shared with the other attempts. */
  readonly gate?: Gate;
  /** Prompt-caching breakpoints on the system prompt, the tools and the latest turn (default on). */
  readonly cache?: boolean;
  /** Aborts the loop (interrupt, or another attempt hit a fatal API error). */
  readonly signal?: AbortSignal;
  /** Receives each transcript entry as it happens. */
  readonly onTranscript?: (entry: Readonly<Record<string, unknown>>) => void;
  /** Receives the turn number after each response. */
  readonly onTurn?: (turn: number) => void;
}

/** Tokens by how they are billed; `input` is uncached input. */
export interface TokenUsage {
  readonly input: number;
  readonly cacheWrite: number;
  readonly cacheRead: number;
  readonly output: number;
}

/** How a loop ended. `aborted`: stopped from outside, not a measurement. */
export interface AgentOutcome {
  readonly ending: Ending | 'aborted';
  /** The API's `stop_reason` of the last response, as it came (`null` when the loop ended otherwise). */
  readonly stopReason: string | null;
  readonly turns: number;
  /** All input tokens (uncached, cache writes and cache reads) and output tokens, over the conversation. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly usage: TokenUsage;
  /** Responses that carried no `usage` (some gateways): the token counts leave them out. */
  readonly responsesWithoutUsage: number;
  /** Failed API requests (429, 5xx, a lost connection, a stall, a stream without `message_stop`), retried or not. */
  readonly httpErrors: number;
  readonly rateLimited: number;
  /** The model's clock: generation plus tool runs. */
  readonly modelMs: number;
  /** Time lost to the API: failed requests, back-off and rate caps. */
  readonly apiWaitMs: number;
  /** For `api_error`, `context_window` from a refused request, `internal_error`: what failed. */
  readonly error?: string;
}

const CACHE = { type: 'ephemeral' } as const;

/**
 * The assistant's content as request parameters for the next turn (only the block kinds we can send back).
 * Empty or whitespace-only text blocks are dropped: the API refuses them ("text content blocks must be non-empty").
 */
function toParams(content: Message['content']): { blocks: ContentBlockParam[]; dropped: number } {
  const blocks: ContentBlockParam[] = [];
  let dropped = 0;
  for (const b of content) {
    if (b.type === 'text') {
      if (b.text.trim() === '') dropped++;
      else blocks.push({ type: 'text', text: b.text });
    } else if (b.type === 'tool_use') blocks.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input });
    else if (b.type === 'thinking') blocks.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
    else if (b.type === 'redacted_thinking') blocks.push({ type: 'redacted_thinking', data: b.data });
  }
  return { blocks, dropped };
}

/** The conversation with a cache breakpoint on the last block of the latest user turn (copies; the history stays clean). */
function withCacheBreakpoint(messages: readonly MessageParam[]): MessageParam[] {
  let at = -1;
  messages.forEach((m, i) => {
    if (m.role === 'user') at = i;
  });
  return messages.map((m, i) => {
    if (i !== at) return m;
    const blocks: ContentBlockParam[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : [...m.content];
    const last = blocks.at(-1);
    if (last === undefined || last.type === 'thinking' || last.type === 'redacted_thinking') return m;
    blocks[blocks.length - 1] = { ...last, cache_control: CACHE };
    return { role: 'user', content: blocks };
  });
}

function endingOf(stopReason: string | null): Ending {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
      return 'end_turn';
    case 'max_tokens':
      return 'max_tokens';
    case 'refusal':
      return 'refusal';
    case 'model_context_window_exceeded':
      return 'context_window';
    default:
      return 'unknown_stop';
  }
}

/**
 * Run an agent on a workspace through the Messages API: the task prompt, then turns of model output and tool
 * results until the model stops calling tools (`end_turn`), or `maxTurns`, the token budget or the model's
 * time limit is reached. Transport faults are retried and their time is not the model's; API failures that
 * survive the retries end the loop with `api_error`; a 401/403/404 throws E_API since every other attempt
 * would fail the same way.
 */
export async function runAgent(o: AgentOptions): Promise<AgentOutcome> {
  const started = performance.now();
  const signal = o.signal ?? new AbortController().signal;
  const note = (type: string, fields: Record<string, unknown> = {}): void => o.onTranscript?.({ type, ms: Math.round(performance.now() - started), ...fields });
  const messages: MessageParam[] = [{ role: 'user', content: o.prompt }];
  const cache = o.cache ?? true;
  let turns = 0;
  const usage = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };
  let responsesWithoutUsage = 0;
  let httpErrors = 0;
  let rateLimited = 0;
  let modelMs = 0;
  let apiWaitMs = 0;
  let stopReason: string | null = null;
  const end = (ending: AgentOutcome['ending'], error?: string): AgentOutcome => {
    const outcome: AgentOutcome = {
      ending,
      stopReason,
      turns,
      inputTokens: usage.input + usage.cacheWrite + usage.cacheRead,
      outputTokens: usage.output,
      usage: { ...usage },
      responsesWithoutUsage,
      httpErrors,
      rateLimited,
      modelMs: Math.round(modelMs),
      apiWaitMs: Math.round(apiWaitMs),
      ...(error === undefined ? {} : { error }),
    };
    note('end', { ...outcome });
    return outcome;
  };
  const tools = o.tools.definitions.map((d, i, all) => ({
    name: d.name,
    description: d.description,
    input_schema: { ...d.input_schema, required: [...d.input_schema.required] },
    ...(cache && i === all.length - 1 ? { cache_control: CACHE } : {}),
  }));
  const system = cache ? [{ type: 'text' as const, text: o.system, cache_control: CACHE }] : o.system;
  const call = {
    client: o.client,
    stream: o.stream ?? true,
    headers: o.headers,
    retries: o.retries ?? 6,
    stallMs: o.stallMs ?? 120_000,
    ...(o.backoffMs === undefined ? {} : { backoffMs: o.backoffMs }),
    gate: o.gate,
    signal,
    onFailure: (fields: Readonly<Record<string, unknown>>) => {
      httpErrors++;
      if (fields['status'] === 429) rateLimited++;
      note('http_error', { turn: turns + 1, ...fields });
    },
  };
  note('start', { model: o.model, system: o.system, prompt: o.prompt, tools: o.tools.definitions.map((d) => d.name), limits: o.limits, cache });
  for (;;) {
    if (signal.aborted) return end('aborted');
    if (turns >= o.limits.maxTurns) return end('max_turns');
    const left = o.limits.timeLimitMs - modelMs;
    if (left <= 0) return end('time_limit');
    const params: MessageCreateParamsNonStreaming = { model: o.model, max_tokens: o.limits.maxTokens, system, tools, messages: cache ? withCacheBreakpoint(messages) : messages };
    const r = await callModel(call, params, left);
    modelMs += r.modelMs;
    apiWaitMs += r.waitMs;
    if (r.kind === 'aborted') return end('aborted');
    if (r.kind === 'time_limit') return end('time_limit');
    if (r.kind === 'fatal') {
      note('api_error', { turn: turns + 1, status: r.status, message: r.error });
      throw new RltaskError('E_API', `${FATAL_HINT.get(r.status) ?? `HTTP ${r.status}`} (${r.error})`, { cause: r.cause });
    }
    if (r.kind === 'context_window') {
      note('api_error', { turn: turns + 1, message: r.error, counted: 'the conversation outgrew the context window' });
      return end('context_window', r.error);
    }
    if (r.kind === 'failed') {
      note('api_error', { turn: turns + 1, message: r.error });
      return end('api_error', r.error);
    }
    const response = r.message;
    turns++;
    stopReason = response.stop_reason ?? null;
    // A gateway may answer without `usage`: the turn still counts, its tokens are unknown.
    const u: Partial<Message['usage']> | undefined = response.usage ?? undefined;
    if (u === undefined || typeof u.input_tokens !== 'number') responsesWithoutUsage++;
    else {
      usage.input += u.input_tokens;
      usage.cacheWrite += u.cache_creation_input_tokens ?? 0;
      usage.cacheRead += u.cache_read_input_tokens ?? 0;
      usage.output += u.output_tokens ?? 0;
    }
    const { blocks, dropped } = toParams(response.content);
    note('response', {
      turn: turns,
      id: response.id,
      stop_reason: stopReason,
      stop_details: response.stop_details ?? null,
      usage: u ?? null,
      // As sent back: the empty text blocks the API would refuse are left out here too, and the note says so.
      content: dropped === 0 ? response.content : response.content.filter((b) => b.type !== 'text' || b.text.trim() !== ''),
      ...(dropped === 0 ? {} : { note: `${dropped} empty text block${dropped === 1 ? '' : 's'} not sent back (the API refuses them)` }),
    });
    o.onTurn?.(turns);
    messages.push({ role: 'assistant', content: blocks });
    if (stopReason === 'pause_turn') continue;
    const calls = response.content.filter((b) => b.type === 'tool_use');
    // Output cut off inside a tool call: that call is not run, and the model is told so and goes on.
    const truncated = stopReason === 'max_tokens' && response.content.at(-1)?.type === 'tool_use' ? calls.at(-1) : undefined;
    if (calls.length === 0 || (stopReason !== 'tool_use' && truncated === undefined)) return end(endingOf(stopReason));
    const results: ToolResultBlockParam[] = [];
    for (const c of calls) {
      if (c === truncated) {
        const content = `Your output was cut off at max_tokens (${o.limits.maxTokens}) while writing this ${c.name} call, so it was not run. Send smaller pieces (for example several str_replace calls instead of one large write_file).`;
        note('tool', { turn: turns, id: c.id, name: c.name, isError: true, result: content, truncated: true });
        results.push({ type: 'tool_result', tool_use_id: c.id, content, is_error: true });
        continue;
      }
      const toolStarted = performance.now();
      const t = await o.tools.run(c.name, c.input);
      modelMs += performance.now() - toolStarted;
      // The input is in the response entry above: a large write_file is stored once.
      note('tool', { turn: turns, id: c.id, name: c.name, isError: t.isError, result: t.content });
      results.push({ type: 'tool_result', tool_use_id: c.id, ...(t.content === '' ? {} : { content: t.content }), ...(t.isError ? { is_error: true } : {}) });
    }
    messages.push({ role: 'user', content: results });
    if (usage.input + usage.cacheWrite + usage.cacheRead + usage.output >= o.limits.tokenBudget) return end('token_budget');
  }
}

/** Statuses that no retry can fix: the run stops with E_API (exit 2) instead of burning every attempt. */
const FATAL_HINT: ReadonlyMap<number, string> = new Map([
  [401, 'the API refused the key (401 Unauthorized); check ANTHROPIC_API_KEY'],
  [403, 'the key may not use this API or model (403 Forbidden)'],
  [404, 'not found (404): check --model and --base-url'],
]);
