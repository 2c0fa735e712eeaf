import fc from 'fast-check';
import type { Oracle } from '../src/sandbox/Oracle.ts';
import type { OracleValue } from '../src/sandbox/protocol.ts';
import { type CallOutcome, invoke } from './_call.ts';
import { type CallSpec, callSchema, caseArbitrary, describeCall, materialize } from './_inputs.ts';
import { firstDifference as firstElementDifference } from './_layer.ts';
import type { PropertySpec } from './PropertyContract.ts';

/**
 * Two programs compared call by call on the inputs a task's grader generates: the `call`s of its properties,
 * drawn as those properties draw them, sent to both, and the answers compared bit for bit (every number with
 * `Object.is`, the arguments as the call left them, the name of what was thrown). `rltask audit` uses it to tell
 * a surviving mutant that is equivalent to the reference, as far as the grader's inputs go, from one that
 * differs where no property looks.
 */

/** The distinct call specs (`call:` parameters) among a task's properties. */
export function callSpecsOf(properties: readonly PropertySpec[]): CallSpec[] {
  const seen = new Set<string>();
  const out: CallSpec[] = [];
  for (const p of properties) {
    const parsed = callSchema.safeParse(p.params['call']);
    if (!parsed.success) continue;
    const key = JSON.stringify(parsed.data);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(parsed.data);
  }
  return out;
}

export interface DifferenceOutcome {
  /** Calls sent to both programs. */
  readonly calls: number;
  /** Call specs they came from. */
  readonly specs: number;
  /** The first call whose answers differ, in words; null when every answer was identical. */
  readonly difference: string | null;
}

function sameValue(a: OracleValue, b: OracleValue): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'number':
      return Object.is(a.value, (b as typeof a).value);
    case 'boolean':
    case 'string':
      return a.value === (b as typeof a).value;
    case 'typed': {
      const t = b as typeof a;
      return a.kind === t.kind && a.arg === t.arg && firstElementDifference(a.value, t.value) === -1;
    }
    case 'array': {
      const t = b as typeof a;
      return a.items.length === t.items.length && a.items.every((v, i) => sameValue(v, t.items[i]!));
    }
    case 'object':
      return a.className === (b as typeof a).className;
    case 'other':
      return a.typeName === (b as typeof a).typeName;
    default:
      return true;
  }
}

function sameOutcome(a: CallOutcome, b: CallOutcome): boolean {
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.thrown.name === b.thrown.name;
  return sameValue(a.value, b.value) && a.argsAfter.length === b.argsAfter.length && a.argsAfter.every((v, i) => sameValue(v, b.argsAfter[i]!));
}

/**
 * Send `perSpec` generated calls of every spec to both oracles (same arguments, same injected generator seeds) and
 * report the first whose answers are not identical.
 *
 * @example
 * const d = await firstDifference(mutant.oracle, reference.oracle, 'softplus', callSpecsOf(spec.grader.properties), { seed: 1, perSpec: 30 });
 * if (d.difference === null) console.log(`identical on ${d.calls} calls`);
 */
export async function firstDifference(a: Oracle, b: Oracle, subject: string, specs: readonly CallSpec[], options: { readonly seed: number; readonly perSpec: number }): Promise<DifferenceOutcome> {
  let calls = 0;
  for (const [k, call] of specs.entries()) {
    const draws = fc.sample(caseArbitrary(call), { seed: (options.seed + k * 7919) | 0, numRuns: options.perSpec });
    for (const draw of draws) {
      const args = materialize(call, draw);
      const [x, y] = await Promise.all([invoke(a, subject, call, args), invoke(b, subject, call, args)]);
      calls++;
      if (!sameOutcome(x, y)) return { calls, specs: specs.length, difference: `${describeCall(call, subject, args)}: ${summary(x)}, where the reference ${summary(y)}` };
    }
  }
  return { calls, specs: specs.length, difference: null };
}

function summary(o: CallOutcome): string {
  if (!o.ok) return `throws ${o.thrown.name}`;
  const v = o.value;
  if (v.type === 'number') return `returns ${v.value}`;
  if (v.type === 'typed') return `returns a ${v.kind}(${v.value.length}) [${[...v.value.subarray(0, 3)].join(', ')}${v.value.length > 3 ? ', …' : ''}]`;
  return `returns ${v.type}`;
}
