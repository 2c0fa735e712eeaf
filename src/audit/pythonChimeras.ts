/**
 * Chimeras of a Python task's reference fix and its planted bug: what src/audit/chimeras.ts builds for
 * TypeScript, as Python programs (src/audit/_pythonWrap.ts re-declares the subject's exports around the two).
 * The triggers are the same, drawn from the same domain of the task's properties (`domainOf`): after the k-th
 * call, from the k-th instance on, after an instance's second eval(), for sizes (an array's element count)
 * above or below a threshold, on arrays holding zeros, −0, integers, ties, subnormals, huge or non-finite values,
 * with an argument left to its default, for a parameter in a narrow band. A fired trigger perturbs the fix's
 * answer by a relative 1e-6 where the properties compare results with the reference, and otherwise gives the
 * planted bug's answer on the same random draws (zeros where it equals the fix's).
 */
import type { TaskSpec } from '../task/loadTask.ts';
import type { AuditProgram } from './AuditProgram.ts';
import { type PythonSubject, pythonSubjectFile, wrapPythonSubject } from './_pythonWrap.ts';
import { BAND, CALL_COUNTS, type Domain, domainOf, effectOf, HUGE, INSTANCE_CALL_COUNTS, INSTANCE_ORDINALS, shown, toleranceInUlps } from './chimeras.ts';

interface Trigger {
  readonly name: string;
  readonly when: string;
  /** A Python boolean expression over `m`, `a`, `kw`, `given`, `s` (see PythonWrapProgram.prelude). */
  readonly code: string;
}

const ANY = (test: string): string => `_rl_any(a, lambda x: ${test})`;

/** Parameters per export and method (`new`: the constructor), `self` not counted. */
function arities(sub: PythonSubject): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of sub.api.functions) out.set(f.name, f.params.length);
  for (const c of sub.api.classes) {
    for (const m of c.methods) out.set(m.name === '__init__' ? 'new' : m.name, Math.max(0, m.params.length - 1));
    if (!out.has('new')) out.set('new', 0);
  }
  return out;
}

