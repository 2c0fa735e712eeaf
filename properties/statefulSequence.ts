import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { z } from 'zod';
import { markImmutable } from '../src/immutableArrays.ts';
import type { OracleArg, OracleReply, OracleValue, Request, RequestArg } from '../src/sandbox/protocol.ts';
import { fmt } from './_check.ts';
import { describeArg } from './_inputs.ts';
import { describeValue } from './_layer.ts';
import { DROP_CLASSES, DropoutSequenceCheck } from './_dropoutContract.ts';
import { ReferenceRunner } from './_reference.ts';
import { checkSequence, generateSequence, History, sequenceSchema, type SequenceSize, sliceArray, type Step } from './_sequence.ts';
import { type Bound, boundFor, describeBound, mismatch, type Tolerance, toleranceSchema } from './_values.ts';
import { type CheckOutcome, defineProperty, type PropertyContext, type ReferenceSolution } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * Behaviour over time: random sequences of constructions and calls (train(), eval(), forward(), an optimizer's
 * steps, …) on several instances, each sequence sent to the child as one batch of requests, and every reply
 * checked in order: against the reference solution run on the same sequence in its own sandbox (deterministic
 * subjects), or against the dropout contract (random ones). A failure names its step: the call's place in the
 * sequence, the method's count on that instance, and what was called on it before.
 *
 * Arrays declared under `kept` live in the child and are passed as the same object to every call of their
 * instance, so state kept in the caller's arrays (Adam's params, m, v) carries over as in real use. Under the
 * reference check, each kept array is overwritten with the reference's own state before every call (same
 * object, new contents): rounding differences of a correct submission cannot pile up over thousands of steps,
 * and each step is compared from the same state with matches-reference's tolerance.
 */

const checkSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('reference'), tolerance: toleranceSchema(1e-12, 1e-9) }),
  z.strictObject({
    kind: z.literal('dropout'),
    scalePower: z.number().default(-0.5),
    /** Which constructor argument is the rate; when it is absent (or undefined) the layer must use `defaultRate`. */
    rateArg: z.int().min(0).default(0),
    defaultRate: z.number().min(0).lt(1).default(0.5),
    forward: z.string().default('forward'),
    train: z.string().default('train'),
    eval: z.string().default('eval'),
    relTolerance: z.number().gt(0).max(1e-3).default(1e-9),
    falseReject: z.number().gt(0).max(0.01).default(1e-9),
  }),
]);

const params = z.strictObject({
  ...sequenceSchema,
  check: checkSchema,
  /** Sequences per grade; the first is the longest (calls.max calls, instances.max instances). */
  runs: z.int().min(1).max(100).default(3),
});
type Params = z.output<typeof params>;

/** The sizes of the runs, from the property's seed: the first the largest, the others log-uniform. */
function sizes(p: Params, seed: number): SequenceSize[] {
  const rng = xoroshiro128plus(seed | 0);
  const u = () => uniformFloat64(rng);
  const out: SequenceSize[] = [];
  for (let r = 0; r < p.runs; r++) {
    const s = Math.floor(u() * 0x7fffffff);
    if (r === 0) {
      out.push({ seed: s, calls: p.calls.max, instances: p.instances.max });
      continue;
    }
    const calls = Math.min(p.calls.max, Math.max(p.calls.min, Math.round(Math.exp(Math.log(p.calls.min) + (Math.log(p.calls.max) - Math.log(p.calls.min)) * u()))));
    const instances = Math.min(calls, p.instances.min + Math.floor(u() * (p.instances.max - p.instances.min + 1)));
    out.push({ seed: s, calls, instances: Math.max(1, Math.min(instances, p.instances.max)) });
  }
  return out;
}

type CallStep = Extract<Step, { kind: 'call' }>;

/** The requests of one sequence, and which of them each step is. */
interface Built {
  readonly requests: Request[];
  /**
   * Per step: its requests [from, to), the index of its construct or call request (-1: none), and 0 when that
   * request is a `callEach` holding the step's run of calls (else -1).
   */
  readonly spans: { readonly from: number; readonly to: number; readonly main: number; readonly slot: number }[];
  /** Per call step: the handles of its kept-array arguments, by argument index. */
  readonly keptArgs: Map<number, Map<number, number>>;
  /** Initial contents of each kept handle. */
  readonly initial: Map<number, Float64Array>;
}

/**
 * The requests of a sequence. Handles come from the submission's oracle; the reference runs the same requests in
 * its own child, where they name its own objects.
 */
