/**
 * The child side of the oracle. Bundled by esbuild into one CommonJS script and started with `node -e`, so
 * the child needs to read no file at all. It runs the submission inside a fresh vm context that holds only
 * JavaScript built-ins (no `process`, `require`, timers or `fetch`) with code generation from strings off,
 * and answers the parent's requests with plain values. Everything the harness relies on is captured before
 * the submission runs; the submission lives in another realm, so patching its own prototypes cannot reach
 * the harness.
 */
import { readSync, writeSync, writevSync } from 'node:fs';
import vm from 'node:vm';
import { blockSource, constantSource, RNG_BLOCK } from './_blockRng.ts';
import { encodeFrame, readFrameBlocking } from './_frames.ts';
import type { ChildMessage, ElementsArg, OracleReply, OracleValue, ParentMessage, Request, RequestArg, Thrown } from './protocol.ts';

// The protocol channel is fd 3 (a socketpair the parent created); stdout/stderr carry only captured output.
// The child only ever handles one message (a batch of requests, run in order) at a time, so it reads and writes the
// channel with blocking calls in a plain loop (see the end of this file): no streams and no event loop between a
// request and its reply.
// A consequence: promise jobs the submission queues never run (the loop never yields), so nothing it defers can
// change its behaviour between two requests.
const CHANNEL = 3;
const exit: (code: number) => never = process.exit.bind(process);
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}
/** One frame in as few system calls as the channel allows (a reply carries one blob per array it returns). */
function send(m: ChildMessage): void {
  let parts: Uint8Array[] = encodeFrame(m);
  while (parts.length > 0) {
    let written = writevSync(CHANNEL, parts);
    let i = 0;
    while (i < parts.length && written >= parts[i]!.length) written -= parts[i++]!.length;
    parts = parts.slice(i);
    if (written > 0) parts[0] = parts[0]!.subarray(written);
  }
}
const stdoutWrite = (s: string): void => {
  try {
    writeAll(1, Buffer.from(s));
  } catch {
    // The parent stopped reading our output: it is only captured text, carry on.
  }
};
const MainF64 = Float64Array;
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedTag = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag)!.get! as (this: unknown) => string | undefined;
const typedLength = Object.getOwnPropertyDescriptor(TypedArrayProto, 'length')!.get! as (this: unknown) => number;
const typedSet = (TypedArrayProto as { set: (this: unknown, src: unknown) => void }).set;
const typedBuffer = Object.getOwnPropertyDescriptor(TypedArrayProto, 'buffer')!.get! as (this: unknown) => ArrayBufferLike;
const typedByteOffset = Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteOffset')!.get! as (this: unknown) => number;
const MainU8 = Uint8Array;
const setCtor = Set;
const reflectConstruct = Reflect.construct;
const reflectApply = Reflect.apply;
const isArray = Array.isArray;
const objectKeys = Object.keys;
const getPrototypeOf = Object.getPrototypeOf;
const reflectDefineProperty = Reflect.defineProperty;
const mapCtor = Map;

const MAX_ITEMS = 100_000;
const MAX_TEXT = 2000;

interface Sandbox {
  readonly exports: Record<string, unknown>;
  readonly newArray: (n: number) => Float64Array;
  /** An empty typed array of that kind and length, or (`boolean`) an empty array, of the submission's realm. */
  readonly newElements: (kind: string, n: number) => object;
  readonly makeRng: (fill: (into: Float64Array) => void) => () => number;
  readonly resetMathRandom: (fill: (into: Float64Array) => void) => void;
}

let sandbox: Sandbox | null = null;
const handles = new mapCtor<number, object>();
/** The arrays `keep` requests stored (the only handles a later `keep` may overwrite). */
const keptArrays = new setCtor<object>();
let outputLeft = 0;

function text(v: unknown): string {
  try {
    const s = typeof v === 'string' ? v : String(v);
    return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
  } catch {
    return '<unprintable>';
  }
}

