// A local stand-in for the Anthropic Messages API (POST /v1/messages), JSON and server-sent events, for
// calibration tests. Each conversation follows a scripted policy chosen from the attempt number the client
// sends in `x-rltask-attempt`; the script's step is the number of assistant turns already in the request,
// so conversations are independent of each other and of the concurrency.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TaskSpec } from '../../src/task/loadTask.ts';

export const policies = [
  'fix', // read, write_file with the reference fix, run the tests, stop
  'fix-str-replace', // read, str_replace with the solution's edits, stop
  'keep-bug', // look around, run the tests, give up
  'edit-tests', // weaken the protected test file
  'escape', // try to read and write outside the workspace
  'mimic-bug', // a textually different rewrite that behaves exactly like the bug
  'overloaded-then-fix', // first request 529 overloaded, then fix-str-replace
  'stream-error-then-fix', // first stream breaks with an overloaded error event, then fix-str-replace
  'server-error', // every request 500
  'unauthorized', // every request 401
  'loop', // list_files forever
  'token-hog', // reports a huge token usage
  'hang', // never answers
  'reset-then-fix', // first response: the connection is reset mid-body; then fix-str-replace
  'no-stop-then-fix', // first response: the body ends cleanly but early (no message_stop / truncated JSON); then fix-str-replace
  'stall-before-headers-then-fix', // first request: no byte at all; then fix-str-replace
  'stall-after-headers-then-fix', // first request: headers and message_start, then nothing; then fix-str-replace
  'rate-limited-then-fix', // first request 429 with retry-after 2 s; then fix-str-replace
  'empty-text-then-fix', // every reply carries an empty and a whitespace-only text block
  'prompt-too-long', // from the second request on, 400 "prompt is too long"
  'max-tokens-in-tool-use', // a write_file cut off by max_tokens; once told so, fix-str-replace
  'no-usage-then-fix', // fix-str-replace, JSON responses without `usage` (some gateways)
  'unknown-stop', // ends with a stop_reason this client does not know
  'garbage', // a 200 JSON response whose content is not a list (an exception inside the loop)
  'trickle', // a stream that stays alive (pings) but never finishes: only the model's clock stops it
] as const;
export type Policy = (typeof policies)[number];

export interface StandInOptions {
  readonly spec: TaskSpec;
  readonly policyFor: (attempt: number) => Policy;
  /** Every request must carry this key (as `Authorization: Bearer` or `x-api-key`), else 401. */
  readonly key?: string;
  /** An absolute path the `escape` policy tries to write. */
  readonly escapeTarget?: string;
  /** Port on 127.0.0.1 (default: any free one). */
  readonly port?: number;
}

export interface SeenToolResult {
  readonly attempt: number;
  readonly name: string;
  readonly input: unknown;
  readonly isError: boolean;
  readonly content: string;
}

export interface StandIn {
  readonly url: string;
  /** Every request received, including the ones answered with an error. */
  readonly requests: () => number;
  readonly requestLog: readonly { readonly attempt: number; readonly step: number; readonly stream: boolean; readonly status: number; readonly model: string }[];
  /** Tool results the client sent back, with the call they answer. */
  readonly toolResults: readonly SeenToolResult[];
  /** The usage each 200 response reported (cache fields included), per attempt. */
  readonly usageLog: readonly { readonly attempt: number; readonly input: number; readonly cacheWrite: number; readonly cacheRead: number; readonly output: number }[];
  /** The last request body of each attempt (to inspect what the client sent). */
  readonly lastBody: ReadonlyMap<number, unknown>;
  close(): Promise<void>;
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };
type MessageReply = { kind: 'message'; content: Block[]; stop: string; usage?: { input: number; output: number }; noUsage?: boolean; raw?: unknown };
type Reply =
  | MessageReply
  | { kind: 'error'; status: number; type: string; message: string; retryAfter?: string }
  | { kind: 'stream-error' }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'no-stop' }
  | { kind: 'stall-after-headers' }
  | { kind: 'trickle' };

/** What the real API refuses; the stand-in answers 400 as the API does. */
function invalidRequest(body: Body): string | undefined {
  for (const [i, m] of body.messages.entries()) {
    if (typeof m.content === 'string') {
      if (m.content.trim() === '') return `messages.${i}: text content blocks must be non-empty`;
      continue;
    }
    for (const [j, b] of m.content.entries()) {
      if (b.type === 'text' && (typeof b.text !== 'string' || b.text.trim() === '')) return `messages.${i}.content.${j}: text content blocks must be non-empty`;
    }
  }
  return undefined;
}

