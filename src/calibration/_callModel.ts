import Anthropic, { type Middleware } from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';

/** What a request gate (concurrency and rate caps shared by all attempts) must offer; see RequestGate. */
export interface Gate {
  acquire(estimatedInputTokens: number, signal?: AbortSignal): Promise<(outcome: 'ok' | 'rate_limited' | 'failed', actualInputTokens?: number) => void>;
}

export interface CallSettings {
  readonly client: Anthropic;
  readonly stream: boolean;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Retries of a transport fault (lost connection, stream without `message_stop`, stall, 408/409/429/5xx/529). */
  readonly retries: number;
  /** A request that receives no byte for this long (before or after the headers) has stalled. */
  readonly stallMs: number;
  /** Back-off before retry r (0-based) when the server names no delay: full jitter on 1 s doubling, capped. */
  readonly backoffMs?: (retry: number) => number;
  /** A `retry-after` longer than this is capped (the server would rather be asked again than never). */
  readonly maxRetryAfterMs?: number;
  readonly gate?: Gate | undefined;
  /** Stops everything: an interrupt, or another attempt hit a fatal API error. */
  readonly signal: AbortSignal;
  /** A failed request (the attempt goes on if a retry succeeds). */
  readonly onFailure: (fields: Readonly<Record<string, unknown>>) => void;
}

/**
 * How one model call ended. Time is split by whose it is: `modelMs` is the model generating (a successful
 * request, or a live one cut off by the time limit); `waitMs` is the API's (failed requests, back-off, the gate).
 */
export type CallResult =
  | { readonly kind: 'message'; readonly message: Message; readonly modelMs: number; readonly waitMs: number }
  | { readonly kind: 'time_limit'; readonly modelMs: number; readonly waitMs: number }
  /** The conversation outgrew the context window (400 "prompt is too long", 413): the model's outcome. */
  | { readonly kind: 'context_window'; readonly error: string; readonly modelMs: number; readonly waitMs: number }
  | { readonly kind: 'aborted'; readonly modelMs: number; readonly waitMs: number }
  /** The API failed for good (retries spent, or a request it refuses as invalid): not the model's outcome. */
  | { readonly kind: 'failed'; readonly error: string; readonly modelMs: number; readonly waitMs: number }
  /** No retry can fix this (401/403/404): the whole calibration stops. */
  | { readonly kind: 'fatal'; readonly status: number; readonly error: string; readonly cause: unknown; readonly modelMs: number; readonly waitMs: number };

type Verdict =
  | { readonly kind: 'retry'; readonly why: string; readonly status: number | null; readonly rateLimited: boolean; readonly afterMs: number | undefined }
  | { readonly kind: 'context_window'; readonly why: string; readonly status: number | null }
  | { readonly kind: 'failed'; readonly why: string; readonly status: number | null }
  | { readonly kind: 'fatal'; readonly why: string; readonly status: number };

const FATAL = new Set([401, 403, 404]);
const RETRYABLE = (s: number): boolean => s === 408 || s === 409 || s === 429 || s >= 500;
const CONTEXT_400 = /prompt is too long|too many (input )?tokens|context (window|length)|exceeds? the (context|maximum)/i;

export function describeError(e: unknown): string {
  if (e instanceof Anthropic.APIError) {
    const type = e.type ?? undefined;
    return `${e.status === undefined ? 'stream error' : `HTTP ${e.status}`}${type === undefined || type === null ? '' : ` ${type}`}: ${e.apiMessage ?? e.message}`;
  }
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? e.cause.message : e.cause === undefined ? '' : String(e.cause);
    return cause === '' || e.message.includes(cause) ? e.message : `${e.message} (${cause})`;
  }
  return String(e);
}

/** A server-named delay: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  if (headers === undefined) return undefined;
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const text = headers.get('retry-after');
  if (text === null) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function classify(e: unknown): Verdict {
  if (e instanceof Anthropic.APIError && e.status !== undefined) {
    const status = e.status;
    const why = describeError(e);
    if (FATAL.has(status)) return { kind: 'fatal', why, status };
    if (status === 413 || (status === 400 && CONTEXT_400.test(why))) return { kind: 'context_window', why, status };
    if (RETRYABLE(status)) return { kind: 'retry', why, status, rateLimited: status === 429, afterMs: retryAfterMs(e.headers, Date.now()) };
    return { kind: 'failed', why: `the API refused the request: ${why}`, status };
  }
  if (e instanceof Anthropic.APIError && !(e instanceof Anthropic.APIConnectionError)) {
    // An error event inside a started stream: the server's own trouble, or a refusal of the request.
    const retryable = ['overloaded_error', 'api_error', 'rate_limit_error', 'timeout_error'].includes(e.type ?? '');
    const why = describeError(e);
    if (!retryable && CONTEXT_400.test(why)) return { kind: 'context_window', why, status: null };
    return retryable ? { kind: 'retry', why, status: null, rateLimited: e.type === 'rate_limit_error', afterMs: undefined } : { kind: 'failed', why, status: null };
  }
  // Connection errors, a body cut off ("terminated"), a stream that ended without message_stop, truncated
  // JSON: the transport broke, whatever class the SDK gives it.
  return { kind: 'retry', why: describeError(e), status: null, rateLimited: false, afterMs: undefined };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const defaultBackoff = (retry: number): number => Math.random() * Math.min(60_000, 1000 * 2 ** retry);

/**
 * One model turn through the Messages API, with this module owning the retries (the SDK's are off) so that
 * every transport fault is retried the same way, streaming or not, and so that waiting is not charged to the
 * model. `budgetMs` is what is left of the model's clock: when it runs out while the response is arriving,
 * the call ends as `time_limit`; when it runs out while nothing arrives, the stall detector decides (a stall
 * is the API's fault and is retried).
 */
