import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from '../../src/calibration/createClient.ts';
import { SYSTEM_PROMPT } from '../../src/calibration/promptFor.ts';
import { type AgentLimits, type AgentOptions, runAgent } from '../../src/calibration/runAgent.ts';
import { WorkspaceTools } from '../../src/calibration/WorkspaceTools.ts';
import { RltaskError } from '../../src/errors.ts';
import { caseContents, taskCases } from '../../src/grading/gradeCases.ts';
import type { TaskSpec } from '../../src/task/loadTask.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { cleanupTmp, dropoutTask, tmp } from '../_helpers.ts';
import { type Policy, type StandIn, startStandIn } from './_standIn.ts';

const LIMITS: AgentLimits = { maxTurns: 10, tokenBudget: 100_000, timeLimitMs: 60_000, maxTokens: 1024 };

let spec: TaskSpec;
let server: StandIn;
/** Attempt number → policy; each test registers the attempts it uses. */
const policyOf = new Map<number, Policy>();
let nextAttempt = 1;

before(async () => {
  spec = await dropoutTask();
  server = await startStandIn({ spec, policyFor: (a) => policyOf.get(a) ?? 'keep-bug' });
});
after(async () => {
  await server.close();
  await cleanupTmp();
});

async function agent(policy: Policy, overrides: Partial<Omit<AgentOptions, 'limits'>> & { limits?: Partial<AgentLimits> } = {}) {
  const attempt = nextAttempt++;
  policyOf.set(attempt, policy);
  const ws = await tmp('rltask-agent-');
  await initWorkspace(spec, ws, { force: true });
  const transcript: Record<string, unknown>[] = [];
  const { limits, ...rest } = overrides;
  const outcome = runAgent({
    client: createClient({ apiKey: 'test-key', baseUrl: server.url }),
    retries: 2,
    backoffMs: () => 5,
    model: 'stand-in-model',
    system: SYSTEM_PROMPT,
    prompt: spec.prompt,
    tools: await WorkspaceTools.open(spec, ws),
    limits: { ...LIMITS, ...limits },
    headers: { 'x-rltask-attempt': String(attempt) },
    onTranscript: (e) => transcript.push({ ...e }),
    ...rest,
  });
  return { attempt, ws, transcript, outcome };
}

const reference = (): string => caseContents(spec, taskCases(spec).find((c) => c.kind === 'reference')!).get('dropout.ts')!;

