import type { StaticCheckOutcome } from '../../staticCheck.ts';
import type { StaticCheckSpec } from '../../staticCheckRegistry.ts';
import type { ParsedPythonFile } from '../analyzePython.ts';

/**
 * uses-sqrt (src/runtime/checks/usesSqrt.ts) for Python: a square root computed in code (np.sqrt, math.sqrt or
 * an imported sqrt, np.power / math.pow / `**` / `**=` with ±0.5 or ±1/2, exp(±0.5 · log(…))) in the subject
 * (the class or function named by the task, or one member of the class), else anywhere in the file. Comments and
 * strings are not in the syntax tree, so a root written there does not count.
 */
export function usesSqrt(file: string, facts: ParsedPythonFile, subject: string, check: Extract<StaticCheckSpec, { check: 'uses-sqrt' }>): StaticCheckOutcome {
  const isClass = facts.api.classes.some((c) => c.name === subject);
  const isFunction = facts.api.functions.some((f) => f.name === subject);
  const prefix = isClass && check.in !== undefined ? [subject, check.in] : isClass || isFunction ? [subject] : [];
  const where = prefix.length === 0 ? file : prefix.join('.');
  const found = facts.sqrt.some((s) => prefix.every((p, i) => s.scope[i] === p));
  return found
    ? { passed: true, message: `${where} computes a square root in code` }
    : { passed: false, message: `${where} computes no square root in code (np.sqrt(…), math.sqrt(…), np.power(…, ±0.5), … ** ±0.5 or np.exp(±0.5 * np.log(…))); a comment or string does not count` };
}