function triggers(sub: PythonSubject, spec: TaskSpec, d: Domain): Trigger[] {
  const out: Trigger[] = [];
  const cls = sub.api.classes.find((c) => c.name === spec.grader.subject.export);
  const v = d.values;
  if (cls === undefined) {
    for (const k of CALL_COUNTS) {
      if (k < d.calls) out.push({ name: `after-${k}-calls`, when: `after the first ${shown(k)} calls of the exports (counted across the grade)`, code: `_rl_calls[0] > ${k}` });
    }
  } else {
    const methods = cls.methods.filter((m) => m.name !== '__init__');
    for (const m of methods.filter((x) => x.params.length > 1)) {
      const key = JSON.stringify(m.name);
      for (const k of CALL_COUNTS) {
        if (k < (d.callsOf.get(m.name) ?? 0)) out.push({ name: `after-${k}-${m.name}-calls`, when: `after the first ${shown(k)} ${m.name}() calls in all (counted across instances)`, code: `_rl_n.get(${key}, 0) > ${k}` });
      }
      for (const k of INSTANCE_CALL_COUNTS) {
        if (k < (d.onOneInstance.get(m.name) ?? 0)) {
          out.push({ name: `after-${k}-${m.name}-calls-on-one-instance`, when: `on an instance's ${m.name}() calls after its first ${shown(k)}`, code: `s is not None and s.n.get(${key}, 0) > ${k}` });
        }
      }
    }
    for (const k of INSTANCE_ORDINALS) {
      if (k <= d.instances) out.push({ name: `from-instance-${k}`, when: `on the ${k === 2 ? '2nd' : `${k}th`} instance built and every later one`, code: `s is not None and s.ordinal >= ${k}` });
    }
    for (const m of methods.filter((x) => x.params.length === 1)) {
      if ((d.onOneInstance.get(m.name) ?? 0) >= 2) {
        out.push({ name: `after-second-${m.name}`, when: `on an instance once ${m.name}() has been called on it twice (its second ${m.name} phase and after)`, code: `s is not None and s.n.get(${JSON.stringify(m.name)}, 0) >= 2` });
      }
    }
    if (d.defaultConstructed) out.push({ name: 'default-constructed', when: `on instances built with no arguments (${cls.name}())`, code: 's is not None and s.given == 0' });
    const ctorArity = Math.max(0, (cls.methods.find((m) => m.name === '__init__')?.params.length ?? 1) - 1);
    if (d.omitted.has('new') && ctorArity > 1) {
      out.push({ name: 'constructor-argument-omitted', when: 'on instances built with some constructor arguments left to their defaults, not all', code: `s is not None and 0 < s.given < ${ctorArity}` });
    }
  }
  if (d.sizes !== undefined) {
    if (d.sizes.max > 64) out.push({ name: 'size-above-64', when: 'when n > 64 (n: the first array argument’s element count, or the first number)', code: '_rl_size(a) > 64' });
    if (d.sizes.max > 1024) out.push({ name: 'size-above-1024', when: 'when n > 1,024', code: '_rl_size(a) > 1024' });
    if (d.sizes.min <= 1 && d.sizes.max >= 1) out.push({ name: 'size-1', when: 'when n = 1', code: '_rl_size(a) == 1' });
    if (d.sizes.min <= 8 && d.sizes.max > 8) out.push({ name: 'size-at-most-8', when: 'when 1 ≤ n ≤ 8', code: '1 <= _rl_size(a) <= 8' });
  }
  if (v.zeros) out.push({ name: 'exact-zero', when: 'when an input array holds an exact zero', code: ANY('x == 0') });
  if (v.negativeZero) out.push({ name: 'negative-zero', when: 'when an input array holds −0', code: ANY('(x == 0) & _rl_np.signbit(x)') });
  if (v.integers) out.push({ name: 'integers', when: 'when an input array holds a non-zero integer', code: ANY('(x != 0) & _rl_np.isfinite(x) & (x == _rl_np.round(x))') });
  if (v.ties) out.push({ name: 'tie-at-max', when: 'when the largest value of an input array occurs twice', code: ANY('_rl_np.sum(x == _rl_np.max(x)) > 1') });
  if (v.subnormals) out.push({ name: 'subnormal', when: 'when an input array holds a subnormal number', code: ANY('(x != 0) & (_rl_np.abs(x) < 2.2250738585072014e-308)') });
  if (v.max >= 10 * HUGE) out.push({ name: 'huge', when: `when an input array holds a value beyond ±${shown(HUGE)}`, code: ANY(`_rl_np.abs(x) > ${HUGE}`) });
  if (v.nonFinite) out.push({ name: 'non-finite', when: 'when an input array holds NaN or ±Infinity', code: ANY('~_rl_np.isfinite(x)') });
  for (const f of sub.api.functions) {
    const optional = f.params.filter((p) => p.default !== null && (p.kind === 'positional' || p.kind === 'keyword'));
    if (d.omitted.has(f.name) && optional.length > 0) {
      const many = sub.api.functions.length > 1;
      out.push({
        name: many ? `omitted-argument-${f.name}` : 'omitted-argument',
        when: `when an optional argument${many ? ` of ${f.name}()` : ''} is left to its default`,
        code: `m == ${JSON.stringify(f.name)} and given < ${f.params.length}`,
      });
    }
  }
  out.push(...bands(sub, d));
  return out;
}

/** Narrow-band triggers: one per number argument with a generated range. */
function bands(sub: PythonSubject, d: Domain): Trigger[] {
  const out: Trigger[] = [];
  const owners: { target: string; params: readonly { name: string; kind: string }[]; prefix: string }[] = [
    ...sub.api.functions.map((f) => ({ target: f.name, params: f.params, prefix: sub.api.functions.length > 1 ? `${f.name}.` : '' })),
    ...sub.api.classes.flatMap((c) => c.methods.map((m) => (m.name === '__init__' ? { target: 'new', params: m.params.slice(1), prefix: '' } : { target: m.name, params: m.params.slice(1), prefix: `${m.name}.` }))),
  ];
  for (const o of owners) {
    o.params.forEach((p, i) => {
      const r = d.numbers.get(`${o.target}#${i}`);
      if (r === undefined || p.kind !== 'positional') return;
      let [lo, hi] = r.log && r.min > 0 ? BAND.map((f) => r.min * (r.max / r.min) ** f) : BAND.map((f) => r.min + f * (r.max - r.min));
      if (r.integer) {
        lo = Math.ceil(lo!);
        hi = Math.floor(hi!);
        if (lo > hi) return;
      }
      const value = o.target === 'new' ? `s.ctor[${i}]` : `a[${i}]`;
      const guard = o.target === 'new' ? `s is not None and len(s.ctor) > ${i} and ` : `m == ${JSON.stringify(o.target)} and len(a) > ${i} and `;
      out.push({
        name: `band-${o.prefix}${p.name}`,
        when: `when ${o.prefix}${p.name} ∈ [${shown(lo!)}, ${shown(hi!)}] (a tenth of its generated range ${shown(r.min)} … ${shown(r.max)})`,
        code: `${guard}isinstance(${value}, (int, float)) and ${lo} <= ${value} <= ${hi}`,
      });
    });
  }
  return out;
}

