import { z } from 'zod';
import { defineStaticCheck } from '../staticCheck.ts';

/** The contract half of a fix that must not change how callers use the code: a helper stays private. */
export const samePublicApi = defineStaticCheck({
  check: 'same-public-api',
  summary: 'the file exports the same API as the task gives it (names, signatures, class members); helpers stay private',
  params: z.strictObject({}),
  runtimes: ['typescript', 'python'] as const,
});
