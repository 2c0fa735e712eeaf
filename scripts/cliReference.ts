/**
 * `npm run docs:cli` writes docs/cli.md, the CLI reference, from the verb definitions in src/cli/.
 * `--check` (CI) writes nothing and exits 1 when the committed file is not what the definitions give.
 * `--file PATH` reads or writes another file instead (spec/scripts/cliReference.spec.ts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { commands } from '../src/cli/commands.ts';
import { renderCliReference } from '../src/cli/renderCliReference.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

async function main(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { check: { type: 'boolean', default: false }, file: { type: 'string' } }, strict: true });
  } catch (e) {
    process.stderr.write(`cliReference: ${e instanceof Error ? e.message : String(e)}\nusage: node --import tsx scripts/cliReference.ts [--check] [--file PATH]\n`);
    return 2;
  }
  const file = path.resolve(root, parsed.values.file ?? 'docs/cli.md');
  const shown = path.relative(process.cwd(), file);
  const text = renderCliReference(commands);
  if (!parsed.values.check) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    process.stdout.write(`wrote ${shown}\n`);
    return 0;
  }
  const committed = await readFile(file, 'utf8').catch(() => undefined);
  if (committed === text) {
    process.stdout.write(`ok - ${shown} is up to date\n`);
    return 0;
  }
  process.stdout.write(`not ok - ${shown} ${committed === undefined ? 'is missing' : 'is out of date'}: run \`npm run docs:cli\` and commit it\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`cliReference: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  },
);
