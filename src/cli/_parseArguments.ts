import { stat } from 'node:fs/promises';
import type { Command, OptionSpec, ParsedValues } from './Command.ts';
import { GLOBAL_NAMES, GLOBAL_OPTIONS, type GlobalValueName, type GlobalValues } from './_globalOptions.ts';
import { TOOL } from './_tool.ts';

/** What a verb's command line asks for: help, or a run with these values; or why it cannot be read. */
export type ParsedArguments =
  | { readonly kind: 'help'; readonly debug: boolean }
  | { readonly kind: 'run'; readonly debug: boolean; readonly values: ParsedValues; readonly globals: GlobalValues }
  | { readonly kind: 'bad'; readonly debug: boolean; readonly message: string };

const takesValue = (name: keyof typeof GLOBAL_OPTIONS): name is GlobalValueName => GLOBAL_OPTIONS[name].type !== 'boolean';

/** `-1`, `-0.5`, `-.5`: a value, never an option (so that `--seed -1` is range-checked, not "ambiguous"). */
const NEGATIVE_NUMBER = /^-\.?\d/;

function looksLikeOption(token: string): boolean {
  return token.length > 1 && token.startsWith('-') && !NEGATIVE_NUMBER.test(token);
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}

function suggestion(name: string, known: readonly string[]): string {
  const close = known.map((k) => ({ k, d: distance(name, k) })).filter((c) => c.d <= Math.max(1, Math.floor(name.length / 3)));
  close.sort((a, b) => a.d - b.d);
  return close[0] === undefined ? '' : `; did you mean --${close[0].k}?`;
}

/** The value of a value-taking option, or why it is not one. */
function convert(flag: string, spec: Exclude<OptionSpec, { type: 'boolean' }>, text: string): { ok: true; value: string | number } | { ok: false; message: string } {
  if (spec.type !== 'int') return text === '' ? { ok: false, message: `${flag} expects ${spec.valueName}, got an empty value` } : { ok: true, value: text };
  const trimmed = text.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) return { ok: false, message: `${flag} expects a whole number, got "${text}"` };
  const n = Number(trimmed);
  if (!Number.isSafeInteger(n) || n < spec.min || n > spec.max) return { ok: false, message: `${flag} must be between ${spec.min} and ${spec.max}, got ${trimmed}` };
  return { ok: true, value: n };
}

/**
 * The value of the value-taking option at `argv[i]`: inline (`--name=value`) or the next token, unless that is an
 * option; converted and checked. `at` is the index of the last token it used.
 */
function optionValue(
  argv: readonly string[],
  i: number,
  inline: string | undefined,
  flag: string,
  spec: Exclude<OptionSpec, { type: 'boolean' }>,
): { ok: true; value: string | number; at: number } | { ok: false; message: string; at: number } {
  const next = argv[i + 1];
  if (inline === undefined && (next === undefined || looksLikeOption(next))) return { ok: false, message: `${flag} expects a value (${spec.valueName})`, at: i };
  const at = inline === undefined ? i + 1 : i;
  const converted = convert(flag, spec, inline ?? next ?? '');
  return converted.ok ? { ok: true, value: converted.value, at } : { ok: false, message: converted.message, at };
}

/** Why `path` is not an existing directory (or file), or undefined when it is one. */
async function notAn(kind: 'directory' | 'file', path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    return (kind === 'directory' ? st.isDirectory() : st.isFile()) ? undefined : `is not a ${kind}`;
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    return code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? `is not a ${kind} (a part of its path is a file)` : `cannot be used (${code})`;
  }
}

/**
 * Read a verb's command line against its definition: `--name value`, `--name=value`, flags, `--` (only
 * positionals after it), the global options (`--debug`, `-h`/`--help`, `--python PATH`). Every value is converted
 * and checked here (types, ranges, required options and positionals, directories and an interpreter's path that
 * must exist), so a verb does no work on arguments it would later refuse. The first problem is reported, as one
 * line.
 */
