/**
 * The property library: reusable fast-check contracts that a task selects and configures in YAML under
 * `grader.properties` (`use: <name>` plus parameters).
 */
export { constructorContract } from './constructorContract.ts';
export { deterministic } from './deterministic.ts';
export { dropFraction } from './dropFraction.ts';
export { evalIdentity } from './evalIdentity.ts';
export { exactKeptScale } from './exactKeptScale.ts';
export { secondMomentRatio } from './secondMomentRatio.ts';
export { shapeAndPurity } from './shapeAndPurity.ts';
export { zeroRateIdentity } from './zeroRateIdentity.ts';
export { propertyItems } from './registry.ts';
export type { BoundProperty, CheckOutcome, PropertyContext } from './PropertyContract.ts';
export { defineProperty } from './PropertyContract.ts';
export { PropertyFailure } from './PropertyFailure.ts';
export { bernsteinHalfWidth, bernsteinTail, wilson } from './_stats.ts';
