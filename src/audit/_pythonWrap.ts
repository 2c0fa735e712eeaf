/**
 * The subject file of a Python task re-declared around its reference solution and its planted bug, for the
 * audit's generated programs (chimeras, hacks) — what src/audit/_wrap.ts does for TypeScript. Each of the two
 * sources is indented into a loader function (`_rl_load_ref`, `_rl_load_bug`) that returns its exports, so that
 * their module-level names stay apart (the classes' methods see them as closures); the exports are declared
 * again with their original signatures (so `same-public-api` and the policy see the task's interface) around one
 * call, `_rl_dispatch(m, a, kw, given, ref, bug, s)`, which the program's prelude defines.
 *
 * A class export becomes a class with the same public methods holding one instance of the reference class and
 * one of the bug's, built with the same arguments; its public attributes are copied in before and out after
 * every call (from the `primary` instance). The bug runs on numpy's legacy global generator's state as it was
 * before the reference's call, and the state the reference left is restored after it: both see the same draws,
 * and the stream is consumed exactly as the reference alone consumes it (generators other than `np.random`'s
 * global one are not shared).
 *
 * Limits: `global` and `nonlocal` statements at the sources' top level, `from __future__` imports, and
 * multi-line string literals whose content must keep its indentation are not supported.
 */
import { analyzePython, type PythonApi, type PythonFunction } from '../runtime/python/analyzePython.ts';
import { applyEdits, type TaskSpec } from '../task/loadTask.ts';

/** The subject file of a Python task: the bug's text, the reference's, and the bug's public API. */
export interface PythonSubject {
  readonly path: string;
  readonly bug: string;
  readonly reference: string;
  readonly api: PythonApi;
  /** The bug's top-level import lines (the re-declared signatures' defaults may name what they import). */
  readonly imports: readonly string[];
  /** Whether a task check (`uses-sqrt`) wants a square root computed in the subject class itself. */
  readonly sqrtInClass: boolean;
}

/** Read a Python task's subject file: the bug, the reference (the solution's edits applied), and its API. */
export async function pythonSubjectFile(spec: TaskSpec): Promise<PythonSubject> {
  const path = spec.grader.subject.file;
  const bug = spec.files.find((f) => f.path === path)?.content;
  if (bug === undefined) throw new Error(`audit: ${spec.id}: the subject file ${path} is not a task file`);
  const reference = applyEdits(new Map(spec.files.map((f) => [f.path, f.content])), spec.solution.edits).get(path)!;
  const facts = (await analyzePython(new Map([[path, bug]]))).get(path);
  if (facts === undefined || facts.syntax !== null) throw new Error(`audit: ${spec.id}: the planted bug's ${path} does not parse`);
  const imports = bug.split('\n').filter((l) => /^(import|from)\s/.test(l));
  const sqrtInClass = facts.api.classes.some((c) => c.name === spec.grader.subject.export) && spec.grader.ast.some((c) => c.check === 'uses-sqrt');
  return { path, bug, reference, api: facts.api, imports, sqrtInClass };
}

/** How a generated program answers: its prelude (which defines `_rl_dispatch`), and whose fields an instance shows. */
export interface PythonWrapProgram {
  readonly title: string;
  /**
   * Top-level code after the wrapper's runtime. It must define `def _rl_dispatch(m, a, kw, given, ref, bug, s)`:
   * `m` the export or method called, `a` its positional parameters' values (defaults applied), `kw` its
   * keyword-only ones, `given` how many the caller gave (a value equal to its default not counted), `ref` and
   * `bug` the same call on the reference and the bug (`ref(a, kw)`), `s` the instance's record (classes only:
   * `ordinal`, `given`, `ctor`, `n` calls per method).
   */
  readonly prelude: string;
  readonly primary?: 'ref' | 'bug';
  /** Code placed before everything else (what runs first at import). */
  readonly head?: string;
}

