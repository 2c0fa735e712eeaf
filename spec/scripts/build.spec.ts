import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BUG_LINE, cleanupTmp, cli, type CliResult, DROPOUT_YAML, dropoutWorkspace, ROOT } from '../_helpers.ts';

function run(args: readonly string[], cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 99;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Everything of a grade's JSON line except its timing. */
function verdict(stdout: string): unknown {
  const { durationMs: _d, ...rest } = JSON.parse(stdout.trim()) as Record<string, unknown>;
  return rest;
}

// The bundle is built into node_modules/.rltask-build-spec-* (under the package, so that its external packages resolve and
// the package root is found as from dist/), never over the dist/ a developer may be using.
describe('the production bundle (scripts/build.ts)', () => {
  let dir = '';
  let bundle = '';
  before(async () => {
    dir = await mkdtemp(path.join(ROOT, 'node_modules', '.rltask-build-spec-'));
    bundle = path.join(dir, 'rltask.mjs');
    const r = await run(['--import', 'tsx', path.join(ROOT, 'scripts/build.ts'), '--outfile', bundle]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await cleanupTmp();
  });

  it('grades a correct and a buggy workspace exactly as the TypeScript source does (harness embedded)', async () => {
    const correct = await dropoutWorkspace((s) => s.replace(BUG_LINE, 'const scale = 1.0 / Math.sqrt(keepProb);'));
    const buggy = await dropoutWorkspace();
    for (const [ws, code] of [[correct, 0], [buggy, 1]] as const) {
      const args = ['grade', DROPOUT_YAML, ws, '--json', '--seed', '7'];
      const fromBundle = await run([bundle, ...args]);
      const fromSource = await cli(args);
      assert.equal(fromBundle.code, code, fromBundle.stdout + fromBundle.stderr);
      assert.equal(fromSource.code, code, fromSource.stdout + fromSource.stderr);
      assert.deepEqual(verdict(fromBundle.stdout), verdict(fromSource.stdout));
    }
  });

  it("the library's entry points (package.json exports) import from plain Node, without tsx, and hide the sandbox", async () => {
    const pkg: unknown = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    const exportsMap = typeof pkg === 'object' && pkg !== null && 'exports' in pkg ? pkg.exports : undefined;
    assert.ok(typeof exportsMap === 'object' && exportsMap !== null);
    const expected: Record<string, { file: string; has: string[] }> = {
      '.': { file: 'index.mjs', has: ['loadTask', 'initWorkspace', 'gradeWorkspace', 'gradeMany', 'selfTest', 'runVisibleTests', 'tuneV8', 'RltaskError', 'SpecError'] },
      './properties': { file: 'properties.mjs', has: ['defineProperty', 'resolveProperty', 'propertyItems', 'PropertyFailure'] },
      './calibration': { file: 'calibration.mjs', has: ['calibrate', 'createClient', 'summarize'] },
    };
    for (const [subpath, { file, has }] of Object.entries(expected)) {
      const target: unknown = Reflect.get(exportsMap, subpath);
      assert.deepEqual(target, { types: Reflect.get(target ?? {}, 'types'), default: `./dist/lib/${file}` }, subpath);
      const script = `import(${JSON.stringify(pathToFileURL(path.join(dir, 'lib', file)).href)}).then((m) => console.log(JSON.stringify(Object.keys(m))))`;
      const r = await run(['-e', script]);
      assert.equal(r.code, 0, r.stderr);
      const names: unknown = JSON.parse(r.stdout);
      assert.ok(Array.isArray(names));
      for (const name of has) assert.ok(names.includes(name), `${subpath} exports ${name}`);
      for (const internal of ['Sandbox', 'SandboxPool', 'Oracle', 'killAllSandboxes']) assert.ok(!names.includes(internal), `${subpath} hides ${internal}`);
    }
  });

  it('finds the default task of `demo` and the task files from its own location', async () => {
    const r = await run([bundle, 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^variance-dropout\s+v1\s/m);
    // From another working directory: the default task is found relative to the bundle, not the cwd.
    const demo = await run([bundle, 'demo'], tmpdir());
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
    assert.match(demo.stdout, /^(\d+)\/\1 cases got the expected verdict$/m);
  });
});
