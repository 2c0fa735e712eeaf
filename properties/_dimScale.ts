import { z } from 'zod';
import type { CallSpec } from './_inputs.ts';
import type { IssueSink } from './PropertyContract.ts';

const dimName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'use a JavaScript-style identifier' });

/**
 * A number divided by the sum of some of a call's dimensions (He init's 2 / fanIn): how the statistical properties
 * of random functions state a moment that depends on the case's sizes.
 */
export const dimScaleSchema = z.strictObject({ value: z.number().gt(0), divideBy: z.array(dimName).default([]) });
export type DimScale = z.output<typeof dimScaleSchema>;

/** The scale's value for one case's dimensions (the plain value when it divides by none). */
export function dimScaleValue(scale: DimScale, dims: Readonly<Record<string, number>>): number {
  if (scale.divideBy.length === 0) return scale.value;
  return scale.value / scale.divideBy.reduce((s, d) => s + (dims[d] ?? 0), 0);
}

/** Load-time checks of a scale against its call: every dimension declared, and none that makes it value/0. */
export function checkDimScale(call: CallSpec, scale: DimScale, key: string, what: string, issue: IssueSink): void {
  scale.divideBy.forEach((d, i) => {
    if (call.dims[d] === undefined) issue(`unknown dimension "${d}"; declare it under call.dims`, [key, 'divideBy', i]);
    else if (call.dims[d].min < 1 && scale.divideBy.length === 1) issue(`dimension "${d}" can be 0; ${what} = value/0 is undefined`, [key, 'divideBy', i]);
  });
}

/** A statistical property of a random function needs the randomness injected, so that the grade is reproducible. */
export function checkInjectedRng(call: CallSpec, issue: IssueSink): void {
  if (!call.args.some((a) => a.type === 'rng') && !(call.construct ?? []).some((a) => a.type === 'rng')) {
    issue('a random function needs an injected generator among its arguments ({ type: rng })', ['call', 'args']);
  }
}
