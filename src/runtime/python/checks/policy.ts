import type { StaticCheckOutcome } from '../../staticCheck.ts';
import type { ParsedPythonFile } from '../analyzePython.ts';

/** Violations shown per grade; the rest are counted. */
const MAX_SHOWN = 10;

/**
 * policy (src/runtime/checks/policy.ts) for Python, from the facts _analyze.py read: imports other than numpy
 * and math (and the task's own editable modules), open/exec/eval/compile/__import__/globals/vars, reflection
 * with computed or dunder names, dunder attributes (`__class__`, `__subclasses__`, `__globals__`, `__dict__`, …),
 * the process and thread modules by name, numpy's file I/O, and assignments to an imported module's attributes.
 */
export function policy(files: ReadonlyMap<string, ParsedPythonFile>): StaticCheckOutcome {
  const found: string[] = [];
  for (const [file, facts] of files) for (const v of facts.violations) found.push(`${file}:${v.line}:${v.column}: ${v.message}`);
  if (found.length === 0) return { passed: true, message: 'imports only numpy and math; no open, exec, eval, reflection, dunder attributes or process modules' };
  const more = found.length > MAX_SHOWN ? `; and ${found.length - MAX_SHOWN} more` : '';
  return { passed: false, message: `the permissions policy refuses: ${found.slice(0, MAX_SHOWN).join('; ')}${more}` };
}
