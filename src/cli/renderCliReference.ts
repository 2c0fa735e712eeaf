import type { Command } from './Command.ts';
import { GLOBAL_NAMES, GLOBAL_OPTIONS, VERSION_OPTION, globalOptionUsage } from './_globalOptions.ts';
import { optionDescription, optionUsage, positionalUsage, usageLine } from './_helpText.ts';
import { TOOL } from './_tool.ts';

/** A table cell: `|` would end the cell, a line break the row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function section(c: Command): string[] {
  const lines = [`## ${TOOL.name} ${c.name}`, '', `${c.summary.charAt(0).toUpperCase()}${c.summary.slice(1)}.`];
  if (c.details !== undefined) lines.push('', c.details);
  lines.push('', '```', usageLine(c), '```');
  if (c.positionals.length > 0) lines.push('', ...table(['argument', 'description'], c.positionals.map((p) => [`\`${positionalUsage(p)}\``, p.description])));
  const options = Object.entries(c.options);
  if (options.length > 0) lines.push('', ...table(['option', 'description'], options.map(([name, o]) => [`\`${optionUsage(name, o)}\``, optionDescription(o)])));
  lines.push('', ...table(['exit code', 'meaning'], Object.entries(c.exits).map(([code, meaning]) => [code, meaning])));
  return lines;
}

/**
 * docs/cli.md: the CLI reference, written from the same definitions as the parser and `--help`
 * (scripts/cliReference.ts writes it; with `--check`, CI fails when the committed file differs).
 */
export function renderCliReference(commands: readonly Command[]): string {
  const globals = GLOBAL_NAMES.map((name) => [globalOptionUsage(name).split(', ').map((u) => `\`${u}\``).join(', '), GLOBAL_OPTIONS[name].description]);
  globals.push([`\`-${VERSION_OPTION.short}\`, \`--version\``, `${VERSION_OPTION.description} (before a verb only)`]);
  const lines = [
    `# ${TOOL.name} command-line reference`,
    '',
    '<!-- Written by `npm run docs:cli` from the verb definitions in src/cli/; edit those, not this file. -->',
    '',
    `${TOOL.description}.`,
    '',
    '```',
    `${TOOL.name} <verb> [arguments] [options]`,
    '```',
    '',
    ...table(['verb', 'what it does'], commands.map((c) => [`[\`${c.name}\`](#${TOOL.name}-${c.name})`, c.summary])),
    '',
    'Options take their value as `--name value` or `--name=value`; a negative number is a value (`--seed -1` is',
    'range-checked, not read as an option). After `--`, every argument is positional. A command line that cannot',
    'be used is refused before any work starts: exit 2, one line on stderr naming the option, argument or file.',
    '',
    '## Global options',
    '',
    ...table(['option', 'description'], globals),
    '',
    '## Exit codes',
    '',
    ...table(['code', 'meaning'], Object.entries(TOOL.exitCodes).map(([code, meaning]) => [code, meaning])),
    '',
    'An internal error (3) is reported as one line; re-run with `--debug` for its stack trace. The first SIGINT or',
    'SIGTERM stops the work in flight and exits 130 (a verb that does not stop shortly after is ended anyway); a',
    'second one ends the process at once.',
  ];
  for (const c of commands) lines.push('', ...section(c));
  return `${lines.join('\n')}\n`;
}
