import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { propertyItems } from '../../properties/registry.ts';
import { taskJsonSchema, taskJsonSchemaText } from '../../src/task/taskJsonSchema.ts';
import { ROOT } from '../_helpers.ts';

// The editor JSON Schema is generated from the zod schema (one source of truth), committed, current, and
// validates every task file the way a YAML language server does.

const SCHEMA_FILE = path.join(ROOT, 'schema/task.schema.json');
const HEADER = '# yaml-language-server: $schema=../schema/task.schema.json';

async function taskFiles(): Promise<string[]> {
  return (await readdir(path.join(ROOT, 'tasks'))).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(ROOT, 'tasks', f));
}

function validator() {
  return new Ajv({ allErrors: true, strict: false }).compile(taskJsonSchema());
}

describe('task JSON Schema', () => {
  it('the committed schema/task.schema.json is what the generator writes (run `npm run schema` after changing the zod schema)', async () => {
    assert.equal(await readFile(SCHEMA_FILE, 'utf8'), taskJsonSchemaText());
  });

  it('lists exactly the registered properties, each with its summary for editors', () => {
    const schema = taskJsonSchema() as { properties: { grader: { properties: { properties: { items: { oneOf: { properties: { use: { const: string } }; description?: string }[] } } } } } };
    const branches = schema.properties.grader.properties.properties.items.oneOf;
    const names = propertyItems.map((item) => item.in.shape.use.value);
    assert.deepEqual(branches.map((b) => b.properties.use.const), names);
    for (const b of branches) assert.match(b.description ?? '', new RegExp(`^${b.properties.use.const}: .+`));
  });

  it('every task file starts with the yaml-language-server line and validates', async () => {
    const validate = validator();
    const files = await taskFiles();
    assert.ok(files.length >= 4);
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      assert.ok(text.startsWith(HEADER), `${path.basename(f)} must start with ${HEADER}`);
      assert.equal(validate(parse(text)), true, `${path.basename(f)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
  });

  it('rejects a misspelt property name, a misspelt parameter and a missing required key, like the loader', async () => {
    const validate = validator();
    const base = parse(await readFile(path.join(ROOT, 'tasks/stable-softmax.yaml'), 'utf8')) as { grader: { properties: Record<string, unknown>[] }; bug?: unknown };
    const clone = () => structuredClone(base);
    const misspeltName = clone();
    misspeltName.grader.properties[0]!['use'] = 'matches-referense';
    assert.equal(validate(misspeltName), false);
    const misspeltParam = clone();
    misspeltParam.grader.properties[0]!['tolerence'] = { abs: 0 };
    assert.equal(validate(misspeltParam), false);
    assert.ok(validate.errors?.some((e) => e.keyword === 'additionalProperties' && e.params['additionalProperty'] === 'tolerence'));
    const missing = clone();
    delete missing.bug;
    assert.equal(validate(missing), false);
    assert.ok(validate.errors?.some((e) => e.keyword === 'required' && e.params['missingProperty'] === 'bug'));
  });

  it('the CI step (`npm run schema -- --check`) passes', async () => {
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/schema.ts'), '--check'], { cwd: ROOT }, (error, stdout) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 99, stdout }),
      ),
    );
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^ok - schema\/task\.schema\.json is up to date$/m);
    assert.match(r.stdout, /^\d+ passed, 0 failed$/m);
  });
});
