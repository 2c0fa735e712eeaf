import { usePython } from '../runtime/python/pythonSandbox.ts';
import type { Command } from './Command.ts';
import { commands } from './commands.ts';
import type { Io } from './Io.ts';
import { toolHelp, verbHelp } from './_helpText.ts';
import { parseArguments } from './_parseArguments.ts';
import { reportError } from './_reportError.ts';
import { TOOL } from './_tool.ts';

const HINT = `(see ${TOOL.name} --help)`;

function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}

function unknownVerb(verb: string): string {
  return `${TOOL.name}: unknown verb "${verb}"; the verbs are ${commands.map((c) => c.name).join(', ')} ${HINT}\n`;
}

/**
 * Run the CLI with argv (without node and script) and return the exit code. Tool-level options (`--help`,
 * `--version`, `--debug`, `--python PATH`) may come before the verb; everything after it is the verb's (see
 * parseArguments).
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let debug = false;
  // `--python PATH` before the verb is read with the verb's own options, ahead of them (so that one after the verb wins).
  const before: string[] = [];
  let at = 0;
  for (; at < argv.length; at++) {
    const token = argv[at]!;
    if (token === '--debug') debug = true;
    else if (token === '--python' || token.startsWith('--python=')) {
      // Its value goes with it, whatever it looks like: the parser says what is wrong with it.
      before.push(token);
      if (token === '--python' && at + 1 < argv.length) before.push(argv[++at]!);
    } else if (token === '--help' || token === '-h') {
      io.out(toolHelp(commands));
      return 0;
    } else if (token === '--version' || token === '-V') {
      io.out(`${TOOL.name} ${TOOL.version}\n`);
      return 0;
    } else if (token.startsWith('-')) {
      io.err(`${TOOL.name}: unknown option ${token} before the verb ${HINT}\n`);
      return 2;
    } else break;
  }
  const verb = argv[at];
  const rest = [...before, ...argv.slice(at + 1)];
  if (verb === undefined) {
    io.err(`${TOOL.name}: missing verb; the verbs are ${commands.map((c) => c.name).join(', ')} ${HINT}\n`);
    return 2;
  }
  if (verb === 'help') {
    const topic = rest[0];
    if (topic === undefined) io.out(toolHelp(commands));
    else {
      const command = findCommand(topic);
      if (command === undefined) {
        io.err(unknownVerb(topic));
        return 2;
      }
      io.out(verbHelp(command));
    }
    return 0;
  }
  const command = findCommand(verb);
  if (command === undefined) {
    io.err(unknownVerb(verb));
    return 2;
  }
  const prefix = `${TOOL.name} ${command.name}`;
  try {
    const parsed = await parseArguments(command, rest);
    debug ||= parsed.debug;
    switch (parsed.kind) {
      case 'help':
        io.out(verbHelp(command));
        return 0;
      case 'bad':
        io.err(`${prefix}: ${parsed.message}\n`);
        return 2;
      case 'run':
        if (parsed.globals.python !== undefined) usePython(parsed.globals.python);
        return await command.execute(parsed.values, io);
    }
  } catch (e) {
    // Work cut short by SIGINT/SIGTERM fails in all sorts of ways; none of them is the error to report.
    if (io.signal.aborted && !debug) {
      io.err(`${prefix}: interrupted\n`);
      return 130;
    }
    const { code, text } = reportError(e, prefix, debug);
    io.err(text);
    return code;
  }
}
