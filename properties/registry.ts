import { RltaskError } from '../src/errors.ts';
import { constructorContract } from './constructorContract.ts';
import { deterministic } from './deterministic.ts';
import { distributionShape } from './distributionShape.ts';
import { dropFraction } from './dropFraction.ts';
import { dropoutAtSize } from './dropoutAtSize.ts';
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
import type { PropertySpec, ResolvedProperty } from './PropertyContract.ts';

const contracts = [
  constructorContract,
  shapeAndPurity,
  exactKeptScale,
  secondMomentRatio,
  dropFraction,
  evalIdentity,
  zeroRateIdentity,
  deterministic,
  maskRandomness,
  dropoutAtSize,
  matchesReference,
  invariant,
  finiteOnExtremes,
  identityWhen,
  momentRatio,
  distributionShape,
  reproducible,
  statefulSequence,
] as const;

const byName: ReadonlyMap<string, { resolve(spec: PropertySpec): ResolvedProperty }> = new Map(contracts.map((c) => [c.name, c]));

/** The names of the property library's contracts (`use:` in a task file). */
export const propertyNames: readonly string[] = contracts.map((c) => c.name);

/**
 * A task's property, resolved for grading: its contract's behaviour with the task's parameters. Throws a task
 * error for a name no contract has (a loaded task cannot contain one).
 */
export function resolveProperty(spec: PropertySpec): ResolvedProperty {
  const contract = byName.get(spec.use);
  if (contract === undefined) throw new RltaskError('E_SPEC', `unknown property "${spec.use}"; expected one of ${propertyNames.join(', ')}`);
  return contract.resolve(spec);
}

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
  dropoutAtSize.item,
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
