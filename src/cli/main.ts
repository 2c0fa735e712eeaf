import { stat } from 'node:fs/promises';
import { usePython } from '../runtime/python/pythonSandbox.ts';
import type { Command } from './Command.ts';
import { commands } from './commands.ts';
import type { Io } from './Io.ts';
import type { GlobalValues } from './_globalOptions.ts';
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

/** Why `--python PATH` cannot be an interpreter, for a path (a bare name is looked up on PATH when it is used). */
async function notAnInterpreter(python: string): Promise<string | undefined> {
  if (!python.includes('/')) return undefined;
  try {
    return (await stat(python)).isFile() ? undefined : 'is not a file';
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be used (${code})`;
  }
}

/**
 * Run the CLI with argv (without node and script) and return the exit code. Tool-level options (`--help`,
 * `--version`, `--debug`, `--python PATH`) may come before the verb; everything after it is the verb's (see
 * parseArguments).
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let debug = false;
  const before: GlobalValues = {};
  let at = 0;
  for (; at < argv.length; at++) {
    const token = argv[at]!;
    if (token === '--debug') debug = true;
    else if (token === '--python' || token.startsWith('--python=')) {
      const value = token === '--python' ? argv[++at] : token.slice('--python='.length);
      if (value === undefined || value === '') {
        io.err(`${TOOL.name}: --python expects PATH ${HINT}\n`);
        return 2;
      }
      before.python = value;
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
  const rest = argv.slice(at + 1);
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
      case 'run': {
        const python = parsed.globals.python ?? before.python;
        if (python !== undefined) {
          const why = await notAnInterpreter(python);
          if (why !== undefined) {
            io.err(`${prefix}: --python ${python} ${why}\n`);
            return 2;
          }
          usePython(python);
        }
        return await command.execute(parsed.values, io);
      }
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
