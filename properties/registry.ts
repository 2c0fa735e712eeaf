import { constructorContract } from './constructorContract.ts';
import { deterministic } from './deterministic.ts';
import { distributionShape } from './distributionShape.ts';
import { dropFraction } from './dropFraction.ts';
import { evalIdentity } from './evalIdentity.ts';
import { exactKeptScale } from './exactKeptScale.ts';
import { finiteOnExtremes } from './finiteOnExtremes.ts';
import { identityWhen } from './identityWhen.ts';
import { invariant } from './invariant.ts';
import { maskRandomness } from './maskRandomness.ts';
import { matchesReference } from './matchesReference.ts';
import { momentRatio } from './momentRatio.ts';
import { reproducible } from './reproducible.ts';
import { secondMomentRatio } from './secondMomentRatio.ts';
import { shapeAndPurity } from './shapeAndPurity.ts';
import { statefulSequence } from './statefulSequence.ts';
import { zeroRateIdentity } from './zeroRateIdentity.ts';

/** Every contract's item schema, for the task schema's `grader.properties` union (discriminated by `use`). */
export const propertyItems = [
  constructorContract.item,
  shapeAndPurity.item,
  exactKeptScale.item,
  secondMomentRatio.item,
  dropFraction.item,
  evalIdentity.item,
  zeroRateIdentity.item,
  deterministic.item,
  maskRandomness.item,
  // The generic library: any function or class export, inputs described in YAML.
  matchesReference.item,
  invariant.item,
  finiteOnExtremes.item,
  identityWhen.item,
  momentRatio.item,
  distributionShape.item,
  reproducible.item,
  statefulSequence.item,
] as const;