function thrownOf(e: unknown): Thrown {
  if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
    let name = 'Error';
    let message = '';
    try {
      name = text((e as { name?: unknown }).name);
      message = text((e as { message?: unknown }).message);
    } catch {
      // A hostile getter: report what we have.
    }
    return { name, message };
  }
  return { name: 'thrown value', message: text(e) };
}

function writeOutput(line: unknown): void {
  if (outputLeft <= 0 || typeof line !== 'string') return;
  const s = line.length + 1 > outputLeft ? line.slice(0, outputLeft) : line;
  outputLeft -= s.length + 1;
  stdoutWrite(`${s}\n`);
}

function createSandbox(code: string, filename: string, mathSeed: number, timeout: number): Sandbox {
  const context = vm.createContext({}, { name: 'submission', codeGeneration: { strings: false, wasm: false } });
  // Helpers compiled inside the context capture its pristine built-ins before the submission can patch them.
  const helpers = vm.runInContext(
    `(() => {
      'use strict';
      const F64 = Float64Array;
      const RE = RangeError;
      const KINDS = { __proto__: null, Float32Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array };
      const newElements = (kind, n) => {
        if (kind === 'boolean') return [];
        const C = KINDS[kind];
        if (C === undefined) throw new RE('unknown element kind');
        return new C(n);
      };
      // Calls into this (the harness's) realm: an exception thrown there (a stack overflow when the submission
      // recurses to the limit first) would hand the submission an object of the harness's realm, and through its
      // prototype chain the harness's built-ins. Only an error of the submission's own realm may come back.
      const hostCall = (f, a) => {
        try {
          return f(a);
        } catch {
          throw new RE('Maximum call stack size exceeded');
        }
      };
      // Blocks are arrays of this realm read with a constant bound: no getter of the harness's realm is called.
      const BLOCK = ${RNG_BLOCK};
      const makeRng = (fill) => {
        const buf = new F64(BLOCK);
        let i = BLOCK;
        return function rng() {
          if (i === BLOCK) { hostCall(fill, buf); i = 0; }
          return buf[i++];
        };
      };
      let mathFill = null, mathI = BLOCK;
      const mathBuf = new F64(BLOCK);
      const random = function random() {
        if (mathI === BLOCK) { hostCall(mathFill, mathBuf); mathI = 0; }
        return mathBuf[mathI++];
      };
      Object.defineProperty(Math, 'random', { value: random, writable: true, configurable: true, enumerable: false });
      const resetMathRandom = (fill) => { mathFill = fill; mathI = BLOCK; };
      const makeConsole = (write) => {
        const out = (...a) => hostCall(write, a.map((v) => { try { return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v); } catch { return String(v); } }).join(' '));
        return { log: out, info: out, warn: out, error: out, debug: out };
      };
      return { newArray: (n) => new F64(n), newElements, makeRng, resetMathRandom, makeConsole };
    })()`,
    context,
  ) as {
    newArray: (n: number) => Float64Array;
    newElements: (kind: string, n: number) => object;
    makeRng: (fill: (into: Float64Array) => void) => () => number;
    resetMathRandom: (fill: (into: Float64Array) => void) => void;
    makeConsole: (write: (s: unknown) => void) => object;
  };
  helpers.resetMathRandom(blockSource(mathSeed));
  Object.defineProperty(context, 'console', { value: helpers.makeConsole(writeOutput), writable: true, configurable: true });
  const script = new vm.Script(
    `(() => { const module = { exports: {} }; (function (exports, module) {\n${code}\n})(module.exports, module); return module.exports; })()`,
    { filename, lineOffset: -1 },
  );
  const exports = script.runInContext(context, { timeout }) as Record<string, unknown>;
  return { exports, newArray: helpers.newArray, newElements: helpers.newElements, makeRng: helpers.makeRng, resetMathRandom: helpers.resetMathRandom };
}

/**
 * Arrays of the current batch, read from the channel straight into the submission's realm, with how many
 * arguments refer to each (the parent sends an array used twice once). One used once is handed over as is; one
 * used more often stays pristine and every use gets a copy, so each argument is a fresh array holding what the
 * parent sent, whatever an earlier call did to its own.
 */
let batchArrays = new mapCtor<object, number>();

