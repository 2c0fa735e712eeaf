import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { BUG_LINE, cleanupTmp, cli, type CliResult, DROPOUT_YAML, dropoutWorkspace, ROOT } from '../_helpers.ts';

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
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

interface Entry {
  source: string;
  cache: string;
  stamp: string;
  crc: number;
}

// Built into node_modules/.rltask-cache-spec-* (inside the package, so that ts-morph resolves as from dist/), never
// over the dist/ a developer may be using.
describe('the V8 code caches of the production bundle (src/startup/runBundle.ts)', () => {
  let dir = '';
  let entry = '';
  let manifestFile = '';
  let manifest = '';
  const caches = new Map<string, Buffer>();
  let correct = '';
  let buggy = '';
  const expected = new Map<string, unknown>();

  const entries = (): Entry[] => JSON.parse(manifest) as Entry[];
  const cacheOf = (suffix: string): Entry => {
    const e = entries().find((x) => x.source.endsWith(suffix));
    assert.ok(e !== undefined, `no cache for ${suffix} in ${manifest}`);
    return e;
  };
  /** Grades both workspaces through the bundle with NODE_DEBUG=rltask-cache; returns what it said about caches. */
  const gradeBoth = async (): Promise<string> => {
    let debug = '';
    for (const [ws, code] of [[correct, 0], [buggy, 1]] as const) {
      const r = await run([entry, 'grade', DROPOUT_YAML, ws, '--json', '--seed', '7'], { NODE_DEBUG: 'rltask-cache' });
      assert.equal(r.code, code, r.stdout + r.stderr);
      assert.deepEqual(verdict(r.stdout), expected.get(ws));
      debug += r.stderr;
    }
    return debug;
  };

  before(async () => {
    dir = await mkdtemp(path.join(ROOT, 'node_modules', '.rltask-cache-spec-'));
    entry = path.join(dir, 'rltask.mjs');
    manifestFile = path.join(dir, 'v8-cache', 'manifest.json');
    const r = await run(['--import', 'tsx', path.join(ROOT, 'scripts/build.ts'), '--outfile', entry]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    manifest = await readFile(manifestFile, 'utf8');
    for (const e of entries()) caches.set(e.cache, await readFile(path.join(dir, 'v8-cache', e.cache)));
    correct = await dropoutWorkspace((s) => s.replace(BUG_LINE, 'const scale = 1.0 / Math.sqrt(keepProb);'));
    buggy = await dropoutWorkspace();
    // The verdicts of the TypeScript source, without any bundle or cache.
    for (const ws of [correct, buggy]) expected.set(ws, verdict((await cli(['grade', DROPOUT_YAML, ws, '--json', '--seed', '7'])).stdout));
  });
  // Every case starts from the caches the build wrote.
  beforeEach(async () => {
    await writeFile(manifestFile, manifest);
    for (const [name, data] of caches) await writeFile(path.join(dir, 'v8-cache', name), data);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await cleanupTmp();
  });

  it('the build caches the bundle and the TypeScript compiler, and a grade uses them', async () => {
    assert.equal(cacheOf('rltask.cjs').source, 'rltask.cjs');
    // CommonJS, but as strict as the ES modules it was bundled from.
    assert.match(await readFile(path.join(dir, 'rltask.cjs'), 'utf8'), /^'use strict';\n/);
    cacheOf(path.join('@ts-morph', 'common', 'dist', 'typescript.js'));
    const debug = await gradeBoth();
    assert.match(debug, /used cache for .*[/\\]rltask\.cjs$/m);
    assert.match(debug, /used cache for .*[/\\]typescript\.js$/m);
    assert.doesNotMatch(debug, /rejected|corrupted|stale/);
  });

  it('a grade does not load the Anthropic SDK (only calibrate does, when it runs)', async () => {
    const r = await run([entry, 'grade', DROPOUT_YAML, correct, '--json', '--seed', '7'], { NODE_DEBUG: 'module' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The module log names what the bundle requires from node_modules: the compiler, not the SDK.
    assert.match(r.stderr, /typescript\.js/);
    assert.doesNotMatch(r.stderr, /@anthropic-ai[/\\]sdk/);
  });

  it('a corrupted cache file is not used, and the verdicts stay the same', async () => {
    const e = cacheOf('typescript.js');
    const data = Buffer.from(caches.get(e.cache)!);
    for (let i = 64; i < data.length; i += 4096) data[i] = data[i]! ^ 0xff;
    await writeFile(path.join(dir, 'v8-cache', e.cache), data);
    const debug = await gradeBoth();
    assert.match(debug, /corrupted cache for .*typescript\.js$/m);
    assert.match(debug, /used cache for .*rltask\.cjs$/m);
  });

  it('an intact cache made from another source is rejected by V8, and the verdicts stay the same', async () => {
    // esbuild's cache (with a matching CRC) where the TypeScript compiler's should be: only V8's own check stops it.
    const ts = cacheOf('typescript.js');
    const other = caches.get(cacheOf(path.join('esbuild', 'lib', 'main.js')).cache)!;
    await writeFile(path.join(dir, 'v8-cache', ts.cache), other);
    await writeFile(manifestFile, JSON.stringify(entries().map((e) => (e.cache === ts.cache ? { ...e, crc: crc32(other) } : e))));
    const debug = await gradeBoth();
    assert.match(debug, /rejected cache for .*typescript\.js$/m);
  });

  it('a cache whose source changed since the build is not used, and the verdicts stay the same', async () => {
    // As if rltask.cjs had been rewritten after the caches were made: the manifest's stamp (size, inode, ctime of
    // the source at build time) no longer matches the file. (Touching a file would make the same point, but the
    // other sources are the package's node_modules.)
    await writeFile(manifestFile, JSON.stringify(entries().map((e) => (e.source === 'rltask.cjs' ? { ...e, stamp: '0/0/0' } : e))));
    const debug = await gradeBoth();
    assert.match(debug, /stale cache for .*rltask\.cjs$/m);
    assert.match(debug, /used cache for .*typescript\.js$/m);
  });

  it('without a usable manifest (garbage, or none) every verb works as without caches', async () => {
    await writeFile(manifestFile, '{"not": "a manifest"');
    assert.match(await gradeBoth(), /no usable manifest/);
    await rm(manifestFile);
    await gradeBoth();
    const list = await run([entry, 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^variance-dropout\s+v1\s/m);
  });

  it('refuses the caches of a world-writable cache directory or cache file, and the verdicts stay the same', async () => {
    const cacheDir = path.join(dir, 'v8-cache');
    const ts = path.join(cacheDir, cacheOf('typescript.js').cache);
    try {
      await chmod(ts, 0o666);
      const one = await gradeBoth();
      assert.match(one, /refusing the world-writable cache for .*typescript\.js$/m);
      assert.match(one, /used cache for .*rltask\.cjs$/m);
      await chmod(ts, 0o644);
      await chmod(cacheDir, 0o777);
      const all = await gradeBoth();
      assert.match(all, /refusing the caches in .*: world-writable/);
      assert.doesNotMatch(all, /used cache/);
    } finally {
      await chmod(ts, 0o644);
      await chmod(cacheDir, 0o755);
    }
  });

  it('reads caches only from the v8-cache directory next to the bundle, whatever the manifest names', async () => {
    // A manifest naming a cache elsewhere (here: a copy outside v8-cache/) is confined to v8-cache/ by name.
    const e = cacheOf('typescript.js');
    const outside = path.join(dir, 'elsewhere.bin');
    await copyFile(path.join(dir, 'v8-cache', e.cache), outside);
    await rm(path.join(dir, 'v8-cache', e.cache));
    await writeFile(manifestFile, JSON.stringify(entries().map((x) => (x.cache === e.cache ? { ...x, cache: path.join('..', 'elsewhere.bin') } : x))));
    const debug = await gradeBoth();
    assert.doesNotMatch(debug, /used cache for .*typescript\.js$/m);
  });
});
