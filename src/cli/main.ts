import { parseArgs } from 'node:util';
import { exitCodeFor, RltaskError } from '../errors.ts';
import { calibrate } from './calibrate.ts';
import { check } from './check.ts';
import type { Command, Io } from './Command.ts';
import { demo } from './demo.ts';
import { grade } from './grade.ts';
import { init } from './init.ts';
import { list } from './list.ts';
import { test } from './test.ts';

export const commands: readonly Command[] = [init, check, list, grade, test, demo, calibrate];

function toolHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'rltask — RL training tasks for coding agents: YAML task specs, workspaces, an unfoolable grader',
    '',
    'usage: rltask <verb> [arguments] [options]     (rltask <verb> --help for details)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'exit codes: 0 success/pass, 1 failing verdict, 2 bad input, 3 internal error',
  ].join('\n');
}

function verbHelp(c: Command): string {
  return `usage: ${c.usage}\n\n${c.summary}\n${c.help === '' ? '' : `\n${c.help}\n`}`;
}

/** Run the CLI with argv (without node and script) and return the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    const target = verb === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.out(`${target ? verbHelp(target) : toolHelp()}\n`);
    return verb === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === verb);
  if (command === undefined) {
    io.err(`rltask: unknown verb "${verb}"\n\n${toolHelp()}\n`);
    return 2;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new RltaskError('E_USAGE', `${(e as Error).message}\nusage: ${command.usage}`);
    }
    if (parsed.values['help'] === true) {
      io.out(`${verbHelp(command)}\n`);
      return 0;
    }
    return await command.run(parsed.positionals, parsed.values, io);
  } catch (e) {
    const code = exitCodeFor(e);
    const message = e instanceof Error ? e.message : String(e);
    io.err(code === 2 ? `rltask ${verb}: ${message}\n` : `rltask ${verb}: internal error: ${e instanceof Error && e.stack ? e.stack : message}\n`);
    return code;
  }
}
