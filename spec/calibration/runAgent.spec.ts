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

async function agent(policy: Policy, overrides: Partial<Omit<AgentOptions, 'limits'>> & { limits?: Partial<AgentLimits>; retries?: number } = {}) {
  const attempt = nextAttempt++;
  policyOf.set(attempt, policy);
  const ws = await tmp('rltask-agent-');
  await initWorkspace(spec, ws, { force: true });
  const transcript: Record<string, unknown>[] = [];
  const { limits, retries, ...rest } = overrides;
  const outcome = runAgent({
    client: createClient({ apiKey: 'test-key', baseUrl: server.url, maxRetries: retries ?? 2 }),
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
    assert.equal(r.inputTokens, 600_000);
  });

  it('stops at the time limit, aborting a request that never answers', async () => {
    const r = await (await agent('hang', { limits: { timeLimitMs: 300 } })).outcome;
    assert.equal(r.ending, 'time_limit');
    assert.equal(r.turns, 0);
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
    const { ws, outcome } = await agent('stream-error-then-fix', { streamRetries: 2 });
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

describe('createClient', () => {
  it('refuses to start without a key (E_API) and rejects a bad base URL (E_USAGE)', () => {
    assert.throws(() => createClient({ apiKey: undefined }), (e: unknown) => e instanceof RltaskError && e.code === 'E_API' && /ANTHROPIC_API_KEY/.test(e.message));
    assert.throws(() => createClient({ apiKey: '  ' }), (e: unknown) => e instanceof RltaskError && e.code === 'E_API');
    assert.throws(() => createClient({ apiKey: 'k', baseUrl: 'not a url' }), (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE');
    assert.throws(() => createClient({ apiKey: 'k', baseUrl: 'file:///etc' }), (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE');
  });
});
