import type { Oracle } from '../src/sandbox/Oracle.ts';
import type { OracleReply, Request } from '../src/sandbox/protocol.ts';
import type { CallOutcome } from './_call.ts';
import { type CaseDraw, type CallSpec, materialize } from './_inputs.ts';

/**
 * Calls `rngShift` = from, from + 1, …, from + count − 1 of one case (every injected generator on a stream of its
 * own, everything else equal), sent as one batch: one round trip for all of them, where `invoke` takes one per
 * call. A class call is constructed afresh, prepared with its `before` methods, then called, per shift.
 */
export async function repeatCalls(oracle: Oracle, subject: string, call: CallSpec, draw: CaseDraw, from: number, count: number): Promise<CallOutcome[]> {
  const target = call.export ?? subject;
  const requests: Request[] = [];
  /** Per shift: the index of its first request and how many it has. */
  const spans: [number, number][] = [];
  for (let k = from; k < from + count; k++) {
    const c = materialize(call, draw, k);
    const start = requests.length;
    if (call.construct === undefined || call.method === undefined) {
      requests.push({ op: 'callExport', target, args: c.args, echoArgs: true });
    } else {
      const { request, handle } = oracle.constructRequest(target, c.construct ?? []);
      requests.push(request);
      for (const m of call.before) requests.push({ op: 'call', handle, method: m, args: [], echoArgs: false });
      requests.push({ op: 'call', handle, method: call.method, args: c.args, echoArgs: true });
    }
    spans.push([start, requests.length - start]);
  }
  const replies = await oracle.run(requests, `${count} calls of ${target}()`);
  return spans.map(([start, length]) => outcomeOf(call, target, replies.slice(start, start + length)));
}

/** The outcome of one shift's replies: the first one that threw, else the last one's value. */
function outcomeOf(call: CallSpec, target: string, replies: readonly OracleReply[]): CallOutcome {
  const steps = call.construct === undefined || call.method === undefined ? [`${target}()`] : [`new ${target}()`, ...call.before.map((m) => `${m}()`), `${call.method}()`];
  for (let i = 0; i < replies.length; i++) {
    const r = replies[i]!;
    if (!r.ok) return { ok: false, thrown: r.thrown, during: steps[i] ?? `${target}()` };
  }
  const last = replies[replies.length - 1];
  if (last === undefined || !last.ok) return { ok: false, thrown: { name: 'Error', message: 'no reply' }, during: `${target}()` };
  return { ok: true, value: last.value, argsAfter: last.args ?? [] };
}