function build(ctx: PropertyContext, p: Params, steps: readonly Step[]): Built {
  const requests: Request[] = [];
  const spans: Built['spans'] = [];
  const keptArgs = new Map<number, Map<number, number>>();
  const initial = new Map<number, Float64Array>();
  const objects = new Map<number, number>();
  const kept = new Map<number, Map<string, number>>();
  const keep = (instance: number, arrays: Readonly<Record<string, Float64Array>>): void => {
    const mine = kept.get(instance) ?? new Map<string, number>();
    kept.set(instance, mine);
    for (const [k, value] of Object.entries(arrays)) {
      const { request, handle } = ctx.oracle.keepRequest(value);
      requests.push(request);
      mine.set(k, handle);
      initial.set(handle, value);
    }
  };
  steps.forEach((step, i) => {
    if (step.kind === 'call' && step.slice !== null) {
      // A run of `each` calls: one callEach request, its arrays one stretch of memory, sent as it is.
      const { block, at, n } = step.slice;
      const handle = objects.get(step.instance) ?? null;
      if (n > 0 && (handle !== null || p.construct === undefined)) {
        spans.push({ from: requests.length, to: requests.length + 1, main: requests.length, slot: 0 });
        requests.push({
          op: 'callEach',
          handle,
          method: handle === null && step.method === '' ? ctx.subject : step.method,
          args: step.args.map((a) => (a !== null && typeof a === 'object' && 'keptName' in a ? undefined : a)),
          arg: step.varying,
          returns: p.methods[step.alternative]!.returns,
          inputs: new Float64Array(block.buffer, at * 8, n * step.count),
          length: n,
          count: step.count,
        });
        return;
      }
    }
    const from = requests.length;
    let main = -1;
    if (step.kind === 'new') {
      keep(step.instance, step.kept);
      if (p.construct !== undefined) {
        const { request, handle } = ctx.oracle.constructRequest(ctx.subject, step.args);
        objects.set(step.instance, handle);
        main = requests.length;
        requests.push(request);
      }
    } else if (step.kind === 'restart') {
      keep(step.instance, step.kept);
    } else {
      const handles = new Map<number, number>();
      const given: readonly (OracleArg | { readonly keptName: string })[] = step.slice === null ? step.args : withArray(step, sliceArray(step.slice));
      const args: RequestArg[] = given.map((a, j) => {
        if (a !== null && typeof a === 'object' && 'keptName' in a) {
          const h = kept.get(step.instance)?.get(a.keptName);
          if (h === undefined) throw new Error(`stateful-sequence: kept array "${a.keptName}" was never created`);
          handles.set(j, h);
          return { kept: h };
        }
        return a;
      });
      keptArgs.set(i, handles);
      main = requests.length;
      const object = objects.get(step.instance);
      requests.push(
        object === undefined
          ? { op: 'callExport', target: step.method === '' ? ctx.subject : step.method, args, echoArgs: step.echo }
          : { op: 'call', handle: object, method: step.method, args, echoArgs: step.echo },
      );
    }
    spans.push({ from, to: requests.length, main, slot: -1 });
  });
  return { requests, spans, keptArgs, initial };
}

/** An `each` step's arguments with `x` as its generated array. */
function withArray(step: CallStep, x: Float64Array): (OracleArg | { readonly keptName: string })[] {
  const args = [...step.args];
  args[step.varying] = x;
  return args;
}

/** Arguments for a message; `varying` (an `each` step's generated array) is shown as `x`. */
function describeArgs(args: readonly (OracleArg | { readonly keptName: string })[], varying = -1): string {
  return args
    .map((a, j) => {
      if (j === varying) return 'x';
      if (a instanceof Float64Array) return `Float64Array(${a.length})`;
      if (a === undefined) return 'undefined';
      if (a === null) return 'null';
      if (typeof a === 'object') {
        if ('keptName' in a) return a.keptName;
        if ('elements' in a) return `${a.elements === 'boolean' ? 'boolean[]' : a.elements}(${a.value.length})`;
        if ('shape' in a) return `ndarray(${a.shape.join(', ')})`;
        return typeof a.constant === 'number' ? `() => ${a.constant}` : 'rng';
      }
      if (typeof a === 'number') return fmt(a, 6);
      return JSON.stringify(a);
    })
    .join(', ');
}

function label(ctx: PropertyContext, step: CallStep): string {
  return step.method === '' ? ctx.subject : step.method;
}

