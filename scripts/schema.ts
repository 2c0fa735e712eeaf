/**
 * `npm run schema` writes schema/task.schema.json from the zod task schema.
 * `npm run schema -- --check` (CI) fails when the committed file is out of date, and validates every task file
 * in tasks/ against it with Ajv, the way an editor's YAML language server does.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { taskJsonSchemaText } from '../src/task/taskJsonSchema.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const schemaFile = path.join(root, 'schema/task.schema.json');
const tasksDir = path.join(root, 'tasks');

async function main(args: readonly string[]): Promise<number> {
  const text = taskJsonSchemaText();
  if (!args.includes('--check')) {
    await writeFile(schemaFile, text);
    process.stdout.write(`wrote ${path.relative(root, schemaFile)}\n`);
    return 0;
  }
  let failed = 0;
  const committed = await readFile(schemaFile, 'utf8').catch(() => '');
  if (committed !== text) {
    process.stdout.write(`not ok - ${path.relative(root, schemaFile)} is out of date: run \`npm run schema\` and commit it\n`);
    failed++;
  } else process.stdout.write(`ok - ${path.relative(root, schemaFile)} is up to date\n`);
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(text) as object);
  const files = (await readdir(tasksDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const f of files) {
    const source = await readFile(path.join(tasksDir, f), 'utf8');
    const rel = path.join('tasks', f);
    const header = `# yaml-language-server: $schema=../schema/task.schema.json`;
    if (!source.startsWith(header)) {
      process.stdout.write(`not ok - ${rel} does not start with "${header}"\n`);
      failed++;
      continue;
    }
    if (validate(parse(source))) process.stdout.write(`ok - ${rel} validates against the JSON Schema\n`);
    else {
      failed++;
      const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params['additionalProperty'])})` : ''}`);
      process.stdout.write(`not ok - ${rel}: ${errors.join('; ')}\n`);
    }
  }
  process.stdout.write(`${files.length + 1 - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`schema: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  },
);
