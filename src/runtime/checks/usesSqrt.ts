import { z } from 'zod';
import { defineStaticCheck } from '../staticCheck.ts';

/**
 * For tasks whose fix is a square root that a wrong fix can imitate numerically (a power series, a lookup
 * table): the root must be computed in code, not written in a comment or a string.
 */
export const usesSqrt = defineStaticCheck({
  check: 'uses-sqrt',
  summary: 'the subject computes a square root in code (a root function, a power of ±0.5 or exp(±0.5 · log)), not in a comment or string',
  params: z.strictObject({
    in: z.string().optional().describe('Restrict the search to this member of the subject class (default: the whole subject).'),
  }),
  runtimes: ['typescript', 'python'] as const,
});
