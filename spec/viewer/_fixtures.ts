import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cli, DROPOUT_YAML, dropoutTask, tmp } from '../_helpers.ts';
import { type Policy, startStandIn } from '../calibration/_standIn.ts';

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ANTHROPIC_')) e[k] = v;
  return { ...e, ANTHROPIC_API_KEY: 'test-key' };
}

/**
 * A calibration output directory made by the real `rltask calibrate` against the stand-in Messages API, attempt n
 * following `policies[n - 1]`.
 */
export async function calibrationRun(policies: readonly Policy[], variant?: string): Promise<string> {
  const server = await startStandIn({ spec: await dropoutTask(), policyFor: (a) => policies[(a - 1) % policies.length] ?? 'keep-bug' });
  try {
    const out = path.join(await tmp('rltask-view-'), variant ?? 'default');
    const args = ['calibrate', DROPOUT_YAML, '--runs', String(policies.length), '--concurrency', '4', '--model', 'stand-in', '--out', out, '--base-url', server.url, '--retries', '2'];
    const r = await cli([...args, ...(variant === undefined ? [] : ['--variant', variant])], { env: env() });
    // 0: in band, 1: out of band or undecided; both leave a complete run.
    if (r.code !== 0 && r.code !== 1) throw new Error(`calibrate exited ${r.code}: ${r.stderr}`);
    return out;
  } finally {
    await server.close();
  }
}

/** `rltask grade --json` over some of a run's final workspaces, written to a .jsonl file. */
export async function gradeBatch(runDir: string, attempts: readonly number[]): Promise<string> {
  const r = await cli(['grade', DROPOUT_YAML, ...attempts.map((n) => path.join(runDir, 'workspaces', String(n))), '--json']);
  // 0: all passed, 1: some failed; the JSON lines are what matters.
  if (r.code !== 0 && r.code !== 1) throw new Error(`grade exited ${r.code}: ${r.stderr}`);
  const file = path.join(await tmp('rltask-view-grades-'), 'grades.jsonl');
  await writeFile(file, r.stdout);
  return file;
}