/** Reference replies per (task, parameters, sequence): a `check` grades every decoy with the same seeds. */
const referenceCache = new Map<string, readonly OracleReply[]>();
const REFERENCE_CACHE_ENTRIES = 16;

function referenceKey(reference: ReferenceSolution, subject: string, p: Params, size: SequenceSize): string {
  return createHash('sha256').update(reference.key).update(JSON.stringify({ subject, p, size })).digest('hex');
}

async function referenceReplies(reference: ReferenceRunner, key: string, requests: readonly Request[], what: string): Promise<readonly OracleReply[]> {
  const hit = referenceCache.get(key);
  if (hit !== undefined) return hit;
  return remember(referenceCache, key, await reference.runRequests(requests, what), REFERENCE_CACHE_ENTRIES);
}

/** Keep `value` under `key`, evicting the oldest entries beyond `entries`; returns `value`. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V, entries: number): V {
  cache.set(key, value);
  while (cache.size > entries) cache.delete(cache.keys().next().value!);
  return value;
}

/** Check a call's reply against the reference's reply to the same call from the same state. */
function compareCall(got: OracleReply, want: OracleReply, tol: Bound, where: string): void {
  const t = describeBound(tol);
  if (!want.ok) {
    if (got.ok) throw new PropertyFailure(`${where}: returned normally where the reference throws ${want.thrown.name} (${want.thrown.message})`);
    if (got.thrown.name !== want.thrown.name) throw new PropertyFailure(`${where}: threw ${got.thrown.name} (${got.thrown.message}) where the reference throws ${want.thrown.name}`);
    return;
  }
  if (!got.ok) throw new PropertyFailure(`${where}: threw ${got.thrown.name}: ${got.thrown.message}`);
  const m = mismatch(got.value, want.value, tol, 'the result');
  if (m !== null) throw new PropertyFailure(`${where}: ${m} (the reference solution's value; ${t})`);
  if (want.value.type === 'typed' && got.value.type === 'typed' && got.value.arg !== want.value.arg) {
    throw new PropertyFailure(
      want.value.arg >= 0
        ? `${where}: returned ${got.value.arg >= 0 ? `argument ${got.value.arg}` : 'a new array'}, where the reference returns argument ${want.value.arg} itself (updated in place)`
        : `${where}: returned its argument ${got.value.arg}, where the reference returns a new array`,
    );
  }
  const wantArgs = want.args ?? [];
  for (let i = 0; i < wantArgs.length; i++) {
    const ga = got.args?.[i];
    const am = ga === undefined ? `argument ${i} is missing after the call` : mismatch(ga, wantArgs[i]!, tol, `argument ${i} after the call`);
    if (am !== null) throw new PropertyFailure(`${where}: ${am} (as the reference leaves it; ${t})`);
  }
}

async function runReference(ctx: PropertyContext, p: Params, tol: Tolerance, reference: ReferenceRunner, size: SequenceSize, steps: readonly Step[], run: number): Promise<number> {
  const built = build(ctx, p, steps);
  const want = await referenceReplies(reference, referenceKey(ctx.reference!, ctx.subject, p, size), built.requests, `sequence ${run + 1} (${built.requests.length} requests)`);
  // The submission's batch: the same requests, but every call's kept arrays overwritten as they are passed with
  // the reference's state at that point (its echo after the last call that passed them, or their initial value).
  const state = new Map(built.initial);
  const requests: Request[] = [];
  const at: number[] = [];
  steps.forEach((step, i) => {
    const span = built.spans[i]!;
    const kept = built.keptArgs.get(i);
    at.push(span.main < 0 ? -1 : requests.length + span.main - span.from);
    for (let r = span.from; r < span.to; r++) {
      const request = built.requests[r]!;
      if (r === span.main && kept !== undefined && kept.size > 0 && (request.op === 'call' || request.op === 'callExport')) {
        const args = request.args.map((a, j) => {
          const h = kept.get(j);
          return h === undefined ? a : { kept: h, value: state.get(h)! };
        });
        requests.push({ ...request, args });
      } else requests.push(request);
    }
    const echo = span.main < 0 ? undefined : want[span.main];
    if (kept !== undefined && echo?.ok === true) {
      for (const [arg, h] of kept) {
        const a = echo.args?.[arg];
        if (a?.type === 'typed') state.set(h, a.value);
      }
    }
  });
  const got = await ctx.oracle.run(requests, `sequence ${run + 1} (${requests.length} requests)`);
  const history = new History(p.methods.map((m) => `${m.name ?? ctx.subject}()`));
  let calls = 0;
  for (const [i, step] of steps.entries()) {
    const span = built.spans[i]!;
    if (step.kind === 'restart') {
      history.record(step.instance, p.methods.length);
      continue;
    }
    if (step.kind === 'new') {
      // A function subject's instance is its sizes and kept arrays.
      const sizes = Object.entries(step.dims).map(([d, v]) => `${d} = ${v}`);
      if (Object.keys(step.kept).length > 0) sizes.push('its own kept arrays');
      const made = p.construct === undefined ? sizes.join(', ') : `new ${ctx.subject}(${describeArgs(step.args)})`;
      history.made(step.instance, made);
      const w = want[span.main];
      if (w !== undefined && !w.ok) throw new Error(`stateful-sequence: the reference solution throws ${w.thrown.name} on ${made}: ${w.thrown.message}`);
      const g = got[at[i]!];
      if (g !== undefined && !g.ok) throw new PropertyFailure(`${made} (instance ${step.instance}) threw ${g.thrown.name}: ${g.thrown.message}`);
      continue;
    }
    if (step.slice !== null && span.slot >= 0) {
      compareEach(ctx, p, tol, step, got[at[i]!]!, want[span.main]!, history);
      history.record(step.instance, step.alternative, step.count);
      calls += step.count;
      continue;
    }
    const where = `${history.describe(step, label(ctx, step))}, arguments (${describeArgs(step.args)})`;
    // The tolerance's input term (what rounding the input causes) from this call's own arguments.
    compareCall(got[at[i]!]!, want[span.main]!, boundFor(tol, step.args), where);
    history.record(step.instance, step.alternative);
    calls++;
  }
  return calls;
}