/** What every wrapped file holds: call counters, instance records, copies and the array helpers of the triggers. */
const RUNTIME = `import numpy as _rl_np

_rl_calls = [0]
_rl_n = {}
_rl_made = [0]
_RL_MISSING = object()
_RL_SIMPLE = (int, float, str, bool, type(None))


class _RlInst:
    def __init__(self, ordinal, given, ctor):
        self.ordinal = ordinal
        self.given = given
        self.ctor = ctor
        self.n = {}


def _rl_count(m, s):
    _rl_calls[0] += 1
    _rl_n[m] = _rl_n.get(m, 0) + 1
    if s is not None:
        s.n[m] = s.n.get(m, 0) + 1


def _rl_given(values, defaults):
    n = 0
    for v, d in zip(values, defaults):
        if d is _RL_MISSING or not (v is d or (type(v) is type(d) and isinstance(v, _RL_SIMPLE) and v == d)):
            n += 1
    return n


def _rl_copies(a):
    return [x.copy() if isinstance(x, (_rl_np.ndarray, list)) else x for x in a]


def _rl_arrays(a):
    return [x for x in a if isinstance(x, _rl_np.ndarray)]


def _rl_size(a):
    xs = _rl_arrays(a)
    if xs:
        return xs[0].size
    for v in a:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
    return 0


def _rl_any(a, test):
    for x in _rl_arrays(a):
        if x.size > 0 and x.dtype.kind == 'f' and bool(_rl_np.any(test(x))):
            return True
    return False


def _rl_both(a, kw, ref, bug):
    """The reference's answer on the arguments and the bug's on copies, from the same draws of np.random."""
    c = _rl_copies(a)
    state = _rl_np.random.get_state()
    r = ref(a, kw)
    after = _rl_np.random.get_state()
    _rl_np.random.set_state(state)
    try:
        b = bug(c, kw)
        thrown = None
    except Exception as e:
        b = None
        thrown = e
    finally:
        _rl_np.random.set_state(after)
    return r, b, c, thrown`;

/** A function's parameters as a Python signature (`self, x, y=2, *rest, k=1, **kw`). */
function signature(f: PythonFunction): string {
  const parts: string[] = [];
  let starred = false;
  for (const p of f.params) {
    if (p.kind === 'varargs') {
      parts.push(`*${p.name}`);
      starred = true;
    } else if (p.kind === 'keyword') {
      if (!starred) parts.push('*');
      starred = true;
      parts.push(p.default === null ? p.name : `${p.name}=${p.default}`);
    } else if (p.kind === 'varkw') parts.push(`**${p.name}`);
    else parts.push(p.default === null ? p.name : `${p.name}=${p.default}`);
  }
  return parts.join(', ');
}

/** The values of a call: positional (with *varargs spread), keyword-only, and `_rl_given(…)` of them. */
function valuesOf(params: readonly PythonFunction['params'][number][]): { a: string; kw: string; given: string } {
  const positional = params.filter((p) => p.kind === 'positional');
  const varargs = params.find((p) => p.kind === 'varargs');
  const keyword = params.filter((p) => p.kind === 'keyword');
  const varkw = params.find((p) => p.kind === 'varkw');
  const a = `[${positional.map((p) => p.name).join(', ')}]${varargs === undefined ? '' : ` + list(${varargs.name})`}`;
  const kwItems = keyword.map((p) => `${JSON.stringify(p.name)}: ${p.name}`);
  const kw = varkw === undefined ? `{${kwItems.join(', ')}}` : `dict({${kwItems.join(', ')}}, **${varkw.name})`;
  const named = [...positional, ...keyword];
  const given = `_rl_given([${named.map((p) => p.name).join(', ')}], [${named.map((p) => p.default ?? '_RL_MISSING').join(', ')}])${varargs === undefined ? '' : ` + len(${varargs.name})`}`;
  return { a, kw, given };
}

const indent = (text: string, by: string): string =>
  text
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : by + l))
    .join('\n');

function loader(name: string, source: string, api: PythonApi): string {
  const exports = [...api.classes.map((c) => c.name), ...api.functions.map((f) => f.name)];
  return `def ${name}():\n${indent(source, '    ')}\n    return {${exports.map((e) => `${JSON.stringify(e)}: ${e}`).join(', ')}}`;
}

function wrapFunction(f: PythonFunction): string {
  const { a, kw, given } = valuesOf(f.params);
  const key = JSON.stringify(f.name);
  return `def ${f.name}(${signature(f)}):
    _rl_count(${key}, None)
    return _rl_dispatch(${key}, ${a}, ${kw}, ${given}, lambda v, k: _RL_REF[${key}](*v, **k), lambda v, k: _RL_BUG[${key}](*v, **k), None)`;
}