describe('runAgent against the stand-in Messages API', () => {
  for (const stream of [true, false]) {
    it(`runs tool calls until end_turn (${stream ? 'server-sent events' : 'JSON responses'})`, async () => {
      const { attempt, ws, transcript, outcome } = await agent('fix', { stream });
      const r = await outcome;
      assert.equal(r.ending, 'end_turn');
      assert.equal(r.turns, 5);
      assert.equal(r.httpErrors, 0);
      assert.ok(r.inputTokens > 0 && r.outputTokens > 0);
      assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference());
      const mine = server.requestLog.filter((q) => q.attempt === attempt);
      assert.deepEqual(mine.map((q) => q.step), [0, 1, 2, 3, 4]);
      assert.ok(mine.every((q) => q.stream === stream && q.model === 'stand-in-model' && q.status === 200));
      // The tool results went back to the model, and the transcript has every turn and tool call.
      const results = server.toolResults.filter((t) => t.attempt === attempt);
      assert.deepEqual(results.map((t) => t.name), ['list_files', 'read_file', 'write_file', 'run_tests']);
      assert.match(results[3]!.content, /# all tests passed\nvisible tests passed$/);
      assert.deepEqual(transcript.map((e) => e['type']), ['start', 'response', 'tool', 'response', 'tool', 'response', 'tool', 'response', 'tool', 'response', 'end']);
    });
  }

  it('stops at --max-turns', async () => {
    const r = await (await agent('loop', { limits: { maxTurns: 3 } })).outcome;
    assert.equal(r.ending, 'max_turns');
    assert.equal(r.turns, 3);
  });

  it('stops when the token budget is spent', async () => {
    const r = await (await agent('token-hog', { limits: { tokenBudget: 500_000 } })).outcome;
    assert.equal(r.ending, 'token_budget');
    assert.equal(r.turns, 1);
    assert.equal(r.usage.input, 600_000);
    assert.equal(r.inputTokens, r.usage.input + r.usage.cacheWrite + r.usage.cacheRead);
  });

  it("stops at the model's time limit, cutting off a response that is still arriving", async () => {
    const r = await (await agent('trickle', { limits: { timeLimitMs: 300 } })).outcome;
    assert.equal(r.ending, 'time_limit');
    assert.equal(r.turns, 0);
    assert.equal(r.httpErrors, 0);
    assert.ok(r.modelMs >= 300, `the cut-off generation is the model's time (${r.modelMs} ms)`);
  });

  it('retries a request that never answers (a stall is the API’s fault, not the model’s), then gives up as api_error', async () => {
    const { transcript, outcome } = await agent('hang', { limits: { timeLimitMs: 200 }, stallMs: 150, retries: 1 });
    const r = await outcome;
    assert.equal(r.ending, 'api_error');
    assert.match(r.error ?? '', /stalled: no byte .* \(before the headers\) \(after 1 retry\)/);
    assert.equal(r.httpErrors, 2);
    assert.equal(r.modelMs, 0, 'none of the waiting is on the model’s clock');
    assert.ok(r.apiWaitMs >= 300);
    assert.equal(transcript.filter((e) => e['type'] === 'http_error').length, 2);
  });

  it('stops when aborted from outside', async () => {
    const controller = new AbortController();
    const run = await agent('hang', { signal: controller.signal });
    setImmediate(() => controller.abort());
    assert.equal((await run.outcome).ending, 'aborted');
  });

  it('retries an overloaded (529) response and recovers', async () => {
    const { attempt, ws, transcript, outcome } = await agent('overloaded-then-fix');
    const r = await outcome;
    assert.equal(r.ending, 'end_turn');
    assert.equal(r.httpErrors, 1);
    assert.deepEqual(server.requestLog.filter((q) => q.attempt === attempt).map((q) => q.status), [529, 200, 200, 200]);
    assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference());
    assert.ok(transcript.some((e) => e['type'] === 'http_error' && e['status'] === 529));
  });

  it('retries a stream that breaks off with an overloaded error event', async () => {
    const { ws, outcome } = await agent('stream-error-then-fix', { retries: 2 });
    const r = await outcome;
    assert.equal(r.ending, 'end_turn');
    assert.equal(r.httpErrors, 1);
    assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference());
  });

  it('ends with api_error when the server keeps failing, after the retries', async () => {
    const { attempt, transcript, outcome } = await agent('server-error', { retries: 2 });
    const r = await outcome;
    assert.equal(r.ending, 'api_error');
    assert.match(r.error ?? '', /HTTP 500/);
    assert.equal(r.httpErrors, 3);
    assert.equal(server.requestLog.filter((q) => q.attempt === attempt).length, 3, 'one request and two retries');
    assert.equal(transcript.at(-1)?.['ending'], 'api_error');
  });

  it('throws E_API on 401: no retry can fix a bad key', async () => {
    const { attempt, outcome } = await agent('unauthorized', { retries: 3 });
    await assert.rejects(outcome, (e: unknown) => e instanceof RltaskError && e.code === 'E_API' && /401/.test(e.message) && /ANTHROPIC_API_KEY/.test(e.message));
    assert.equal(server.requestLog.filter((q) => q.attempt === attempt).length, 1, '401 is not retried');
  });
});