/**
 * Generated sequences by their parameters and size: the same for every workspace graded with one seed, so a batch
 * generates each once, and its argument blocks, immutable from then on, reach every child through the batch's
 * input file (src/sandbox/_inputFile.ts) instead of each child's channel. A few per parameters, the oldest evicted.
 */
const sequences = new WeakMap<Params, Map<string, readonly Step[]>>();
const SEQUENCES_PER_PARAMS = 8;

function sequenceOf(p: Params, size: SequenceSize): readonly Step[] {
  let mine = sequences.get(p);
  if (mine === undefined) {
    mine = new Map();
    sequences.set(p, mine);
  }
  const key = `${size.seed}/${size.calls}/${size.instances}`;
  const hit = mine.get(key);
  if (hit !== undefined) return hit;
  const steps = generateSequence(p, size);
  for (const step of steps) if (step.kind === 'call' && step.slice !== null) markImmutable(step.slice.block);
  return remember(mine, key, steps, SEQUENCES_PER_PARAMS);
}

const typedValue = (value: Float64Array): OracleValue => ({ type: 'typed', kind: 'Float64Array', value, arg: -1 });

/**
 * A run of `each` calls, call by call against the reference's run of the same calls: each result, and the array
 * argument as the call left it, with the tolerance's input term from that call's own arguments.
 */
function compareEach(ctx: PropertyContext, p: Params, tol: Tolerance, step: CallStep, got: OracleReply, want: OracleReply, history: History): void {
  const { block, at, n } = step.slice!;
  const name = label(ctx, step);
  const numbers = p.methods[step.alternative]!.returns === 'number';
  const w = readEach(want, n, numbers, name);
  if (w.done < step.count) throw new Error(`stateful-sequence: the reference solution's ${name}() ${w.stop ?? 'did not run'} (call ${w.done + 1} of a run of ${step.count})`);
  const g = readEach(got, n, numbers, name);
  const per = numbers ? 1 : n;
  for (let k = 0; k < step.count; k++) {
    const x = block.subarray(at + k * n, at + (k + 1) * n);
    const where = (): string => `${history.describe(step, name, k)}, arguments (${describeArgs(step.args, step.varying)}), x = ${describeArg(x)}`;
    if (k >= g.done) throw new PropertyFailure(`${where()}: ${name}() ${g.stop ?? 'did not run'}`);
    const bound = tol.input === undefined ? boundFor(tol, step.args) : boundFor(tol, withArray(step, x));
    const gv: OracleValue = numbers ? { type: 'number', value: g.outputs[k]! } : typedValue(g.outputs.subarray(k * per, (k + 1) * per));
    const wv: OracleValue = numbers ? { type: 'number', value: w.outputs[k]! } : typedValue(w.outputs.subarray(k * per, (k + 1) * per));
    const m = mismatch(gv, wv, bound, 'the result');
    if (m !== null) throw new PropertyFailure(`${where()}: ${m} (the reference solution's value; ${describeBound(bound)})`);
    const am = mismatch(typedValue(g.after.subarray(k * n, (k + 1) * n)), typedValue(w.after.subarray(k * n, (k + 1) * n)), bound, `argument ${step.varying} after the call`);
    if (am !== null) throw new PropertyFailure(`${where()}: ${am} (as the reference leaves it; ${describeBound(bound)})`);
  }
}