/** The effects' helpers: a relative 1e-6 error, and the bug's answer with its fallback. */
const EFFECTS = `def _rl_off(r):
    return _rl_np.where(r == 0, 1e-6, r * (1 + 1e-6))


def _rl_perturb(r, a):
    """A relative error of 1e-6 in every number returned, in place where the result is an argument updated in place."""
    if isinstance(r, _rl_np.ndarray) and r.dtype.kind == 'f':
        if any(r is x for x in a):
            r[...] = _rl_off(r)
            return r
        return _rl_off(r)
    if isinstance(r, float):
        return float(_rl_off(_rl_np.float64(r)))
    return r


def _rl_same(x, y):
    if isinstance(x, _rl_np.ndarray) and isinstance(y, _rl_np.ndarray):
        return type(x) is type(y) and x.dtype == y.dtype and x.shape == y.shape and bool(_rl_np.allclose(x, y, rtol=1e-9, atol=0, equal_nan=True))
    if isinstance(x, float) and isinstance(y, float):
        return bool(_rl_np.isclose(x, y, rtol=1e-9, atol=0, equal_nan=True))
    return type(x) is type(y) and (x is y or (isinstance(x, _RL_SIMPLE) and x == y))


def _rl_fallback(r, a, before):
    """Where the bug answers like the fix: zeros, or if the fix's answer is zeros too, the fix's answer perturbed."""
    if isinstance(r, _rl_np.ndarray) and r.dtype.kind == 'f':
        k = next((i for i, x in enumerate(a) if x is r), -1)
        in_place = k >= 0 and not _rl_same(before[k], r)
        zeros = _rl_np.zeros_like(r)
        wrong = _rl_off(r) if _rl_same(zeros, r) else zeros
        if not in_place:
            return wrong
        r[...] = wrong
        return r
    if isinstance(r, float):
        return float(_rl_off(_rl_np.float64(r))) if abs(r) < 1e-300 else 0.0
    return r


def _rl_chimera(fire, a, kw, ref, bug, both):
    """The fix's answer, or when fire, the bug's on the same arguments and random draws."""
    if not fire and not both:
        return ref(a, kw)
    before = _rl_copies(a) if fire else a
    r, b, c, thrown = _rl_both(a, kw, ref, bug)
    if not fire:
        return r
    if thrown is not None:
        raise thrown
    if _rl_same(r, b) and all(_rl_same(x, y) for x, y in zip(a, c)):
        return _rl_fallback(r, a, before)
    for x, y in zip(a, c):
        if isinstance(x, _rl_np.ndarray) and x is not y and x.shape == y.shape:
            x[...] = y
    k = next((i for i, y in enumerate(c) if y is b), -1)
    return a[k] if k >= 0 and isinstance(b, _rl_np.ndarray) else b`;

/**
 * The chimeras of a Python task's reference fix and planted bug (kind `chimera`), plus the generic wrong fixes
 * built the same way: off by 2,000 ulps (where a tolerance is stated in ulps), a float32 array or a list where the
 * contract is a float64 array, an answer written into the input array for long inputs (or a copy where the fix
 * updates in place), and — where a property compares a submission with itself — a memo that answers a shifted
 * input with the previous answer. Names are unique; `why` says what each does.
 */