/**
 * A fresh array of another element type, of the submission's realm: a typed array filled by the harness's own
 * %TypedArray%.prototype.set, or a boolean[] whose elements are defined, not assigned (no setter a submission put
 * on its Array.prototype runs).
 */
function elementsArray(sb: Sandbox, arg: ElementsArg): object {
  const n = typedLength.call(arg.value);
  const out = sb.newElements(arg.elements, n);
  if (arg.elements !== 'boolean') {
    typedSet.call(out, arg.value);
    return out;
  }
  for (let i = 0; i < n; i++) reflectDefineProperty(out, i, { value: arg.value[i] ? true : false, writable: true, enumerable: true, configurable: true });
  return out;
}

function toContext(sb: Sandbox, arg: RequestArg): unknown {
  if (arg !== null && typeof arg === 'object') {
    const uses = batchArrays.get(arg);
    if (uses === 1) return arg;
    if (uses !== undefined) {
      const a = sb.newArray(typedLength.call(arg));
      typedSet.call(a, arg);
      return a;
    }
    if ('kept' in arg) {
      const kept = handles.get(arg.kept);
      if (kept === undefined) throw new ReferenceError('unknown handle');
      const value = (arg as { value?: unknown }).value;
      if (value !== undefined) {
        // Only an array a `keep` stored is overwritten, and only with as many elements as it has.
        if (!keptArrays.has(kept) || typedLength.call(kept) !== typedLength.call(value)) throw new RangeError('kept: not a kept array of that length');
        typedSet.call(kept, value);
      }
      return kept;
    }
    if ('elements' in arg) return elementsArray(sb, arg as ElementsArg);
    const r = arg as { rng: number; constant?: number };
    return sb.makeRng(typeof r.constant === 'number' ? constantSource(r.constant) : blockSource(r.rng));
  }
  return arg;
}

function describe(v: unknown, args: readonly unknown[], depth: number): OracleValue {
  switch (typeof v) {
    case 'undefined':
      return { type: 'undefined' };
    case 'number':
      return { type: 'number', value: v };
    case 'boolean':
      return { type: 'boolean', value: v };
    case 'string':
      return { type: 'string', value: text(v) };
    case 'function':
      return { type: 'function' };
    case 'bigint':
    case 'symbol':
      return { type: 'other', typeName: typeof v };
  }
  if (v === null) return { type: 'null' };
  const kind = typedTag.call(v);
  if (kind !== undefined) {
    const n = typedLength.call(v);
    if (kind === 'BigInt64Array' || kind === 'BigUint64Array' || n > 16_000_000) return { type: 'other', typeName: kind };
    const copy = new MainF64(n);
    typedSet.call(copy, v);
    return { type: 'typed', kind, value: copy, arg: args.indexOf(v) };
  }
  if (isArray(v)) {
    if (depth > 3 || v.length > MAX_ITEMS) return { type: 'other', typeName: 'Array' };
    const items: OracleValue[] = [];
    for (let i = 0; i < v.length; i++) items.push(describe(v[i], args, depth + 1));
    return { type: 'array', items };
  }
  let className = 'Object';
  try {
    const proto = getPrototypeOf(v) as { constructor?: { name?: unknown } } | null;
    className = proto === null ? 'null-prototype object' : text(proto.constructor?.name);
  } catch {
    // A hostile prototype: keep the default name.
  }
  return { type: 'object', className };
}

const typed = (value: Float64Array): OracleValue => ({ type: 'typed', kind: 'Float64Array', value, arg: -1 });

/**
 * `count` calls of one method or export, each given a fresh array of the submission's realm as argument `arg`.
 * Elements are copied one by one (no subarray or set through the submission's prototypes, which it may have
 * patched); a result counts only if it is a genuine Float64Array of `length` elements (its internal slots, read by
 * the harness's own getters) or, when the request says so, a number.
 */
