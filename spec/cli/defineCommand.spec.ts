import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OptionSpec, PositionalSpec } from '../../src/cli/Command.ts';
import { defineCommand } from '../../src/cli/defineCommand.ts';

/** A definition's mistakes are the program's: found when the verb's module loads, not when a user runs it. */
function define(positionals: readonly PositionalSpec[], options: Readonly<Record<string, OptionSpec>>): void {
  defineCommand({ name: 'probe', summary: 'a probe', positionals, options, exits: { 0: 'ok' }, run: async () => 0 });
}

describe('defineCommand', () => {
  it('accepts a consistent definition', () => {
    define([{ name: 'a', valueName: 'a', description: 'a', required: true }, { name: 'b', valueName: 'b', description: 'b', required: false, variadic: true }], {
      n: { type: 'int', valueName: 'N', min: 0, max: 9, default: 3, description: 'n' },
    });
  });

  for (const [what, positionals, options, why] of [
    ['a variadic positional that is not last', [{ name: 'a', valueName: 'a', description: 'a', required: true, variadic: true }, { name: 'b', valueName: 'b', description: 'b', required: true }], {}, /only the last positional can be variadic/],
    ['a required positional after an optional one', [{ name: 'a', valueName: 'a', description: 'a', required: false }, { name: 'b', valueName: 'b', description: 'b', required: true }], {}, /required positional "b" follows an optional one/],
    ['two positionals with one name', [{ name: 'a', valueName: 'a', description: 'a', required: true }, { name: 'a', valueName: 'b', description: 'b', required: true }], {}, /two positionals are named "a"/],
    ['a default outside the range', [], { n: { type: 'int', valueName: 'N', min: 1, max: 9, default: 0, description: 'n' } }, /--n: the default 0 is outside 1\.\.9/],
    ['min above max', [], { n: { type: 'int', valueName: 'N', min: 9, max: 1, description: 'n' } }, /min ≤ max/],
    ['an option named like a global one', [], { debug: { type: 'boolean', description: 'd' } }, /--debug is a global option/],
    ['an option name that is not lower-case words', [], { dryRun: { type: 'boolean', description: 'd' } }, /"dryRun" must be lower-case words/],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => define(positionals, options), why);
    });
  }
});