export async function pythonChimeras(spec: TaskSpec): Promise<AuditProgram[]> {
  const sub = await pythonSubjectFile(spec);
  const domain = domainOf(spec, arities(sub));
  const effect = effectOf(spec);
  const stateful = sub.api.classes.length > 0;
  const program = (name: string, why: string, dispatch: string, extra = ''): AuditProgram => ({
    kind: 'chimera',
    name,
    why,
    files: new Map([[sub.path, wrapPythonSubject(sub, { title: `chimera ${name}: ${why}`, prelude: `${EFFECTS}\n${extra}\n\n\ndef _rl_dispatch(m, a, kw, given, ref, bug, s):\n${dispatch}` })]]),
  });
  const out: AuditProgram[] = [];
  for (const t of triggers(sub, spec, domain)) {
    const why = effect === 'perturb' ? `the fix's answer off by a relative 1e-6 ${t.when}; the fix otherwise` : `the planted bug's answer (zeros where it equals the fix's) ${t.when}; the fix otherwise`;
    const dispatch =
      effect === 'perturb'
        ? `    fire = ${t.code}\n    r = ref(a, kw)\n    return _rl_perturb(r, a) if fire else r`
        : `    return _rl_chimera(bool(${t.code}), a, kw, ref, bug, ${stateful ? 'True' : 'False'})`;
    out.push(program(t.name, why, dispatch));
  }
  if (effect === 'perturb' && toleranceInUlps(spec)) {
    out.push(program('2000-ulps', 'every result 2,000 ulps off (relative 4.4e-13): "accurate to rounding" refuses it', '    r = ref(a, kw)\n    k = 1 + 2000 * 2.220446049250313e-16\n    if isinstance(r, _rl_np.ndarray) and r.dtype.kind == "f":\n        if any(r is x for x in a):\n            r *= k\n            return r\n        return r * k\n    return r * k if isinstance(r, float) else r'));
  }
  out.push(program('float32-result', 'the fix, but it returns a float32 array where the contract is a float64 array', '    r = ref(a, kw)\n    return r.astype(_rl_np.float32) if isinstance(r, _rl_np.ndarray) else r'));
  out.push(program('list-result', 'the fix, but it returns a list where the contract is a numpy array', '    r = ref(a, kw)\n    return r.tolist() if isinstance(r, _rl_np.ndarray) else r'));
  if (domain.sizes !== undefined && domain.sizes.max > 64) {
    out.push(
      program(
        'in-place-flip-above-64',
        'the fix, but for n > 64 it updates copies where the fix updates its arguments in place, or writes its result into its first argument where the fix returns a new array',
        '    if _rl_size(a) <= 64:\n        return ref(a, kw)\n    c = _rl_copies(a)\n    r = ref(c, kw)\n    if any(r is y for y in c):\n        return r\n    x = a[0] if a else None\n    if isinstance(x, _rl_np.ndarray) and isinstance(r, _rl_np.ndarray) and r.shape == x.shape and x.dtype == r.dtype:\n        x[...] = r\n        return x\n    return r',
      ),
    );
  }
  if (spec.grader.properties.some((p) => p.use === 'invariant')) {
    out.push(
      program(
        'memo-shifted-input',
        'the planted bug, but an input that is the previous one shifted by a constant gets the previous answer (shifted, for a number)',
        `    x = a[0] if a else None
    prev = _rl_prev.get('last')
    if isinstance(x, _rl_np.ndarray) and x.dtype.kind == 'f' and x.size > 1 and prev is not None and prev[0] == m and prev[1].shape == x.shape:
        d = x.reshape(-1) - prev[1].reshape(-1)
        c = float(d[0])
        if bool(_rl_np.all(_rl_np.abs(d - c) <= 1e-6 * (abs(c) + 1))):
            y = prev[2]
            return y + c if isinstance(y, float) else (y.copy() if isinstance(y, _rl_np.ndarray) else y)
    r = bug(a, kw)
    if isinstance(x, _rl_np.ndarray):
        _rl_prev['last'] = (m, x.copy(), float(r) if isinstance(r, (float, _rl_np.floating)) else (r.copy() if isinstance(r, _rl_np.ndarray) else r))
    return r`,
        '_rl_prev = {}',
      ),
    );
  }
  return out;
}