/** A callEach reply, read: the outputs and inputs-after of the calls that returned what they must, and what stopped the run. */
interface EachResult {
  readonly outputs: Float64Array;
  readonly after: Float64Array;
  readonly done: number;
  readonly stop: string | null;
}

function readEach(r: OracleReply, length: number, numbers: boolean, method: string): EachResult {
  if (!r.ok) return { outputs: new Float64Array(0), after: new Float64Array(0), done: 0, stop: `threw ${r.thrown.name}: ${r.thrown.message}` };
  const v = r.value;
  const [outputs, after, stop] = v.type === 'array' ? v.items : [];
  const done = after?.type === 'typed' ? after.value.length / length : Number.NaN;
  if (outputs?.type !== 'typed' || after?.type !== 'typed' || !Number.isInteger(done) || outputs.value.length !== (numbers ? done : after.value.length)) {
    throw new Error(`stateful-sequence: a malformed reply to a run of ${method}() calls`);
  }
  let why: string | null = null;
  if (stop !== undefined) {
    const items = stop.type === 'array' ? stop.items : [];
    const [kind, a, b] = items;
    if (kind?.type === 'string' && kind.value === 'threw') why = `threw ${a?.type === 'string' ? a.value : 'Error'}: ${b?.type === 'string' ? b.value : ''}`;
    else why = `returned ${a === undefined ? 'nothing' : describeValue(a)}, not ${numbers ? 'a number' : `a Float64Array of length ${length}`}`;
  }
  return { outputs: outputs.value, after: after.value, done, stop: why };
}

async function runDropout(ctx: PropertyContext, p: Params, c: Extract<Params['check'], { kind: 'dropout' }>, steps: readonly Step[], run: number): Promise<DropoutSequenceCheck> {
  const built = build(ctx, p, steps);
  const got = await ctx.oracle.run(built.requests, `sequence ${run + 1} (${built.requests.length} requests)`);
  const model = new DropoutSequenceCheck(c);
  const history = new History(p.methods.map((m) => `${m.name ?? ctx.subject}()`));
  // Built only for a failure: call k (0-based) of the step, with its argument (k = -1: a call without one).
  const fail = (step: CallStep, k: number, what: string): PropertyFailure => {
    const x = k < 0 ? null : input(step, k);
    return new PropertyFailure(`${history.describe(step, label(ctx, step), Math.max(0, k))}${x === null ? '' : `, x = ${describeArg(x)}`}: ${what}`);
  };
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const span = built.spans[i]!;
    if (step.kind === 'restart') continue;
    if (step.kind === 'new') {
      const made = `new ${ctx.subject}(${describeArgs(step.args)})`;
      history.made(step.instance, made);
      const r = got[span.main];
      if (r !== undefined && !r.ok) throw new PropertyFailure(`${made} (instance ${step.instance}) threw ${r.thrown.name}: ${r.thrown.message}`);
      const rate = step.args[c.rateArg];
      const rigged = step.args.some((a) => a !== null && typeof a === 'object' && !(a instanceof Float64Array) && 'constant' in a);
      model.made(step.instance, typeof rate === 'number' ? rate : c.defaultRate, rigged);
      continue;
    }
    const name = step.method;
    const r = got[span.main]!;
    if (name === c.forward) {
      if (step.slice !== null && span.slot >= 0) {
        const { block, at, n } = step.slice;
        const e = readEach(r, n, false, name);
        for (let k = 0; k < step.count; k++) {
          if (k >= e.done) throw fail(step, k, `${name}() ${e.stop ?? 'did not run'}`);
          const wrong = model.forward(step.instance, block, at + k * n, e.outputs, e.after, k * n, n);
          if (wrong !== null) throw fail(step, k, wrong);
        }
      } else {
        const x = step.slice !== null ? sliceArray(step.slice) : step.args[0];
        if (!(x instanceof Float64Array)) throw new Error(`stateful-sequence: ${c.forward}() must be given a generated array`);
        const n = x.length;
        const v = r.ok ? r.value : null;
        const a = r.ok ? r.args?.[0] : undefined;
        if (!r.ok) throw fail(step, 0, `forward() threw ${r.thrown.name}: ${r.thrown.message}`);
        if (v === null || v.type !== 'typed' || v.kind !== 'Float64Array' || v.value.length !== n) throw fail(step, 0, `forward() returned ${v === null ? 'nothing' : describeValue(v)}, not a Float64Array of length ${n}`);
        if (a === undefined || a.type !== 'typed' || a.value.length !== n) throw fail(step, 0, 'forward() replaced or resized its input argument');
        const wrong = model.forward(step.instance, x, 0, v.value, a.value, 0, n);
        if (wrong !== null) throw fail(step, 0, wrong);
      }
    } else {
      if (!r.ok) throw fail(step, -1, `${name}() threw ${r.thrown.name}: ${r.thrown.message}`);
      if (name === c.train) model.mode(step.instance, true);
      if (name === c.eval) model.mode(step.instance, false);
    }
    history.record(step.instance, step.alternative, step.count);
  }
  model.finish(`sequence ${run + 1}`);
  return model;
}

