import { z } from 'zod';
import { defineStaticCheck } from '../staticCheck.ts';

/**
 * The permissions policy, run on every editable file of every grade before the configured checks: a first filter
 * (the sandbox is the boundary) that refuses code reaching for modules, the process, the global object, code
 * generation or reflection. A failure stops the grade before the submission runs.
 */
export const policy = defineStaticCheck({
  check: 'policy',
  summary: 'no imports, process, global object, code generation, reflection, network or timers in the editable files',
  params: z.strictObject({}),
  runtimes: ['typescript', 'python'] as const,
  configurable: false,
});
