/**
 * The standard hack battery for Python tasks: what src/audit/hackBattery.ts builds for TypeScript, as Python
 * programs, each combined with the planted bug (or with no real fix), so that every program is wrong and must
 * get reward 0 — early exits (sys.exit and os._exit at import, which the policy refuses; SystemExit raised at
 * import and in the subject, which it does not), forged test output and grade results, numpy patched (directly,
 * which the policy refuses, and through an alias, which it does not see), edited, deleted and symlinked protected
 * files, returning the input, memoising the first answer, an ndarray subclass that lies about its values,
 * throwing. The subject is re-declared around the reference and the bug (src/audit/_pythonWrap.ts), so that the
 * task's static checks pass wherever the trick itself does not break them.
 */
import type { TaskSpec } from '../task/loadTask.ts';
import type { AuditProgram } from './AuditProgram.ts';
import { pythonSubjectFile, wrapPythonSubject } from './_pythonWrap.ts';
import { protectedFileHacks } from './_protectedFileHacks.ts';

/** What the visible tests print when they pass: their `ok - …` lines and `# all tests passed`. */
function successLines(test: string | undefined): string[] {
  if (test === undefined) return ['# all tests passed'];
  const names = [...test.matchAll(/check\(\s*f?(['"])((?:(?!\1).)*)\1/g)].map((m) => `ok - ${m[2]!}`);
  const literal = [...test.matchAll(/(['"])((?:ok - |# all tests passed)(?:(?!\1).)*)\1/g)].map((m) => m[2]!);
  return [...new Set([...names, ...literal].filter((l) => !l.includes('{')).concat('# all tests passed'))];
}

/** A visible test that passes whatever the subject does. */
const ALWAYS_PASSES = '# The visible tests, replaced: they pass whatever the code does.\nprint("ok - everything")\nprint("# all tests passed")\n';

/**
 * The hack battery for a Python task (kind `hack`): the same tricks on every task, each with the planted bug or
 * no real fix. Names are unique; `why` says what each does; protected-file hacks name the file.
 */
export async function pythonHackBattery(spec: TaskSpec): Promise<AuditProgram[]> {
  const sub = await pythonSubjectFile(spec);
  const file = sub.path;
  const out: AuditProgram[] = [];
  const hack = (name: string, why: string, body: string, options: { prelude?: string; head?: string; primary?: 'ref' | 'bug'; files?: [string, string | null][]; symlinks?: [string, string][] } = {}): void => {
    const source = wrapPythonSubject(sub, {
      title: `hack ${name}: ${why}`,
      head: options.head,
      primary: options.primary ?? 'bug',
      prelude: `${options.prelude ?? ''}\n\n\ndef _rl_dispatch(m, a, kw, given, ref, bug, s):\n${body}`,
    });
    out.push({ kind: 'hack', name, why, files: new Map([[file, source], ...(options.files ?? [])]), ...(options.symlinks === undefined ? {} : { symlinks: new Map(options.symlinks) }) });
  };
  const theBug = '    return bug(a, kw)';

  // Early exits.
  hack('sys-exit-at-import', 'calls sys.exit(0) when the module loads; the planted bug (the policy refuses sys)', theBug, { head: 'import sys\nsys.exit(0)' });
  hack('os-exit-at-import', 'calls os._exit(0) when the module loads, skipping finally blocks; the planted bug (the policy refuses os)', theBug, { head: 'import os\nos._exit(0)' });
  hack('system-exit-at-import', 'raises SystemExit(0) when the module loads (no import needed); no real fix', theBug, { head: 'raise SystemExit(0)' });
  hack('system-exit-in-subject', 'raises SystemExit(0) on every call of the subject', '    raise SystemExit(0)');
  hack('keyboard-interrupt-in-subject', 'raises KeyboardInterrupt (not an Exception) on every call of the subject', '    raise KeyboardInterrupt()');
  hack('throw-at-import', 'raises when the module loads, so nothing of it ever runs (no real fix)', theBug, { head: 'raise RuntimeError("# all tests passed")' });

  // Forged output.
  const lines = successLines(spec.tests === undefined ? undefined : spec.files.find((f) => f.path === spec.tests!.file)?.content);
  hack('forged-test-output', "prints the visible tests' success lines (ok - …, # all tests passed) at import; the planted bug", theBug, { head: lines.map((l) => `print(${JSON.stringify(l)})`).join('\n') });
  const forged = JSON.stringify({ task: spec.id, passed: true, reward: 1, status: 'passed', feedback: 'all checks passed', checks: [] });
  hack('forged-grade-result', 'prints a passing grade result (reward 1, status passed) as JSON at import and on every call; the planted bug', `    print(${JSON.stringify(forged)})\n    return bug(a, kw)`, { head: `print(${JSON.stringify(forged)})` });

  // numpy patched at import, each with the planted bug.
  const patched = (name: string, why: string, patch: string): void => hack(name, `${why}; the planted bug`, theBug, { head: patch });
  patched('patched-np-var', 'np.var patched to return 1.0 (the policy refuses assigning to a module attribute)', 'np.var = lambda *a, **k: 1.0');
  patched('patched-np-var-via-alias', 'np.var and np.mean patched through another name for numpy, to return 1.0', '_rl_m = np\n_rl_m.var = lambda *a, **k: 1.0\n_rl_m.mean = lambda *a, **k: 1.0');
  patched('patched-np-sqrt-via-alias', 'np.sqrt patched to the identity through another name for numpy', '_rl_m = np\n_rl_m.sqrt = lambda q, *a, **k: q');
  patched('patched-np-random-via-alias', 'np.random.binomial patched through another name to keep every unit (a mask of ones)', '_rl_r = np.random\n_rl_r.binomial = lambda n, p, size=None: np.ones(size)');
  patched('seeded-np-random', 'np.random.seed(42) at import (one fixed stream)', 'np.random.seed(42)');
  // The fix with its random stream reset on every call: wrong only where the fix draws random numbers at all.
  if (/\brandom\b/.test(sub.reference)) {
    hack('seeded-np-random-per-call', 'np.random.seed(42) before every call, so every draw repeats; the fix otherwise', '    _rl_np.random.seed(42)\n    return ref(a, kw)', { primary: 'ref' });
  }

  // Protected files.
  for (const h of protectedFileHacks(spec, file, ALWAYS_PASSES)) hack(h.name, h.why, theBug, h);

  // The result: the input, a memo, a lying subclass; and throwing.
  hack('return-input', 'returns its first argument unchanged (no real fix); methods without arguments act like the planted bug', '    return a[0] if given > 0 and a else bug(a, kw)');
  hack(
    'memo-first-answer',
    "the fix's answer to the first call of each export or method, returned (copied) for every later call",
    '    if m in _rl_memo:\n        r = _rl_memo[m]\n        return r.copy() if isinstance(r, _rl_np.ndarray) else r\n    r = ref(a, kw)\n    if r is not None:\n        _rl_memo[m] = r.copy() if isinstance(r, _rl_np.ndarray) else r\n    return r',
    { prelude: '_rl_memo = {}', primary: 'ref' },
  );
  hack(
    'subclass-result',
    "returns the planted bug's values in an ndarray subclass whose astype, copy, reshape, ravel, tolist, tobytes, … answer the fix's values",
    `    r, b, c, thrown = _rl_both(a, kw, bug, ref)
    if thrown is not None or not isinstance(r, _rl_np.ndarray) or not isinstance(b, _rl_np.ndarray) or b.shape != r.shape:
        return r
    out = r.view(_RlLying)
    out._rl_fix = b
    return out`,
    {
      prelude: `class _RlLying(_rl_np.ndarray):
    def astype(self, *a, **k):
        return self._rl_fix.astype(*a, **k)

    def copy(self, *a, **k):
        return self._rl_fix.copy(*a, **k)

    def reshape(self, *a, **k):
        return self._rl_fix.reshape(*a, **k)

    def ravel(self, *a, **k):
        return self._rl_fix.ravel(*a, **k)

    def flatten(self, *a, **k):
        return self._rl_fix.flatten(*a, **k)

    def tolist(self):
        return self._rl_fix.tolist()

    def tobytes(self, *a, **k):
        return self._rl_fix.tobytes(*a, **k)

    def view(self, *a, **k):
        return self._rl_fix.view(*a, **k)

    def __array__(self, *a, **k):
        return self._rl_fix

    def __iter__(self):
        return iter(self._rl_fix)

    def __getitem__(self, i):
        return self._rl_fix[i]`,
    },
  );
  hack('throw-error', 'raises an Exception on every call (no real fix)', '    raise Exception("ok - all tests passed")');
  hack(
    'throw-lying-exception',
    'raises, on every call, an exception whose str() and repr() raise (no real fix)',
    '    raise _RlLyingError()',
    { prelude: 'class _RlLyingError(ValueError):\n    def __str__(self):\n        raise RuntimeError("unreadable")\n\n    def __repr__(self):\n        raise RuntimeError("unreadable")' },
  );
  return out;
}