function callEach(sb: Sandbox, request: Extract<Request, { op: 'callEach' }>): OracleReply {
  const self = request.handle === null ? undefined : (handles.get(request.handle) as Record<string, unknown> | undefined);
  const fn = request.handle === null ? sb.exports[request.method] : self?.[request.method];
  if (typeof fn !== 'function') return { ok: false, thrown: { name: 'TypeError', message: `${request.method} is not a function` } };
  const n = request.length;
  const count = request.count;
  const src = request.inputs;
  const at = request.arg;
  const numbers = request.returns === 'number';
  if (!(n >= 1) || !(count >= 0) || typedLength.call(src) !== n * count || !(at >= 0 && at < request.args.length)) {
    return { ok: false, thrown: { name: 'RangeError', message: 'callEach: inputs do not hold count arrays of length' } };
  }
  const fixed = request.args.map((a) => toContext(sb, a));
  const per = numbers ? 1 : n;
  const outputs = new MainF64(per * count);
  const after = new MainF64(n * count);
  for (let j = 0; j < count; j++) {
    const x = sb.newArray(n);
    const base = j * n;
    for (let i = 0; i < n; i++) x[i] = src[base + i]!;
    // A fresh argument list for every call: a callee that keeps `arguments` cannot change the next call's.
    const args: unknown[] = [];
    for (let i = 0; i < fixed.length; i++) args[i] = i === at ? x : fixed[i];
    let result: unknown;
    let stop: OracleValue | null = null;
    try {
      result = reflectApply(fn, self, args);
      const bad = numbers ? typeof result !== 'number' : typedTag.call(result) !== 'Float64Array' || typedLength.call(result) !== n;
      if (bad) stop = { type: 'array', items: [{ type: 'string', value: 'returned' }, describe(result, args, 0)] };
    } catch (e) {
      const t = thrownOf(e);
      stop = { type: 'array', items: [{ type: 'string', value: 'threw' }, { type: 'string', value: t.name }, { type: 'string', value: t.message }] };
    }
    if (stop !== null) return { ok: true, value: { type: 'array', items: [typed(outputs.subarray(0, j * per)), typed(after.subarray(0, base)), stop] } };
    if (numbers) outputs[j] = result as number;
    else {
      const y = result as Float64Array;
      for (let i = 0; i < n; i++) outputs[base + i] = y[i]!;
    }
    for (let i = 0; i < n; i++) after[base + i] = x[i]!;
  }
  return { ok: true, value: { type: 'array', items: [typed(outputs), typed(after)] } };
}

function run(sb: Sandbox, request: Request): OracleReply {
  try {
    switch (request.op) {
      case 'reseed':
        sb.resetMathRandom(blockSource(request.seed));
        return { ok: true, value: { type: 'undefined' } };
      case 'construct': {
        const C = sb.exports[request.target];
        if (typeof C !== 'function') return { ok: false, thrown: { name: 'TypeError', message: `${request.target} is not an exported class` } };
        if (handles.has(request.handle)) return { ok: false, thrown: { name: 'ReferenceError', message: 'handle already in use' } };
        const args = request.args.map((a) => toContext(sb, a));
        const obj = reflectConstruct(C, args) as object;
        handles.set(request.handle, obj);
        return { ok: true, value: { type: 'object', className: request.target } };
      }
      case 'keep': {
        const n = typedLength.call(request.value);
        const old = handles.get(request.handle);
        // Only an array this op stored can be overwritten; a constructed object's handle is never reused.
        const into = old !== undefined && keptArrays.has(old) && typedLength.call(old) === n ? old : sb.newArray(n);
        typedSet.call(into, request.value);
        handles.set(request.handle, into);
        keptArrays.add(into);
        return { ok: true, value: { type: 'undefined' } };
      }
      case 'callEach':
        return callEach(sb, request);
      case 'get': {
        const obj = handles.get(request.handle);
        if (obj === undefined) return { ok: false, thrown: { name: 'ReferenceError', message: 'unknown handle' } };
        return { ok: true, value: describe((obj as Record<string, unknown>)[request.prop], [], 0) };
      }
      case 'call':
      case 'callExport': {
        const self = request.op === 'call' ? handles.get(request.handle) : undefined;
        const fn = request.op === 'call' ? (self as Record<string, unknown> | undefined)?.[request.method] : sb.exports[request.target];
        const name = request.op === 'call' ? request.method : request.target;
        if (typeof fn !== 'function') return { ok: false, thrown: { name: 'TypeError', message: `${name} is not a function` } };
        const args = request.args.map((a) => toContext(sb, a));
        const result = reflectApply(fn, self, args) as unknown;
        const value = describe(result, args, 0);
        return request.echoArgs ? { ok: true, value, args: args.map((a) => describe(a, [], 0)) } : { ok: true, value };
      }
    }
  } catch (e) {
    return { ok: false, thrown: thrownOf(e) };
  }
}

