import { z } from 'zod';
import { RltaskError } from '../../errors.ts';
import type { SourceMutant } from '../Runtime.ts';
import { runPythonTool } from './runPythonTool.ts';

const mutantSchema = z.strictObject({
  id: z.string(),
  operator: z.string(),
  line: z.int(),
  column: z.int(),
  original: z.string(),
  replacement: z.string(),
  source: z.string(),
});
const outputSchema = z.strictObject({ mutants: z.array(mutantSchema) });

/**
 * Every mutant of a Python file (src/runtime/python/_mutate.py, on Python's own `ast` and tokens, in a sandboxed
 * child): one edit by one standard operator, in source order then operator order, ids unique, each compiled by
 * Python (a mutant that cannot load is left out). A source that does not parse has no mutants.
 *
 * @example
 * const mutants = await mutatePython('def half(x):\n    return x / 2\n', 'half.py');
 * // mutants[0].id === 'L2:14 arithmetic: / → *'
 */
export async function mutatePython(source: string, file: string): Promise<SourceMutant[]> {
  const stdout = await runPythonTool('mutate', JSON.stringify({ source, file }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new RltaskError('E_INTERNAL', 'the Python mutator printed no JSON');
  }
  const result = outputSchema.safeParse(parsed);
  if (!result.success) throw new RltaskError('E_INTERNAL', `the Python mutator's output is malformed: ${result.error.message}`);
  return result.data.mutants;
}