function wrapClass(c: PythonApi['classes'][number], primary: 'ref' | 'bug', sqrtInClass: boolean): string {
  const fields = c.attributes.filter((f) => !f.startsWith('_'));
  const key = JSON.stringify(c.name);
  const ctor = c.methods.find((m) => m.name === '__init__');
  const ctorParams = ctor?.params.slice(1) ?? [];
  const cv = valuesOf(ctorParams);
  const fieldsIn = fields.map((f) => `        v = getattr(self, ${JSON.stringify(f)}, _RL_MISSING)\n        if v is not _RL_MISSING:\n            ref.${f} = v\n            if bug is not None:\n                bug.${f} = v`);
  const fieldsOut = fields.map((f) => `        v = getattr(p, ${JSON.stringify(f)}, _RL_MISSING)\n        if v is not _RL_MISSING:\n            self.${f} = v`);
  const lines = [
    `class ${c.name}:`,
    `    def __init__(self${ctorParams.length > 0 ? `, ${signature({ ...ctor!, params: ctorParams })}` : ''}):`,
    `        v = ${cv.a}`,
    `        k = ${cv.kw}`,
    `        ref, bug, c, thrown = _rl_both(v, k, lambda x, y: _RL_REF[${key}](*x, **y), lambda x, y: _RL_BUG[${key}](*x, **y))`,
    `        _rl_made[0] += 1`,
    `        self._rl_i = (ref, bug, _RlInst(_rl_made[0], ${cv.given}, v))`,
    `        self._rl_out()`,
    '',
    '    def _rl_in(self):',
    '        ref, bug, s = self._rl_i',
    ...(fieldsIn.length > 0 ? fieldsIn : ['        pass']),
    '',
    '    def _rl_out(self):',
    `        ref, bug, s = self._rl_i`,
    `        p = ${primary === 'bug' ? 'bug if bug is not None else ref' : 'ref'}`,
    ...(fieldsOut.length > 0 ? fieldsOut : ['        pass']),
    '',
    '    def _rl_call(self, m, a, kw, given, r, b):',
    '        ref, bug, s = self._rl_i',
    '        self._rl_in()',
    '        _rl_count(m, s)',
    '        try:',
    '            return _rl_dispatch(m, a, kw, given, r, b, s)',
    '        finally:',
    '            self._rl_out()',
  ];
  for (const m of c.methods) {
    if (m.name === '__init__' || (m.name.startsWith('_') && !(m.name.startsWith('__') && m.name.endsWith('__')))) continue;
    const params = m.params.slice(1);
    const v = valuesOf(params);
    const name = JSON.stringify(m.name);
    lines.push(
      '',
      `    def ${m.name}(${signature(m)}):`,
      '        ref, bug, s = self._rl_i',
      `        return self._rl_call(${name}, ${v.a}, ${v.kw}, ${v.given}, lambda x, y: ref.${m.name}(*x, **y), lambda x, y: (bug if bug is not None else ref).${m.name}(*x, **y))`,
    );
  }
  if (sqrtInClass) {
    // The task's uses-sqrt check reads the subject class: the reference's square root lives in its loader, so the
    // class keeps one of its own, and it is the properties that must tell this program from the fix.
    lines.push('', '    def _rl_root(self, q):', '        return _rl_np.sqrt(q)');
  }
  return lines.join('\n');
}

/** The subject file of a generated program: the imports, the loaders, the runtime, the prelude, the wrapped exports. */
export function wrapPythonSubject(sub: PythonSubject, program: PythonWrapProgram): string {
  return [
    `# rltask audit program: ${program.title.replace(/\n/g, ' ')}`,
    ...sub.imports,
    program.head ?? '',
    '',
    RUNTIME,
    '',
    '',
    loader('_rl_load_ref', sub.reference, sub.api),
    '',
    '',
    loader('_rl_load_bug', sub.bug, sub.api),
    '',
    '',
    '_RL_REF = _rl_load_ref()',
    '_RL_BUG = _rl_load_bug()',
    '',
    '',
    program.prelude,
    '',
    '',
    ...sub.api.functions.filter((f) => !f.name.startsWith('_')).flatMap((f) => [wrapFunction(f), '', '']),
    ...sub.api.classes.filter((c) => !c.name.startsWith('_')).flatMap((c) => [wrapClass(c, program.primary ?? 'ref', sub.sqrtInClass), '', '']),
  ].join('\n');
}
