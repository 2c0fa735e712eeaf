import { z } from 'zod';
import { sample } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { firstDifference, LayerPlan, layerInterfaceParams, shapeText } from './_layer.ts';
import { falseReject, rateArbitrary, rateRange, seedArbitrary } from './_params.ts';
import { bernsteinHalfWidth } from './_stats.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/** What one input may hold: 10^7 float64 values are 80 MB in each direction. */
const MAX_ELEMENTS = 10_000_000;

const shape = z.array(z.int().min(1)).min(1).max(4);

const elementsOf = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * One pass over a training call's output: how many units had a non-zero expected value, how many of those were
 * dropped, and whether every unit is 0 or x·s within `tol`. Not DropoutSequenceCheck.forward: its input classes
 * and subnormal slack are for inputs this property never sends, and over a million elements they cost several
 * times this loop. Branch-free (whether a unit was dropped is a coin flip the processor cannot predict): a
 * failure is located by a second pass, which says what is wrong. A module-level function, not a loop inside the
 * property's closures: those are made anew for every run, and V8 optimized the loop in them only some of the
 * time (on-stack replacement racing the loop's end), so that some batches ran it as baseline code throughout.
 */
function scanKept(x: Float64Array, y: Float64Array, s: number, tol: number): { dropped: number; informative: number; ok: boolean } {
  const n = x.length;
  let dropped = 0;
  let informative = 0;
  let ok = 1;
  for (let i = 0; i < n; i++) {
    const want = x[i]! * s;
    const yi = y[i]!;
    const zero = +(yi === 0);
    const live = +(want !== 0);
    informative += live;
    dropped += zero & live;
    ok &= zero | +(Math.abs(yi - want) <= tol * Math.abs(want));
  }
  return { dropped, informative, ok: ok === 1 };
}

/**
 * The dropout contract at the input sizes a task's own tests use. The other properties keep their inputs small
 * so that they can afford many runs, and a layer that is right only below some size (`if x.size <= 200_000`)
 * passed them all. Per run, a rate p drawn from the seed and, per shape, one layer at that rate called `calls`
 * times in training mode on fresh inputs: every output element must be 0 or x·(1−p)^power, the output a new
 * array, the number of drops within a Bernstein bound of Bernoulli(p) at false-reject ≤ `falseReject` per call,
 * and consecutive masks different (identical masks of m ≥ 10,000 units have probability (p² + q²)^m ≤ 0.905^m,
 * below 10^-400 for p in [0.05, 0.95]); the first call's input must come back untouched, and after eval() a call
 * on it must return it bit for bit. (A layer that wrote into large inputs, or scaled them in eval mode, passed
 * every smaller property.)
 */
export const dropoutAtSize = defineProperty({
  name: 'dropout-at-size',
  summary: "at the shapes a task's own tests use, every kept unit is x·(1−p)^power, the drops number Bernoulli(p)'s, the masks change, the input is untouched and eval is the identity",
  params: z
    .strictObject({
      ...layerInterfaceParams,
      /** The shapes to test, sent as they are; with `maxDims: 1` (a layer that takes flat arrays) each is sent flat. */
      shapes: z.array(shape).min(1).max(8).default([[10_000, 128]]),
      scalePower: z.number().default(-0.5),
      p: rateRange(0.05, 0.95, []),
      relTolerance: z.number().gt(0).max(1e-3).default(1e-9),
      falseReject,
      /** Training calls per layer, each on a fresh input: two or more also check that the mask changes. */
      calls: z.int().min(1).max(4).default(1),
      /** Runs, each at its own rate, every shape in each. */
      runs: z.int().min(1).max(20).default(1),
    })
    .refine((v) => v.shapes.every((s) => elementsOf(s) <= MAX_ELEMENTS), { message: `a shape may hold at most ${MAX_ELEMENTS} elements`, path: ['shapes'] })
    .refine((v) => v.maxDims === 1 || v.shapes.every((s) => s.length <= v.maxDims), { message: 'a shape has more dimensions than maxDims', path: ['shapes'] })
    .refine((v) => v.calls === 1 || v.shapes.every((s) => elementsOf(s) >= 10_000), {
      message: 'with more than one call every shape must hold at least 10,000 elements (the bound on identical masks assumes it)',
      path: ['shapes'],
    })
    .refine((v) => v.p.min >= 0.05 && v.p.max <= 0.95, { message: 'rates must lie in [0.05, 0.95] (the bound on identical masks assumes it)', path: ['p'] }),
  falseRejectBound: (params) => params.shapes.length * params.runs * params.calls * params.falseReject,
  async run(ctx, params) {
    let runsDone = 0;
    return checkBatched(
      ctx.oracle,
      'dropout-at-size',
      [rateArbitrary(params.p), seedArbitrary, seedArbitrary],
      (p, dataSeed, maskSeed) => {
        const plan = new LayerPlan(ctx, params);
        const layers = params.shapes.map((dims, k) => {
          const n = elementsOf(dims);
          const where = (call: number) => `p = ${fmt(p)}, shape ${shapeText(dims)}, training call ${call} of ${params.calls}`;
          const layer = plan.newLayer(p, (maskSeed + k) | 0);
          const inputs = Array.from({ length: params.calls }, (_, c) => sample('uniform', n, (dataSeed + params.calls * k + c) | 0, 1));
          const outputs = inputs.map((x, c) => plan.forward(layer, x, where(c + 1), c === 0, dims));
          const toEval = plan.call(layer, 'eval');
          const inEval = `p = ${fmt(p)}, shape ${shapeText(dims)}, eval mode`;
          const evaluated = plan.forward(layer, inputs[0]!, inEval, false, dims);
          return { n, where, inEval, layer, inputs, outputs, toEval, evaluated };
        });
        return plan.check((take) => {
          const s = (1 - p) ** params.scalePower;
          const q = 1 - p;
          for (const { n, where, inEval, layer, inputs, outputs, toEval, evaluated } of layers) {
            take(layer.made);
            let previous: Float64Array | null = null;
            outputs.forEach((ticket, c) => {
              const x = inputs[c]!;
              const { y, returnedInput, inputAfter } = take(ticket);
              if (returnedInput) throw new PropertyFailure(`in training mode ${params.method}() returned its input array instead of a new one (${where(c + 1)})`);
              const changed = inputAfter === null ? -1 : firstDifference(x, inputAfter);
              if (changed >= 0) {
                throw new PropertyFailure(`${params.method}() modified its input: element ${changed} of ${n} changed from ${fmt(x[changed]!, 17)} to ${fmt(inputAfter![changed]!, 17)} (${where(c + 1)})`);
              }
              const tol = params.relTolerance;
              const { dropped, informative, ok } = scanKept(x, y, s, tol);
              if (!ok) {
                for (let i = 0; i < n; i++) {
                  const xi = x[i]!;
                  const yi = y[i]!;
                  const want = xi * s;
                  if (yi !== 0 && !(Math.abs(yi - want) <= tol * Math.abs(want))) {
                    throw new PropertyFailure(
                      `element ${i} of ${n} is ${fmt(yi, 17)}; expected 0 (dropped) or x·(1−p)^${params.scalePower} = ${fmt(want, 17)} (x = ${fmt(xi, 17)}${want !== 0 && Number.isFinite(yi) ? `, ${fmt(Math.abs(yi / want - 1) * 100, 3)} % off` : ''}; ${where(c + 1)})`,
                    );
                  }
                }
              }
              const half = bernsteinHalfWidth(informative * p * q, 1, params.falseReject);
              if (Math.abs(dropped - informative * p) > half) {
                throw new PropertyFailure(
                  `${dropped} of ${informative} units were dropped; independent drops at p give ${Math.round(informative * p)} ± ${Math.ceil(half)} (drop fraction ${fmt(dropped / informative, 4)}, expected ${fmt(p, 4)}; false-reject ≤ ${params.falseReject}; ${where(c + 1)})`,
                );
              }
              if (previous !== null) {
                const before = previous;
                let same = true;
                for (let i = 0; i < n && same; i++) same = (before[i] === 0) === (y[i] === 0);
                if (same) throw new PropertyFailure(`the mask of training call ${c + 1} is the one of call ${c}: the mask must be drawn afresh on every call (${where(c + 1)})`);
              }
              previous = y;
            });
            take(toEval);
            const x = inputs[0]!;
            const { y } = take(evaluated);
            const i = firstDifference(x, y);
            if (i >= 0) {
              throw new PropertyFailure(`in eval mode ${params.method}() changed element ${i} of ${n} from ${fmt(x[i]!, 17)} to ${fmt(y[i]!, 17)}; eval must be the identity (${inEval})`);
            }
          }
          runsDone++;
          // Nothing of the replies outlives this function (failures carry text): they may live in reused memory.
        }, { transient: true });
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        shrink: false,
        passedMessage: () =>
          `${runsDone} run${runsDone === 1 ? '' : 's'} of ${params.calls} call${params.calls === 1 ? '' : 's'} at ${params.shapes.map(shapeText).join(', ')}: every kept unit x·(1−p)^${params.scalePower}, drops within the Bernoulli bound (false-reject ≤ ${params.falseReject} per call)${params.calls > 1 ? ', a fresh mask on every call' : ''}, input untouched, eval the identity`,
      },
    );
  },
});