/** Call k's array argument, for a message. */
function input(step: CallStep, k: number): Float64Array | null {
  if (step.slice !== null) {
    const { block, at, n } = step.slice;
    return block.slice(at + k * n, at + k * n + n);
  }
  const x = step.args[0];
  return x instanceof Float64Array ? x : null;
}

/**
 * Random sequences of constructions and calls, each sent as one batch and checked step by step: against the
 * reference solution where the results are deterministic (`check: { kind: reference }`), against the dropout
 * contract where they are random (`check: { kind: dropout }`). The first run is the longest.
 */
export const statefulSequence = defineProperty({
  name: 'stateful-sequence',
  summary: 'random sequences of constructions and calls, checked step by step (reference or dropout contract)',
  params,
  falseRejectBound: (q) => (q.check.kind === 'dropout' ? q.runs * (DROP_CLASSES + 1) * q.check.falseReject : 0),
  check: (q, issue) => {
    checkSequence(q, issue);
    if (q.check.kind === 'dropout') {
      if (q.construct === undefined) issue('the dropout check needs a class subject (`construct`)', ['check']);
      if (!q.methods.some((m) => m.name === (q.check.kind === 'dropout' ? q.check.forward : ''))) issue('the dropout check needs the forward method among `methods`', ['methods']);
    }
  },
  async run(ctx, q): Promise<CheckOutcome> {
    const runs = sizes(q, ctx.seed);
    const reference = q.check.kind === 'reference' ? (ctx.reference === undefined ? undefined : new ReferenceRunner(ctx.reference)) : undefined;
    if (q.check.kind === 'reference' && reference === undefined) throw new Error("stateful-sequence with the reference check needs the task's reference solution in its context");
    let calls = 0;
    let drops = 0;
    let units = 0;
    let pairs = 0;
    let identical = 0;
    for (const [r, size] of runs.entries()) {
      const steps = sequenceOf(q, size);
      try {
        if (q.check.kind === 'reference') calls += await runReference(ctx, q, q.check.tolerance, reference!, size, steps, r);
        else {
          const m = await runDropout(ctx, q, q.check, steps, r);
          calls += size.calls;
          drops += m.drops;
          units += m.units;
          pairs += m.pairs;
          identical += m.identicalPairs;
        }
      } catch (e) {
        if (!(e instanceof PropertyFailure)) throw e;
        return { passed: false, message: e.message, counterexample: { seed: ctx.seed, sequence: r + 1, sequenceSeed: size.seed, calls: size.calls, instances: size.instances } };
      }
    }
    const longest = runs[0]!;
    const what = `${runs.length} sequences, ${calls.toLocaleString('en-US')} calls (the longest ${longest.calls.toLocaleString('en-US')} calls on ${longest.instances} instance${longest.instances === 1 ? '' : 's'})`;
    if (q.check.kind === 'reference') return { passed: true, message: `${what}: every call matches the reference solution from the same state`, metrics: { calls } };
    return {
      passed: true,
      message: `${what}: every output dropped or scaled exactly, eval the identity, inputs untouched; ${drops} of ${units} units dropped, ${identical} of ${pairs} consecutive mask pairs identical`,
      metrics: { calls, drops, units, maskPairs: pairs, identicalMaskPairs: identical },
    };
  },
});
