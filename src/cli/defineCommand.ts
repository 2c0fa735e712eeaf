import { RltaskError } from '../errors.ts';
import type { Command, CommandDefinition, ExitCodes, OptionSpec, OptionValues, ParsedValues, PositionalSpec, PositionalValues } from './Command.ts';
import { GLOBAL_OPTIONS } from './_globalOptions.ts';

const OPTION_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Mistakes in a definition are the program's, found when the module loads (every spec imports every verb). */
function checkDefinition(d: CommandDefinition<readonly PositionalSpec[], Readonly<Record<string, OptionSpec>>, ExitCodes>): void {
  const fail = (why: string): never => {
    throw new Error(`command "${d.name}": ${why}`);
  };
  if (!OPTION_NAME.test(d.name)) fail('the name must be lower-case words joined by "-"');
  const names = new Set<string>();
  d.positionals.forEach((p, i) => {
    if (names.has(p.name)) fail(`two positionals are named "${p.name}"`);
    names.add(p.name);
    if (p.variadic === true && i !== d.positionals.length - 1) fail(`only the last positional can be variadic ("${p.name}" is not last)`);
    const before = d.positionals[i - 1];
    if (p.required && before !== undefined && !before.required) fail(`the required positional "${p.name}" follows an optional one`);
  });
  for (const [name, o] of Object.entries(d.options)) {
    if (!OPTION_NAME.test(name)) fail(`the option name "${name}" must be lower-case words joined by "-"`);
    if (Object.hasOwn(GLOBAL_OPTIONS, name)) fail(`--${name} is a global option`);
    if (o.type === 'int') {
      if (!Number.isSafeInteger(o.min) || !Number.isSafeInteger(o.max) || o.min > o.max) fail(`--${name}: min and max must be whole numbers with min ≤ max`);
      if (o.default !== undefined && (!Number.isSafeInteger(o.default) || o.default < o.min || o.default > o.max)) fail(`--${name}: the default ${o.default} is outside ${o.min}..${o.max}`);
    }
    if (o.type !== 'boolean' && o.required === true && o.default !== undefined) fail(`--${name} is required and has a default`);
  }
  for (const code of Object.keys(d.exits)) if (!/^(0|[1-9]\d{0,2})$/.test(code) || Number(code) > 255) fail(`exit code ${code} is not 0..255`);
}

function isOptionValues<O extends Readonly<Record<string, OptionSpec>>>(values: ParsedValues['options'], specs: O): values is OptionValues<O> {
  return Object.entries(specs).every(([name, spec]) => {
    const v = values[name];
    const given = spec.type === 'boolean' || spec.default !== undefined || spec.required === true;
    if (v === undefined) return !given;
    return typeof v === (spec.type === 'boolean' ? 'boolean' : spec.type === 'int' ? 'number' : 'string');
  });
}

function isPositionalValues<P extends readonly PositionalSpec[]>(values: ParsedValues['positionals'], specs: P): values is PositionalValues<P> {
  return specs.every((spec) => {
    const v = values[spec.name];
    if (spec.variadic === true) return Array.isArray(v) && v.every((s) => typeof s === 'string');
    return typeof v === 'string' || (v === undefined && !spec.required);
  });
}

/**
 * Declare a verb: its name, summary, positionals, options (with types, defaults, value names and descriptions)
 * and exit codes, and `run`, which receives the values already parsed, converted and checked. Parsing, `--help`,
 * the usage line and docs/cli.md all come from this one declaration.
 *
 * @example
 * export const hello = defineCommand({
 *   name: 'hello',
 *   summary: 'greet someone',
 *   positionals: [{ name: 'who', valueName: 'name', description: 'whom to greet', required: true }],
 *   options: { times: { type: 'int', valueName: 'N', min: 1, max: 10, default: 1, description: 'how often' } },
 *   exits: { 0: 'greeted' },
 *   async run({ who }, { times }, io) {
 *     for (let i = 0; i < times; i++) io.out(`hello ${who}\n`);
 *     return 0;
 *   },
 * });
 */
export function defineCommand<const P extends readonly PositionalSpec[], const O extends Readonly<Record<string, OptionSpec>>, const E extends ExitCodes>(
  definition: CommandDefinition<P, O, E>,
): Command {
  checkDefinition(definition);
  const { name, summary, details, positionals, options, exits } = definition;
  return {
    name,
    summary,
    details,
    positionals,
    options,
    exits,
    async execute(values, io) {
      // The parser works from the same declarations, so a mismatch here is a bug in the parser, not bad input.
      if (!isPositionalValues(values.positionals, positionals) || !isOptionValues(values.options, options)) {
        throw new RltaskError('E_INTERNAL', `${name}: the parsed arguments do not match the command's definition`);
      }
      return definition.run(values.positionals, values.options, io);
    },
  };
}
