/**
 * SIGINT / SIGTERM during a batch `grade`: the CLI stops, kills every sandbox child (checked in the process
 * table, orphans included), prints only results of grades that really finished (none is turned into a false
 * `failed` by the interruption) and exits with the interrupted code and a message saying so.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { ROOT } from '../_helpers.ts';
import { hostileTask, parseBatch, processesWith, Scratch, settledProcesses, sources, variantYaml } from '../hostile/_support.ts';

let scratch: Scratch;
let yaml: string;
const dirs: string[] = [];

before(async () => {
  scratch = await Scratch.create('signals');
  const spec = await hostileTask();
  // A generous time limit: the slow submissions must still be running when the signal arrives.
  yaml = path.join(scratch.outside, 'task.yaml');
  await writeFile(yaml, await variantYaml({ timeMs: 60_000, memoryMb: 256, outputBytes: 8192, fileBytes: 65536 }));
  const { fix } = await sources();
  // Correct, but every forward() call spins for a while: grades stay in flight for many seconds.
  const slow = fix.replace('if (!this.training) return x;', 'const until = Date.now() + 200;\n    while (Date.now() < until) {}\n    if (!this.training) return x;');
  for (let i = 0; i < 6; i++) {
    const ws = await scratch.dir(`slow-${i}`);
    await initWorkspace(spec, ws, { force: true, contents: new Map([['dropout.ts', slow]]) });
    dirs.push(ws);
  }
});

after(async () => {
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, []);
  assert.ok(gone);
});

/** Children of the sandbox chain (node under unshare/setpriv/prlimit) carrying this file's marker. */
async function sandboxChildren(): Promise<{ pid: number; ppid: number; args: string }[]> {
  return (await processesWith(scratch.marker)).filter((p) => p.args.includes('--disallow-code-generation-from-strings'));
}

async function interruptBatch(signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; stdout: string; stderr: string; seen: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/run.ts'), 'grade', yaml, ...dirs, '--json', '--concurrency', '2'], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  // Wait until submissions are loaded and running (sandbox children exist and the batch is not done).
  let seen = 0;
  for (let i = 0; i < 600 && seen < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    seen = (await sandboxChildren()).length;
  }
  await new Promise((r) => setTimeout(r, 1500));
  child.kill(signal);
  const code = await closed;
  return { code, stdout, stderr, seen };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  it(`${signal} during a batch grade: exit 130 with a message, no orphan child, no result invented for the interrupted grades`, async () => {
    const r = await interruptBatch(signal);
    assert.ok(r.seen >= 2, `sandbox children never showed up: ${r.stderr.slice(0, 500)}`);
    assert.equal(r.code, 130, r.stderr.slice(0, 1000));
    assert.match(r.stderr, /interrupted/);
    // Every printed result is a real verdict on a slow-but-correct submission: none "failed" because we killed it.
    const results = parseBatch(r.stdout);
    assert.ok(results.size < dirs.length, 'the batch finished before the signal; nothing was interrupted');
    for (const result of results.values()) assert.equal(result.status, 'passed', result.feedback);
    assert.deepEqual(await settledProcesses(scratch.marker), [], 'children left behind');
  });
}
