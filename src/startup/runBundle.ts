import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { debuglog } from 'node:util';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';
import { tuneV8 } from './tuneV8.ts';

/**
 * Starts the CommonJS production bundle (dist/rltask.cjs) with V8 code caches, for the bundle itself and for the
 * big CommonJS packages it loads (the TypeScript compiler ts-morph carries, megabytes of JavaScript): V8 then
 * deserializes compiled code instead of parsing and compiling it on every start. Node 20 has no
 * `module.enableCompileCache`, hence vm.Script with `cachedData`.
 *
 * SECURITY: a code cache is code. V8 checks only a hash of the source's length (plus its version and flags)
 * before running the cached bytecode, so a cache from an untrusted place is code injection. The caches are read
 * only from the `v8-cache` directory next to the bundle — dist/ inside the package, written by `npm run build`
 * (scripts/build.ts) and exactly as trusted as the bundle beside it — never from a workspace, the cwd, a
 * temporary or any other world-writable directory (and refused if that directory or a cache file is
 * world-writable).
 *
 * A cache is only an optimisation: a missing, unreadable, corrupted (CRC-32 of the cache file), stale (the source
 * file's size, inode or ctime changed since the build, e.g. after `npm install` of another ts-morph) or rejected
 * (`cachedDataRejected`: another Node/V8 version or flags) cache falls back to compiling the source as Node would.
 * `NODE_DEBUG=rltask-cache` says which caches were used.
 */

/** The CommonJS bundle beside the ESM entry (dist/rltask.mjs). */
export const BUNDLE_FILE = 'rltask.cjs';
/** Where the caches live, relative to the bundle's directory; only ever that directory (see above). */
export const CACHE_DIR = 'v8-cache';
const MANIFEST = 'manifest.json';
/** Smaller CommonJS modules compile in less time than opening one more cache file takes. */
const MIN_CACHED_SOURCE = 64 * 1024;

const debug = debuglog('rltask-cache');

/** One cached source: paths relative to the bundle's directory, so that dist/ can be anywhere in the package. */
interface CacheEntry {
  readonly source: string;
  readonly cache: string;
  /** size/inode/ctime of the source file when the cache was made. */
  readonly stamp: string;
  /** CRC-32 of the cache file. */
  readonly crc: number;
}

function isCacheEntry(x: unknown): x is CacheEntry {
  if (typeof x !== 'object' || x === null) return false;
  const e: Record<string, unknown> = { ...x };
  return typeof e['source'] === 'string' && typeof e['cache'] === 'string' && typeof e['stamp'] === 'string' && typeof e['crc'] === 'number';
}

