/** src/run.ts, the entry: what reaches the user when an error escapes every verb's own reporting. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { cleanupTmp, type CliResult, ROOT, tmp } from '../_helpers.ts';

after(cleanupTmp);

/** The real entry with `args`, and a promise rejected (with no handler) just after it has started. */
async function withStrayRejection(args: readonly string[]): Promise<CliResult> {
  const probe = path.join(await tmp(), 'probe.mts');
  await writeFile(
    probe,
    [
      "process.argv = [process.argv[0]!, 'rltask', ...process.argv.slice(2)];",
      `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/run.ts')).href)});`,
      "setTimeout(() => void Promise.reject(new Error('stray failure\\nsecond line')), 1);",
    ].join('\n'),
  );
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', probe, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 99, stdout, stderr });
    });
  });
}

describe('src/run.ts', () => {
  it('an error no verb reported is exit 3 with one line and a hint (not Node\'s stack trace and exit 1)', async () => {
    const r = await withStrayRejection(['list']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr, 'rltask: internal error: stray failure (re-run with --debug for the stack trace)\n');
  });

  it('--debug shows its stack trace', async () => {
    const r = await withStrayRejection(['list', '--debug']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^rltask: internal error: Error: stray failure\nsecond line\n\s+at /);
  });
});