/** The request's size in stand-in tokens, and up to its last cache breakpoint. */
function cacheSplit(body: Body): { total: number; prefix: number } {
  const parts: unknown[] = [body.system ?? '', body.tools ?? [], ...body.messages];
  let total = 0;
  let prefix = 0;
  const hasBreakpoint = (x: unknown): boolean => JSON.stringify(x).includes('"cache_control"');
  for (const part of parts) {
    total += Math.ceil(JSON.stringify(part).length / 4);
    if (hasBreakpoint(part)) prefix = total;
  }
  return { total, prefix };
}

interface Body {
  model: string;
  stream?: boolean;
  system?: unknown;
  tools?: unknown[];
  messages: { role: string; content: string | { type: string; id?: string; name?: string; text?: string; input?: unknown; tool_use_id?: string; content?: unknown; is_error?: boolean; cache_control?: unknown }[] }[];
}

function lastToolResultText(body: Body): string {
  const last = body.messages.at(-1);
  if (last === undefined || typeof last.content === 'string') return '';
  const r = last.content.find((b) => b.type === 'tool_result');
  return typeof r?.content === 'string' ? r.content : '';
}

function applySolution(spec: TaskSpec, text: string, edits = spec.solution.edits): string {
  let out = text;
  for (const e of edits) out = out.replace(e.find, e.replace);
  return out;
}

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const { spec } = options;
  const subject = spec.grader.subject.file;
  const testsFile = spec.tests?.file ?? 'dropout.test.ts';
  const firstSeen = new Set<string>();
  const requestLog: { attempt: number; step: number; stream: boolean; status: number; model: string }[] = [];
  const toolResults: SeenToolResult[] = [];
  const usageLog: { attempt: number; input: number; cacheWrite: number; cacheRead: number; output: number }[] = [];
  const lastBody = new Map<number, unknown>();
  const cachedPrefix = new Map<number, number>();
  let count = 0;
  const once = (key: string): boolean => {
    if (firstSeen.has(key)) return false;
    firstSeen.add(key);
    return true;
  };

  const say = (text: string): MessageReply => ({ kind: 'message', content: [{ type: 'text', text }], stop: 'end_turn' });
  const call = (attempt: number, step: number, calls: [string, Record<string, unknown>][], text?: string): MessageReply => ({
    kind: 'message',
    content: [...(text === undefined ? [] : [{ type: 'text' as const, text }]), ...calls.map(([name, input], i) => ({ type: 'tool_use' as const, id: `toolu_${attempt}_${step}_${i}`, name, input }))],
    stop: 'tool_use',
  });

  const fixStrReplace = (attempt: number, step: number): Reply => {
    if (step === 0) return call(attempt, step, [['read_file', { path: subject }]]);
    if (step === 1) return call(attempt, step, spec.solution.edits.map((e): [string, Record<string, unknown>] => ['str_replace', { path: e.file, old: e.find, new: e.replace }]));
    return say('Replaced the scale with 1/sqrt(1-p).');
  };

  const script = (policy: Policy, attempt: number, step: number, body: Body): Reply => {
    switch (policy) {
      case 'fix':
        if (step === 0) return call(attempt, step, [['list_files', {}]], 'Let me look at the project.');
        if (step === 1) return call(attempt, step, [['read_file', { path: subject }]]);
        if (step === 2) return call(attempt, step, [['write_file', { path: subject, content: applySolution(spec, lastToolResultText(body)) }]]);
        if (step === 3) return call(attempt, step, [['run_tests', {}]]);
        return say('Fixed: kept units are now scaled by 1/sqrt(1-p).');
      case 'fix-str-replace':
        return fixStrReplace(attempt, step);
      case 'keep-bug':
        if (step === 0) return call(attempt, step, [['list_files', {}]]);
        if (step === 1) return call(attempt, step, [['run_tests', {}]]);
        return say('I could not find the bug.');
      case 'edit-tests':
        if (step === 0) return call(attempt, step, [['read_file', { path: testsFile }]]);
        if (step === 1) return call(attempt, step, [['write_file', { path: testsFile, content: lastToolResultText(body).replace(/if \(failures > 0\) throw[^\n]*\n/, '') }]]);
        return say('The tests pass now.');
      case 'escape':
        if (step === 0) {
          return call(attempt, step, [
            ['read_file', { path: '../../validation_results.json' }],
            ['read_file', { path: '/etc/hostname' }],
            ['write_file', { path: '../escaped.txt', content: 'outside' }],
            ['write_file', { path: 'sub/../../escaped.txt', content: 'outside' }],
            ['write_file', { path: options.escapeTarget ?? '/tmp/rltask-stand-in-escape.txt', content: 'outside' }],
            ['str_replace', { path: '../dropout.ts', old: 'a', new: 'b' }],
            ['read_file', { path: '~/.bashrc' }],
          ]);
        }
        return say('I tried to leave the workspace.');
      case 'mimic-bug':
        if (step === 0) return call(attempt, step, [['read_file', { path: subject }]]);
        if (step === 1) return call(attempt, step, [['write_file', { path: subject, content: lastToolResultText(body).replace('const scale = 1.0 / keepProb;', 'const scale = 1 / (1 - this.dropoutRate); // same as before') }]]);
        return say('Rewrote the scale.');
      case 'overloaded-then-fix':
      case 'stream-error-then-fix': {
        const key = `${attempt}`;
        if (!firstSeen.has(key)) {
          firstSeen.add(key);
          if (policy === 'stream-error-then-fix' && body.stream === true) return { kind: 'stream-error' };
          return { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' };
        }
        return fixStrReplace(attempt, step);
      }
      case 'server-error':
        return { kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' };
      case 'unauthorized':
        return { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' };
      case 'loop':
        return call(attempt, step, [['list_files', {}]]);
      case 'token-hog':
        if (step === 0) return { ...call(attempt, step, [['list_files', {}]]), usage: { input: 600_000, output: 10 } };
        return say('done');
      case 'hang':
        return { kind: 'hang' };
      case 'reset-then-fix':
        return once(`${attempt}`) ? { kind: 'reset' } : fixStrReplace(attempt, step);
      case 'no-stop-then-fix':
        return once(`${attempt}`) ? { kind: 'no-stop' } : fixStrReplace(attempt, step);
      case 'stall-before-headers-then-fix':
        return once(`${attempt}`) ? { kind: 'hang' } : fixStrReplace(attempt, step);
      case 'stall-after-headers-then-fix':
        return once(`${attempt}`) ? { kind: 'stall-after-headers' } : fixStrReplace(attempt, step);
      case 'rate-limited-then-fix':
        return once(`${attempt}`) ? { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit', retryAfter: '2' } : fixStrReplace(attempt, step);
      case 'empty-text-then-fix': {
        const r = fixStrReplace(attempt, step);
        return r.kind === 'message' ? { ...r, content: [{ type: 'text', text: '' }, ...r.content, { type: 'text', text: ' \n ' }] } : r;
      }
      case 'prompt-too-long':
        if (step === 0) return call(attempt, step, [['list_files', {}]]);
        return { kind: 'error', status: 400, type: 'invalid_request_error', message: 'prompt is too long: 212345 tokens > 200000 maximum' };
      case 'max-tokens-in-tool-use': {
        const cutOff = body.messages.some((m) => typeof m.content !== 'string' && m.content.some((b) => b.type === 'tool_result' && b.is_error === true && typeof b.content === 'string' && b.content.includes('cut off')));
        if (step === 0) return { ...call(attempt, step, [['write_file', { path: subject, content: 'export class VarianceStabilizedDropout {\n  constructor(' }]], 'I will rewrite the file.'), stop: 'max_tokens' };
        return cutOff ? fixStrReplace(attempt, step - 1) : say('I was never told my output was cut off.');
      }
      case 'no-usage-then-fix': {
        const r = fixStrReplace(attempt, step);
        return r.kind === 'message' ? { ...r, noUsage: true } : r;
      }
      case 'unknown-stop':
        return { ...say('Stopping for a reason from the future.'), stop: 'future_reason' };
      case 'garbage':
        return { kind: 'message', content: [], stop: 'end_turn', raw: { id: 'msg_garbage', type: 'message', role: 'assistant', model: body.model, content: 'not a list', stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } };
      case 'trickle':
        return { kind: 'trickle' };
    }
  };

  const recordToolResults = (attempt: number, body: Body): void => {
    const last = body.messages.at(-1);
    const prev = body.messages.at(-2);
    if (last === undefined || prev === undefined || typeof last.content === 'string' || typeof prev.content === 'string') return;
    for (const r of last.content) {
      if (r.type !== 'tool_result') continue;
      const use = prev.content.find((b) => b.type === 'tool_use' && b.id === r.tool_use_id);
      toolResults.push({ attempt, name: use?.name ?? '?', input: use?.input, isError: r.is_error === true, content: typeof r.content === 'string' ? r.content : '' });
    }
  };

  const attemptOfBody = new WeakMap<Body, number>();
  const attemptOf = (body: Body): number => attemptOfBody.get(body) ?? 0;
  const respond = (res: ServerResponse, body: Body, reply: Reply): number => {
    const stream = body.stream === true;
    if (reply.kind === 'hang') return 0;
    if (reply.kind === 'error') {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.retryAfter === undefined ? { 'retry-after-ms': '5' } : { 'retry-after': reply.retryAfter }), 'request-id': 'req_standin' });
      res.end(JSON.stringify({ type: 'error', error: { type: reply.type, message: reply.message } }));
      return reply.status;
    }
    const id = `msg_standin_${count}`;
    if (reply.kind === 'stream-error') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const start = { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 0 } } };
      res.write(`event: message_start\ndata: ${JSON.stringify(start)}\n\n`);
      res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`);
      return 200;
    }
    const startEvent = { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } };
    if (reply.kind === 'reset') {
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: message_start\ndata: ${JSON.stringify(startEvent)}\n\n`);
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4000' });
        res.write('{"id":"msg_cut","type":"message","content":[');
      }
      setTimeout(() => res.socket?.resetAndDestroy(), 20);
      return 200;
    }
    if (reply.kind === 'no-stop') {
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: message_start\ndata: ${JSON.stringify(startEvent)}\n\n`);
        res.end(`event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"msg_cut","type":"message","content":[');
      }
      return 200;
    }
    if (reply.kind === 'stall-after-headers') {
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.flushHeaders();
      if (stream) res.write(`event: message_start\ndata: ${JSON.stringify(startEvent)}\n\n`);
      return 200;
    }
    if (reply.kind === 'trickle') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message_start\ndata: ${JSON.stringify(startEvent)}\n\n`);
      const t = setInterval(() => res.write(`event: ping\ndata: {"type":"ping"}\n\n`), 20);
      res.on('close', () => clearInterval(t));
      return 200;
    }
    if (reply.raw !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.raw));
      return 200;
    }
    // Prompt caching as the API does it, in stand-in tokens: what the previous request cached up to its last
    // breakpoint is read, the rest up to this request's last breakpoint is written, the tail is plain input.
    const split = cacheSplit(body);
    const cacheRead = Math.min(cachedPrefix.get(attemptOf(body)) ?? 0, split.prefix);
    const cacheWrite = split.prefix - cacheRead;
    if (split.prefix > 0) cachedPrefix.set(attemptOf(body), split.prefix);
    const input = reply.usage?.input ?? split.total - split.prefix;
    const output = reply.usage?.output ?? Math.ceil(JSON.stringify(reply.content).length / 4);
    const usage = { input_tokens: input, output_tokens: output, cache_creation_input_tokens: cacheWrite, cache_read_input_tokens: cacheRead };
    const message = { id, type: 'message', role: 'assistant', model: body.model, content: reply.content, stop_reason: reply.stop, stop_sequence: null, stop_details: null, ...(reply.noUsage === true && !stream ? {} : { usage }) };
    usageLog.push({ attempt: attemptOf(body), input, cacheWrite, cacheRead, output });
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(message));
      return 200;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (event: string, data: unknown): void => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
    send('ping', { type: 'ping' });
    reply.content.forEach((b, index) => {
      if (b.type === 'text') {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        const mid = Math.floor(b.text.length / 2);
        for (const piece of [b.text.slice(0, mid), b.text.slice(mid)]) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
      } else {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
        const json = JSON.stringify(b.input);
        const mid = Math.floor(json.length / 2);
        for (const piece of [json.slice(0, mid), json.slice(mid)]) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    });
    send('message_delta', { type: 'message_delta', delta: { stop_reason: reply.stop, stop_sequence: null }, usage: { output_tokens: output } });
    send('message_stop', { type: 'message_stop' });
    res.end();
    return 200;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    count++;
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/messages')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
    const attempt = Number(req.headers['x-rltask-attempt'] ?? 0);
    const step = body.messages.filter((m) => m.role === 'assistant').length;
    const auth = String(req.headers['authorization'] ?? '').replace(/^Bearer /, '') || String(req.headers['x-api-key'] ?? '');
    recordToolResults(attempt, body);
    lastBody.set(attempt, body);
    attemptOfBody.set(body, attempt);
    const invalid = invalidRequest(body);
    const reply: Reply =
      options.key !== undefined && auth !== options.key
        ? { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' }
        : invalid !== undefined
          ? { kind: 'error', status: 400, type: 'invalid_request_error', message: invalid }
          : script(options.policyFor(attempt), attempt, step, body);
    const status = respond(res, body, reply);
    requestLog.push({ attempt, step, stream: body.stream === true, status, model: body.model });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(e) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    requestLog,
    toolResults,
    usageLog,
    lastBody,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