describe('runAgent: faults of the transport are retried and never charged to the model', () => {
  for (const stream of [true, false]) {
    const mode = stream ? 'server-sent events' : 'JSON';
    it(`a connection reset mid-body is retried and the attempt goes on (${mode})`, async () => {
      const { attempt, ws, transcript, outcome } = await agent('reset-then-fix', { stream });
      const r = await outcome;
      assert.equal(r.ending, 'end_turn');
      assert.equal(r.httpErrors, 1);
      assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference());
      assert.deepEqual(server.requestLog.filter((q) => q.attempt === attempt).map((q) => q.step), [0, 0, 1, 2]);
      assert.ok(transcript.some((e) => e['type'] === 'http_error' && e['willRetry'] === true));
    });

    it(`a body that ends cleanly but early (no message_stop, truncated JSON) is retried (${mode})`, async () => {
      const { ws, outcome } = await agent('no-stop-then-fix', { stream });
      const r = await outcome;
      assert.equal(r.ending, 'end_turn');
      assert.equal(r.httpErrors, 1);
      assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference());
    });

    it(`a stall before the headers is retried after --stall-seconds (${mode})`, async () => {
      const { transcript, outcome } = await agent('stall-before-headers-then-fix', { stream, stallMs: 200 });
      const r = await outcome;
      assert.equal(r.ending, 'end_turn');
      assert.equal(r.httpErrors, 1);
      assert.match(String(transcript.find((e) => e['type'] === 'http_error')?.['message']), /stalled: .*before the headers/);
      assert.ok(r.apiWaitMs >= 200);
    });

    it(`a stall after the headers is retried (${mode})`, async () => {
      const { transcript, outcome } = await agent('stall-after-headers-then-fix', { stream, stallMs: 200 });
      const r = await outcome;
      assert.equal(r.ending, 'end_turn');
      assert.equal(r.httpErrors, 1);
      const message = String(transcript.find((e) => e['type'] === 'http_error')?.['message']);
      assert.match(message, /stalled/);
      assert.doesNotMatch(message, /before the headers/);
    });
  }

  it('a 429 whose retry-after outlasts the time left is waited out, and the wait is not the model’s time', async () => {
    const { ws, transcript, outcome } = await agent('rate-limited-then-fix', { limits: { timeLimitMs: 1000 } });
    const r = await outcome;
    assert.equal(r.ending, 'end_turn', 'the 2 s back-off did not use up the 1 s the model has');
    assert.equal(r.httpErrors, 1);
    assert.equal(r.rateLimited, 1);
    assert.ok(r.apiWaitMs >= 2000, `waited ${r.apiWaitMs} ms`);
    assert.ok(r.modelMs < 1000);
    assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference());
    assert.equal(transcript.find((e) => e['type'] === 'http_error')?.['status'], 429);
  });
});

describe('runAgent: requests stay valid and limits are the model’s outcomes', () => {
  it('drops empty and whitespace-only text blocks from the turn sent back (the API refuses them), noting it', async () => {
    const { attempt, ws, transcript, outcome } = await agent('empty-text-then-fix');
    const r = await outcome;
    assert.equal(r.ending, 'end_turn');
    assert.equal(r.httpErrors, 0, 'no request was refused');
    assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference());
    assert.ok(server.requestLog.filter((q) => q.attempt === attempt).every((q) => q.status === 200));
    const responses = transcript.filter((e) => e['type'] === 'response');
    assert.ok(responses.every((e) => /2 empty text blocks not sent back/.test(String(e['note']))));
    assert.ok(responses.every((e) => Array.isArray(e['content']) && !JSON.stringify(e['content']).includes('"text":""')));
  });

  it('a "prompt is too long" refusal ends the attempt as context_window, the model’s outcome', async () => {
    const { outcome } = await agent('prompt-too-long');
    const r = await outcome;
    assert.equal(r.ending, 'context_window');
    assert.equal(r.turns, 1);
    assert.equal(r.httpErrors, 0, 'not an API failure');
    assert.match(r.error ?? '', /prompt is too long/);
  });

  it('max_tokens inside a tool call: the call is not run, the model is told, and the loop goes on', async () => {
    const { attempt, ws, outcome } = await agent('max-tokens-in-tool-use');
    const r = await outcome;
    assert.equal(r.ending, 'end_turn');
    assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference(), 'the cut-off write_file was not run; the later fix was');
    const told = server.toolResults.find((t) => t.attempt === attempt && t.name === 'write_file');
    assert.ok(told?.isError === true && /cut off at max_tokens \(1024\)/.test(told.content));
  });

  it('records an unknown stop_reason as it came', async () => {
    const { transcript, outcome } = await agent('unknown-stop');
    const r = await outcome;
    assert.equal(r.ending, 'unknown_stop');
    assert.equal(r.stopReason, 'future_reason');
    assert.equal(transcript.find((e) => e['type'] === 'response')?.['stop_reason'], 'future_reason');
  });

  it('a JSON response without usage is handled: the turn counts, its tokens are unknown', async () => {
    const { ws, outcome } = await agent('no-usage-then-fix', { stream: false });
    const r = await outcome;
    assert.equal(r.ending, 'end_turn');
    assert.equal(r.turns, 3);
    assert.equal(r.responsesWithoutUsage, 3);
    assert.equal(r.inputTokens, 0);
    assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), reference());
  });
});