function onMessage(raw: ParentMessage, arrays: readonly object[]): void {
  if (raw.kind === 'load') {
    outputLeft = raw.outputBytes;
    try {
      sandbox = createSandbox(raw.code, raw.filename, raw.mathSeed, raw.loadTimeoutMs);
      send({ kind: 'loaded', exports: objectKeys(sandbox.exports) });
    } catch (e) {
      send({ kind: 'loadFailed', thrown: thrownOf(e) });
    }
    return;
  }
  // The TypeScript runtime reads code in the grading process (ts-morph): this harness has no analyser.
  if (raw.kind === 'analyze') {
    send({ kind: 'analyzed', error: 'the TypeScript harness has no analyser' });
    return;
  }
  if (sandbox === null) return;
  const sb = sandbox;
  const decoded = new setCtor<object>(arrays);
  batchArrays = new mapCtor<object, number>();
  for (const request of raw.requests) {
    // A kept array is always copied; counting it keeps a call that is given the same array from handing it over.
    if (request.op === 'keep' && decoded.has(request.value)) batchArrays.set(request.value, (batchArrays.get(request.value) ?? 0) + 2);
    if (request.op !== 'construct' && request.op !== 'call' && request.op !== 'callExport' && request.op !== 'callEach') continue;
    for (const a of request.args) if (a !== null && typeof a === 'object' && decoded.has(a)) batchArrays.set(a, (batchArrays.get(a) ?? 0) + 1);
  }
  const replies: OracleReply[] = [];
  for (const request of raw.requests) replies.push(run(sb, request));
  batchArrays = new mapCtor<object, number>();
  send({ kind: 'replies', id: raw.id, replies });
}

/** Fill `into[offset, offset + length)` from the channel; end of input (the parent is gone) or an error: stop. */
function readExactly(into: Uint8Array, offset: number, length: number): void {
  while (length > 0) {
    let n = 0;
    try {
      n = readSync(CHANNEL, into, offset, length, null);
    } catch {
      exit(0);
    }
    if (n === 0) exit(0);
    offset += n;
    length -= n;
  }
}

/** The batch's input file, when the parent passed one as fd 4: arrays the parent placed there are read with pread. */
const INPUT_FILE = 4;
function readAt(into: Uint8Array, position: number): void {
  for (let done = 0; done < into.length; ) {
    let n = 0;
    try {
      n = readSync(INPUT_FILE, into, done, into.length - done, position + done);
    } catch {
      exit(70);
    }
    // A file shorter than the parent said: the channel's peer is the trusted parent, so this is a broken setup.
    if (n === 0) exit(70);
    done += n;
  }
}

/** Arrays of a request are made in the submission's realm (by a helper compiled before it ran) once it is loaded. */
const makeArray = (n: number): Float64Array => (sandbox === null ? new MainF64(n) : sandbox.newArray(n));
const bytesOf = (a: Float64Array): Uint8Array => new MainU8(typedBuffer.call(a), typedByteOffset.call(a), typedLength.call(a) * 8);

send({ kind: 'ready' });
// One request (or batch) at a time, each handled synchronously: no streams and no event loop in between.
for (;;) {
  let frame: { value: unknown; arrays: Float64Array[] };
  try {
    frame = readFrameBlocking(readExactly, makeArray, bytesOf, readAt);
  } catch {
    // The parent is trusted; a frame it cannot have sent means the channel is broken, so stop.
    exit(70);
  }
  onMessage(frame.value as ParentMessage, frame.arrays);
}