/** The module wrapper Node itself compiles CommonJS into (`Module.wrap`), as a callable. */
type Wrapper = (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => unknown;
/**
 * Node's own module hooks (undocumented but stable since Node 0.x, and what tsx or pirates patch too):
 * Module._extensions['.js'] reads a module's source, Module.prototype._compile compiles and runs it.
 */
interface CompilingModule extends Module {
  _compile(content: string, filename: string, format?: string): unknown;
}
type Extension = (module: CompilingModule, filename: string) => void;
interface ModuleStatics {
  _extensions: Record<string, Extension>;
}

/**
 * A file's text, decoded exactly as Node's loader decodes it (UTF-8), but from a Buffer: on Node 20
 * `readFileSync(file, 'utf8')` is markedly slower for the TypeScript compiler's megabytes than reading a Buffer
 * and decoding it.
 */
function readSource(file: string): string {
  return readFileSync(file).toString('utf8');
}

function stampOf(file: string): string {
  const s = statSync(file, { bigint: true });
  return `${s.size}/${s.ino}/${s.ctimeNs}`;
}

/** Anyone may replace what a world-writable file or directory holds: such caches are refused (defence in depth). */
function isWorldWritable(p: string): boolean {
  return (statSync(p).mode & 0o002) !== 0;
}

function readManifest(cacheDir: string, bundleDir: string): Map<string, CacheEntry> {
  const entries = new Map<string, CacheEntry>();
  let parsed: unknown;
  try {
    const file = path.join(cacheDir, MANIFEST);
    if ([bundleDir, cacheDir, file].some(isWorldWritable)) {
      debug('refusing the caches in %s: world-writable', cacheDir);
      return entries;
    }
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    debug('no usable manifest in %s', cacheDir);
    return entries;
  }
  if (!Array.isArray(parsed)) return entries;
  for (const e of parsed) if (isCacheEntry(e)) entries.set(path.resolve(bundleDir, e.source), e);
  return entries;
}

/** Whether the cache was made from this very file (unchanged since the build). */
function isFresh(filename: string, entry: CacheEntry): boolean {
  try {
    if (stampOf(filename) === entry.stamp) return true;
  } catch {
    // Unreadable: Node's loader reports it.
  }
  debug('stale cache for %s', filename);
  return false;
}

/** The cache of a fresh entry if it is intact; undefined otherwise. */
function cachedDataFor(filename: string, entry: CacheEntry, cacheDir: string): Buffer | undefined {
  try {
    const file = path.join(cacheDir, path.basename(entry.cache));
    if (isWorldWritable(file)) {
      debug('refusing the world-writable cache for %s', filename);
      return undefined;
    }
    const data = readFileSync(file);
    if (crc32(data) !== entry.crc) {
      debug('corrupted cache for %s', filename);
      return undefined;
    }
    return data;
  } catch {
    return undefined;
  }
}

/**
 * Run the bundle in `bundleDir`. `mode: 'use'` (dist/rltask.mjs) reads the caches; `mode: 'record'` (only the
 * build) compiles everything from source and, when the process exits, writes the caches of the bundle and of every
 * big CommonJS module it loaded — after the run, so that the functions it compiled lazily are cached too.
 */
export function runBundle(bundleDir: string, mode: 'use' | 'record'): void {
  // Before anything is compiled: the caches are made and checked with the CLI's V8 flags (see tuneV8).
  tuneV8();
  const cacheDir = path.join(bundleDir, CACHE_DIR);
  const entries = mode === 'use' ? readManifest(cacheDir, bundleDir) : new Map<string, CacheEntry>();
  // Only fresh entries are used; any other file is left to Node exactly as without caches.
  for (const [file, entry] of entries) if (!isFresh(file, entry)) entries.delete(file);
  const recorded: { filename: string; script: vm.Script }[] = [];

  const compile = (filename: string, source: string): Wrapper => {
    const entry = entries.get(filename);
    const cachedData = entry === undefined ? undefined : cachedDataFor(filename, entry, cacheDir);
    const script = new vm.Script(Module.wrap(source), {
      filename,
      ...(cachedData === undefined ? {} : { cachedData }),
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData !== undefined) debug('%s %s', script.cachedDataRejected === true ? 'rejected cache for' : 'used cache for', filename);
    if (mode === 'record') recorded.push({ filename, script });
    const wrapper: unknown = script.runInThisContext({ displayErrors: true });
    if (typeof wrapper !== 'function') throw new Error(`${filename} did not compile to a module wrapper`);
    return (...args) => Reflect.apply(wrapper, args[0], args);
  };

  // The big CommonJS packages are loaded by Node's own require (lazily, by src/runtime/typescript/syntax.ts); hook
  // only the files a cache was made for (or, when recording, big ones) and leave every other module to Node.
  const filename = path.join(bundleDir, BUNDLE_FILE);
  if (mode === 'record' || [...entries.keys()].some((f) => f !== filename)) {
    const proto = Module.prototype as CompilingModule;
    const original = proto._compile;
    proto._compile = function (this: CompilingModule, content: string, filename: string, format?: string): unknown {
      const wanted = mode === 'use' ? entries.has(filename) : content.length >= MIN_CACHED_SOURCE && !filename.endsWith('.mjs');
      if (!wanted || format === 'module') return original.call(this, content, filename, format);
      return compile(filename, content)(this.exports, createRequire(filename), this, filename, path.dirname(filename));
    };
  }
  if (mode === 'use' && [...entries.keys()].some((f) => f !== filename && f.endsWith('.js'))) {
    // Read the cached modules' sources faster than Node would (readSource); they were CommonJS when recorded.
    const extensions: ModuleStatics = Module as unknown as ModuleStatics;
    const js = extensions._extensions['.js'];
    if (js !== undefined) {
      extensions._extensions['.js'] = function (this: unknown, module: CompilingModule, file: string): void {
        if (!entries.has(file)) return js.call(this, module, file);
        module._compile(readSource(file), file, 'commonjs');
      };
    }
  }
  if (mode === 'record') process.once('exit', () => writeCaches(bundleDir, cacheDir, recorded));

  const module = new Module(filename);
  module.filename = filename;
  compile(filename, readSource(filename))(module.exports, createRequire(filename), module, filename, bundleDir);
}

function writeCaches(bundleDir: string, cacheDir: string, recorded: readonly { filename: string; script: vm.Script }[]): void {
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const manifest: CacheEntry[] = recorded.map(({ filename, script }, i) => {
    const data = script.createCachedData();
    const cache = `${i}-${path.basename(filename)}.bin`;
    writeFileSync(path.join(cacheDir, cache), data);
    return { source: path.relative(bundleDir, filename), cache, stamp: stampOf(filename), crc: crc32(data) };
  });
  // The manifest last, whole or not at all: a half-written cache directory has no manifest and is not used.
  const tmp = path.join(cacheDir, `${MANIFEST}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, path.join(cacheDir, MANIFEST));
}