export async function callModel(s: CallSettings, params: MessageCreateParamsNonStreaming, budgetMs: number): Promise<CallResult> {
  let waitMs = 0;
  const estimate = Math.ceil(JSON.stringify(params.messages).length / 4) + Math.ceil(JSON.stringify(params.system ?? '').length / 4);
  for (let attempt = 0; ; attempt++) {
    if (s.signal.aborted) return { kind: 'aborted', modelMs: 0, waitMs };
    const gateStart = performance.now();
    let release: ((outcome: 'ok' | 'rate_limited' | 'failed', actual?: number) => void) | undefined;
    if (s.gate !== undefined) {
      try {
        release = await s.gate.acquire(estimate, s.signal);
      } catch {
        return { kind: 'aborted', modelMs: 0, waitMs: waitMs + (performance.now() - gateStart) };
      }
    }
    waitMs += performance.now() - gateStart;

    const started = performance.now();
    let lastByte = started;
    let received = false;
    let cut: 'stall' | 'time_limit' | undefined;
    const request = new AbortController();
    const stop = (why: 'stall' | 'time_limit'): void => {
      cut ??= why;
      request.abort();
    };
    const onByte = (): void => {
      lastByte = performance.now();
      received = true;
      if (lastByte - started >= budgetMs) stop('time_limit');
    };
    // One timer re-armed for whichever comes first: the stall window since the last byte, or the budget.
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const now = performance.now();
      if (now - lastByte >= s.stallMs) return stop('stall');
      // The budget cuts a live response only: with no byte yet, the stall window decides whose fault it is.
      if (now - started >= budgetMs && received && now - lastByte < s.stallMs) return stop('time_limit');
      const untilStall = lastByte + s.stallMs - now;
      const untilBudget = started + budgetMs - now;
      timer = setTimeout(arm, Math.max(1, untilBudget > 0 ? Math.min(untilStall, untilBudget) : untilStall));
    };
    arm();
    const observe: Middleware = async (req, next) => {
      const res = await next(req);
      onByte();
      if (res.body === null) return res;
      const body = res.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            onByte();
            controller.enqueue(chunk);
          },
        }),
      );
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
    const options = {
      signal: AbortSignal.any([s.signal, request.signal]),
      maxRetries: 0,
      // The stall detector and the model's clock bound a request; the SDK's own timeout would cut long generations.
      timeout: 24 * 3_600_000,
      middleware: [observe],
      ...(s.headers === undefined ? {} : { headers: { ...s.headers } }),
    };
    let error: unknown;
    try {
      const message = s.stream ? await s.client.messages.stream(params, options).finalMessage() : await s.client.messages.create({ ...params, stream: false }, options);
      clearTimeout(timer);
      release?.('ok', message.usage?.input_tokens);
      return { kind: 'message', message, modelMs: performance.now() - started, waitMs };
    } catch (e) {
      clearTimeout(timer);
      error = e;
    }
    const spent = performance.now() - started;
    if (s.signal.aborted) {
      release?.('failed');
      return { kind: 'aborted', modelMs: 0, waitMs: waitMs + spent };
    }
    if (cut === 'time_limit') {
      release?.('ok');
      return { kind: 'time_limit', modelMs: spent, waitMs };
    }
    const verdict: Verdict = cut === 'stall' ? { kind: 'retry', why: `stalled: no byte for ${s.stallMs % 1000 === 0 ? `${s.stallMs / 1000} s` : `${s.stallMs} ms`}${received ? '' : ' (before the headers)'}`, status: null, rateLimited: false, afterMs: undefined } : classify(error);
    release?.(verdict.kind === 'retry' && verdict.rateLimited ? 'rate_limited' : 'failed');
    // A refusal for length is the model's outcome and its request was the model's time; any other failure is the API's.
    if (verdict.kind === 'context_window') return { kind: 'context_window', error: verdict.why, modelMs: spent, waitMs };
    waitMs += spent;
    if (verdict.kind === 'fatal') return { kind: 'fatal', status: verdict.status, error: verdict.why, cause: error, modelMs: 0, waitMs };
    s.onFailure({ status: verdict.status, message: verdict.why, retry: attempt, willRetry: verdict.kind === 'retry' && attempt < s.retries });
    if (verdict.kind === 'failed') return { kind: 'failed', error: verdict.why, modelMs: 0, waitMs };
    if (attempt >= s.retries) return { kind: 'failed', error: `${verdict.why} (after ${s.retries} ${s.retries === 1 ? 'retry' : 'retries'})`, modelMs: 0, waitMs };
    const delay = Math.min(verdict.afterMs ?? (s.backoffMs ?? defaultBackoff)(attempt), s.maxRetryAfterMs ?? 600_000);
    const slept = performance.now();
    await sleep(delay, s.signal);
    waitMs += performance.now() - slept;
  }
}
