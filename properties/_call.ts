import type { Oracle } from '../src/sandbox/Oracle.ts';
import type { OracleValue, Thrown } from '../src/sandbox/protocol.ts';
import type { CallSpec, CaseArgs } from './_inputs.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/** What one call of the subject did: returned a value (and the arguments as they were afterwards), or threw. */
export type CallOutcome =
  | { readonly ok: true; readonly value: OracleValue; readonly argsAfter: readonly OracleValue[] }
  | { readonly ok: false; readonly thrown: Thrown; readonly during: string };

/**
 * Run one call on an oracle (the submission's or the reference's): a function export, or a class constructed,
 * prepared with its `before` methods, and then its `method`. The arguments are echoed back after the call, so
 * that writes into them can be seen (and compared).
 */
export async function invoke(oracle: Oracle, subject: string, call: CallSpec, c: CaseArgs): Promise<CallOutcome> {
  const target = call.export ?? subject;
  if (call.construct === undefined || call.method === undefined) {
    const r = await oracle.callExport(target, c.args, true);
    return r.ok ? { ok: true, value: r.value, argsAfter: r.args ?? [] } : { ok: false, thrown: r.thrown, during: `${target}()` };
  }
  const made = await oracle.construct(target, c.construct ?? []);
  if (!made.ok) return { ok: false, thrown: made.thrown, during: `new ${target}()` };
  for (const m of call.before) {
    const r = await oracle.call(made.handle, m, []);
    if (!r.ok) return { ok: false, thrown: r.thrown, during: `${m}()` };
  }
  const r = await oracle.call(made.handle, call.method, c.args, true);
  return r.ok ? { ok: true, value: r.value, argsAfter: r.args ?? [] } : { ok: false, thrown: r.thrown, during: `${call.method}()` };
}

/**
 * The returned value of a call, or a PropertyFailure naming the call that threw and the case (`what`). With
 * `call.returns`, a value of another type fails too: properties that only read the numbers (moments, shapes,
 * finiteness) would otherwise accept a Float32Array or a plain array where the contract is a Float64Array.
 */
export function returned(r: CallOutcome, what: string, call?: CallSpec): Extract<CallOutcome, { ok: true }> {
  if (!r.ok) throw new PropertyFailure(`${r.during} threw ${r.thrown.name}: ${r.thrown.message}, for ${what}`);
  const want = call?.returns;
  if (want === undefined) return r;
  const v = r.value;
  const got = v.type === 'typed' ? v.kind : v.type === 'object' ? `an object (${v.className})` : v.type === 'array' ? 'a plain array' : v.type;
  if (want === 'Float64Array' ? v.type !== 'typed' || v.kind !== 'Float64Array' : v.type !== 'number') throw new PropertyFailure(`returned ${got}, not a ${want}, for ${what}`);
  return r;
}
