import { constructorContract } from './constructorContract.ts';
import { deterministic } from './deterministic.ts';
import { dropFraction } from './dropFraction.ts';
import { evalIdentity } from './evalIdentity.ts';
import { exactKeptScale } from './exactKeptScale.ts';
import { secondMomentRatio } from './secondMomentRatio.ts';
import { shapeAndPurity } from './shapeAndPurity.ts';
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
] as const;
