import type { Command, OptionSpec, PositionalSpec } from './Command.ts';
import { GLOBAL_NAMES, GLOBAL_OPTIONS, VERSION_OPTION, globalOptionUsage } from './_globalOptions.ts';
import { TOOL } from './_tool.ts';

const WIDTH = 100;

export function positionalUsage(p: PositionalSpec): string {
  const name = `<${p.valueName}>${p.variadic === true ? '...' : ''}`;
  return p.required ? name : `[${name}]`;
}

export function optionUsage(name: string, spec: OptionSpec): string {
  return spec.type === 'boolean' ? `--${name}` : `--${name} ${spec.valueName}`;
}

/** `rltask grade <task.yaml> <workspace>... [options]`: required options are spelled out, the others are `[options]`. */
export function usageLine(c: Command): string {
  const entries = Object.entries(c.options);
  const required = entries.filter(([, o]) => o.type !== 'boolean' && o.required === true).map(([n, o]) => optionUsage(n, o));
  const optional = entries.length > required.length ? ['[options]'] : [];
  return [TOOL.name, c.name, ...c.positionals.map(positionalUsage), ...required, ...optional].join(' ');
}

/** The description of an option with its range and default, as help and docs/cli.md show it. */
export function optionDescription(spec: OptionSpec): string {
  if (spec.type === 'boolean') return spec.description;
  const range = spec.type === 'int' ? `${spec.min} to ${spec.max}` : undefined;
  const dflt = spec.required === true ? 'required' : spec.default !== undefined ? `default: ${spec.default}` : spec.defaultText === undefined ? undefined : `default: ${spec.defaultText}`;
  const notes = [range, dflt, spec.type === 'directory' ? 'must exist' : undefined].filter((n) => n !== undefined);
  return notes.length === 0 ? spec.description : `${spec.description} (${notes.join('; ')})`;
}

/** Wrap `text` to the width, every line after the first indented by `indent`. */
function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Two columns, the second wrapped under itself. */
function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${wrap(b, width + 2)}`);
}

function globalOptionRows(withVersion: boolean): [string, string][] {
  const rows: [string, string][] = GLOBAL_NAMES.map((name) => [globalOptionUsage(name), GLOBAL_OPTIONS[name].description]);
  if (withVersion) rows.push([`-${VERSION_OPTION.short}, --version`, VERSION_OPTION.description]);
  return rows;
}

/** `rltask <verb> --help`. */
export function verbHelp(c: Command): string {
  const lines = [`usage: ${usageLine(c)}`, '', wrap(`${c.summary.charAt(0).toUpperCase()}${c.summary.slice(1)}.`, 0)];
  if (c.details !== undefined) lines.push('', wrap(c.details, 0));
  if (c.positionals.length > 0) lines.push('', 'arguments:', ...table(c.positionals.map((p) => [positionalUsage(p), p.description])));
  const options = Object.entries(c.options);
  if (options.length > 0) lines.push('', 'options:', ...table(options.map(([n, o]) => [optionUsage(n, o), optionDescription(o)])));
  lines.push('', 'global options:', ...table(globalOptionRows(false)));
  lines.push('', 'exit codes:', ...table(Object.entries(c.exits).map(([code, meaning]) => [code, meaning])));
  return `${lines.join('\n')}\n`;
}

/** `rltask --help`. */
export function toolHelp(commands: readonly Command[]): string {
  const codes = Object.entries(TOOL.exitCodes).map(([code, meaning]) => `${code} ${meaning}`);
  return [
    `${TOOL.name} ${TOOL.version} — ${TOOL.description}`,
    '',
    `usage: ${TOOL.name} <verb> [arguments] [options]     (${TOOL.name} <verb> --help for details)`,
    '',
    'verbs:',
    ...table(commands.map((c) => [c.name, c.summary])),
    '',
    'global options:',
    ...table(globalOptionRows(true)),
    '',
    `exit codes: ${codes.join(', ')}`,
    '',
  ].join('\n');
}
