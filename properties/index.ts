/**
 * The property library: reusable fast-check contracts that a task selects and configures in YAML under
 * `grader.properties` (`use: <name>` plus parameters).
 */
export { constructorContract } from './constructorContract.ts';
export { deterministic } from './deterministic.ts';
export { dropFraction } from './dropFraction.ts';
export { dropoutAtSize } from './dropoutAtSize.ts';
export { evalIdentity } from './evalIdentity.ts';
export { exactKeptScale } from './exactKeptScale.ts';
export { finiteOnExtremes } from './finiteOnExtremes.ts';
export { identityWhen } from './identityWhen.ts';
export { invariant } from './invariant.ts';
export { matchesReference } from './matchesReference.ts';
export { momentRatio } from './momentRatio.ts';
export { reproducible } from './reproducible.ts';
export { secondMomentRatio } from './secondMomentRatio.ts';
export { shapeAndPurity } from './shapeAndPurity.ts';
export { statefulSequence } from './statefulSequence.ts';
export { zeroRateIdentity } from './zeroRateIdentity.ts';
export { propertyItems, resolveProperty } from './registry.ts';
export type { CheckOutcome, IssueSink, PropertyContext, PropertySpec, ReferenceSolution, ResolvedProperty } from './PropertyContract.ts';
export { defineProperty } from './PropertyContract.ts';
export { PropertyFailure } from './PropertyFailure.ts';
export { callSpecsOf, firstDifference, type DifferenceOutcome } from './firstDifference.ts';
export { distributionNames, sample, type Distribution } from './_distributions.ts';
export { bernsteinHalfWidth, bernsteinSampleSize, bernsteinSamples, bernsteinTail, chiSquareSamples, gaussianMeanSamples, wilson } from './_stats.ts';