describe('runAgent: prompt caching', () => {
  it('puts cache breakpoints on the system prompt, the tools and the latest turn, and records the cache usage', async () => {
    const { attempt, transcript, outcome } = await agent('fix');
    const r = await outcome;
    const body = server.lastBody.get(attempt) as { system: { cache_control?: unknown }[]; tools: { cache_control?: unknown }[]; messages: { role: string; content: string | { cache_control?: unknown }[] }[] };
    assert.deepEqual(body.system[0]?.cache_control, { type: 'ephemeral' });
    assert.deepEqual(body.tools.at(-1)?.cache_control, { type: 'ephemeral' });
    assert.equal(body.tools.filter((t) => t.cache_control !== undefined).length, 1);
    const marked = body.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content.filter((b) => b.cache_control !== undefined)));
    assert.equal(marked.length, 1, 'one breakpoint in the conversation: the latest turn');
    const latest = body.messages.at(-1)?.content;
    assert.ok(Array.isArray(latest));
    assert.deepEqual(latest.at(-1)?.cache_control, { type: 'ephemeral' });
    // What the stand-in billed is what the outcome adds up, by kind.
    const billed = server.usageLog.filter((u) => u.attempt === attempt);
    const total = (k: 'input' | 'cacheWrite' | 'cacheRead' | 'output'): number => billed.reduce((n, u) => n + u[k], 0);
    assert.deepEqual(r.usage, { input: total('input'), cacheWrite: total('cacheWrite'), cacheRead: total('cacheRead'), output: total('output') });
    assert.ok(r.usage.cacheRead > r.usage.cacheWrite, 'later turns read what earlier turns wrote');
    // The transcript keeps the usage with its cache fields, and the tool input only once (in the response).
    const response = transcript.find((e) => e['type'] === 'response');
    assert.ok(response !== undefined && typeof response['usage'] === 'object' && response['usage'] !== null && 'cache_read_input_tokens' in response['usage']);
    assert.ok(transcript.filter((e) => e['type'] === 'tool').every((e) => !('input' in e)));
  });

  it('sends no breakpoints when caching is off', async () => {
    const { attempt, outcome } = await agent('fix', { cache: false });
    await outcome;
    assert.doesNotMatch(JSON.stringify(server.lastBody.get(attempt)), /cache_control/);
  });
});

describe('createClient', () => {
  it('refuses to start without a key (E_API) and rejects a bad base URL (E_USAGE)', () => {
    assert.throws(() => createClient({ apiKey: undefined }), (e: unknown) => e instanceof RltaskError && e.code === 'E_API' && /ANTHROPIC_API_KEY/.test(e.message));
    assert.throws(() => createClient({ apiKey: '  ' }), (e: unknown) => e instanceof RltaskError && e.code === 'E_API');
    assert.throws(() => createClient({ apiKey: 'k', baseUrl: 'not a url' }), (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE');
    assert.throws(() => createClient({ apiKey: 'k', baseUrl: 'file:///etc' }), (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE');
  });
});