export async function parseArguments(command: Command, argv: readonly string[]): Promise<ParsedArguments> {
  const hint = `(see ${TOOL.name} ${command.name} --help)`;
  const options: Record<string, string | number | boolean | undefined> = {};
  const rest: string[] = [];
  let problem: string | undefined;
  const globals = new Set<keyof typeof GLOBAL_OPTIONS>();
  const globalValues: GlobalValues = {};
  let onlyPositionals = false;
  const fail = (message: string): void => void (problem ??= message);
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (onlyPositionals || !looksLikeOption(token)) {
      rest.push(token);
      continue;
    }
    if (token === '--') {
      onlyPositionals = true;
      continue;
    }
    const short = GLOBAL_NAMES.find((g) => 'short' in GLOBAL_OPTIONS[g] && token === `-${GLOBAL_OPTIONS[g].short}`);
    if (short !== undefined) {
      globals.add(short);
      continue;
    }
    if (!token.startsWith('--')) {
      fail(`unknown option ${token} ${hint}`);
      continue;
    }
    const eq = token.indexOf('=');
    const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    const inline = eq === -1 ? undefined : token.slice(eq + 1);
    const flag = `--${name}`;
    const global = GLOBAL_NAMES.find((g) => g === name);
    if (global !== undefined && takesValue(global)) {
      const v = optionValue(argv, i, inline, flag, GLOBAL_OPTIONS[global]);
      i = v.at;
      if (!v.ok) fail(v.message);
      else globalValues[global] = String(v.value);
      continue;
    }
    if (global !== undefined) {
      if (inline !== undefined) fail(`${flag} takes no value, got "${inline}"`);
      else globals.add(global);
      continue;
    }
    const spec = Object.hasOwn(command.options, name) ? command.options[name] : undefined;
    if (spec === undefined) {
      fail(`unknown option ${flag}${suggestion(name, [...Object.keys(command.options), ...GLOBAL_NAMES])} ${hint}`);
      continue;
    }
    if (spec.type === 'boolean') {
      if (inline !== undefined) fail(`${flag} takes no value, got "${inline}"`);
      else options[name] = true;
      continue;
    }
    const v = optionValue(argv, i, inline, flag, spec);
    i = v.at;
    if (v.ok) options[name] = v.value;
    else fail(v.message);
  }
  const debug = globals.has('debug');
  // Help is shown whatever else is wrong: it is what someone who got the command line wrong needs.
  if (globals.has('help')) return { kind: 'help', debug };

  const positionals: Record<string, string | string[] | undefined> = {};
  let next = 0;
  for (const p of command.positionals) {
    if (p.variadic === true) {
      positionals[p.name] = rest.slice(next);
      next = rest.length;
      if (p.required && positionals[p.name]?.length === 0) fail(`missing argument <${p.valueName}> ${hint}`);
      continue;
    }
    const value = rest[next];
    if (value === undefined && p.required) fail(`missing argument <${p.valueName}> ${hint}`);
    positionals[p.name] = value;
    if (value !== undefined) next++;
  }
  const extra = rest[next];
  if (extra !== undefined) fail(`unexpected argument "${extra}" ${hint}`);

  for (const [name, spec] of Object.entries(command.options)) {
    if (spec.type === 'boolean') options[name] ??= false;
    else if (options[name] === undefined) {
      if (spec.default !== undefined) options[name] = spec.default;
      else if (spec.required === true) fail(`--${name} is required ${hint}`);
    }
  }
  if (problem !== undefined) return { kind: 'bad', debug, message: problem };

  // Paths last: a cheap stat each, and only once the command line itself is right. An interpreter given as a
  // bare name is looked up on PATH when it is used.
  const python = globalValues.python;
  if (python?.includes('/') === true) {
    const why = await notAn('file', python);
    if (why !== undefined) return { kind: 'bad', debug, message: `--python ${python} ${why}` };
  }
  for (const p of command.positionals) {
    if (p.type !== 'directory') continue;
    const v = positionals[p.name];
    for (const dir of typeof v === 'string' ? [v] : (v ?? [])) {
      const why = await notAn('directory', dir);
      if (why !== undefined) return { kind: 'bad', debug, message: `${p.valueName} ${dir} ${why}` };
    }
  }
  for (const [name, spec] of Object.entries(command.options)) {
    const v = options[name];
    if (spec.type !== 'directory' || typeof v !== 'string') continue;
    const why = await notAn('directory', v);
    if (why !== undefined) return { kind: 'bad', debug, message: `--${name} ${v} ${why}` };
  }
  return { kind: 'run', debug, values: { positionals, options }, globals: globalValues };
}
