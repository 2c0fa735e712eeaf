import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SpecError } from '../../src/errors.ts';
import { policy } from '../../src/runtime/checks/policy.ts';
import { samePublicApi } from '../../src/runtime/checks/samePublicApi.ts';
import { usesSqrt } from '../../src/runtime/checks/usesSqrt.ts';
import { runtimeNames } from '../../src/runtime/runtimeNames.ts';
import { STATIC_IDS, staticCheckDefinitions, staticCheckIds, staticCheckItems, staticCheckNamed } from '../../src/runtime/staticCheckRegistry.ts';
import { parseTask } from '../../src/task/loadTask.ts';
import { DROPOUT_YAML, ROOT } from '../_helpers.ts';

const dropout = await readFile(DROPOUT_YAML, 'utf8');
const AST_ENTRIES = '  ast:\n    - check: same-public-api\n';

/** The dropout task with `entries` (YAML list items, indented as under `grader.ast`) as its static checks. */
function withAst(entries: string): string {
  assert.ok(dropout.includes(AST_ENTRIES), 'the dropout task lists same-public-api first under grader.ast');
  const start = dropout.indexOf(AST_ENTRIES);
  const end = dropout.indexOf('\nlimits:', start);
  return `${dropout.slice(0, start)}  ast:\n${entries}${dropout.slice(end)}`;
}

function rejection(text: string): string {
  try {
    parseTask(text, 'bad.yaml');
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected a SpecError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('the task was accepted');
}

/** The modules a file imports for their values (`import type` is erased), as paths or package names; dynamic import() is lazy and not listed. */
async function valueImports(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\s+(?!type\s)[^'";]*?\bfrom\s+'([^']+)'|^import\s+'([^']+)'/gm)].map((m) => (m[1] ?? m[2])!);
  return specifiers.map((s) => (s.startsWith('.') ? path.resolve(path.dirname(file), s) : s));
}

/** Every module `entry` loads when it is imported, transitively (files of this repository followed, packages not). */
async function importGraph(entry: string): Promise<Set<string>> {
  const seen = new Set<string>([entry]);
  for (const file of seen) if (file.endsWith('.ts')) for (const dep of await valueImports(file)) seen.add(dep);
  return seen;
}

describe('static check registry', () => {
  it('lists every check once: the policy (always on), then the configurable ones', () => {
    assert.deepEqual(
      staticCheckDefinitions.map((d) => [d.check, d.configurable]),
      [
        ['policy', false],
        ['same-public-api', true],
        ['uses-sqrt', true],
      ],
    );
    assert.equal(staticCheckNamed('uses-sqrt'), usesSqrt);
    assert.equal(staticCheckNamed('policy'), policy);
    assert.equal(staticCheckNamed('uses-sqr'), undefined);
  });

  it('derives the task schema union from the configurable checks, in order', () => {
    assert.deepEqual(
      staticCheckItems,
      staticCheckDefinitions.filter((d) => d.configurable).map((d) => d.item),
    );
    assert.deepEqual(
      staticCheckItems.map((item) => item.shape.check.value),
      [samePublicApi.check, usesSqrt.check],
    );
  });

  it('reports compile and every check under its own id, all of them static', () => {
    assert.deepEqual(staticCheckIds, ['compile', 'policy', 'same-public-api', 'uses-sqrt']);
    for (const id of staticCheckIds) assert.ok(STATIC_IDS.has(id), id);
    assert.equal(STATIC_IDS.size, staticCheckIds.length);
  });

  it('names only known runtimes, and every check runs on TypeScript', () => {
    for (const d of staticCheckDefinitions) {
      assert.ok(d.runtimes.length > 0, d.check);
      for (const r of d.runtimes) assert.ok(runtimeNames.includes(r), `${d.check}: ${r}`);
      assert.ok(d.runtimes.includes('typescript'), d.check);
    }
  });

  it('loads no compiler, bundler or sandbox: the task schema imports it', async () => {
    const graph = await importGraph(path.join(ROOT, 'src/runtime/staticCheckRegistry.ts'));
    const heavy = [...graph].filter((m) => /^(esbuild|ts-morph|typescript)(\/|$)/.test(m) || m.includes(`${path.sep}src${path.sep}sandbox${path.sep}`) || m.includes(`${path.sep}runtime${path.sep}typescript${path.sep}`));
    assert.deepEqual(heavy, []);
    assert.ok(graph.has(path.join(ROOT, 'src/runtime/checks/usesSqrt.ts')), 'the walk follows the registry into its definitions');
  });
});

describe('grader.ast in a task file', () => {
  it('accepts each configurable check with its parameters, as plain data', () => {
    const spec = parseTask(withAst('    - check: same-public-api\n      file: dropout.ts\n    - check: uses-sqrt\n      in: forward\n'), 'ok.yaml');
    assert.deepEqual(spec.grader.ast, [
      { check: 'same-public-api', file: 'dropout.ts' },
      { check: 'uses-sqrt', in: 'forward' },
    ]);
  });

  it('rejects an unknown check, suggesting the nearest one', () => {
    assert.match(rejection(withAst('    - check: uses-sqr\n')), /grader\.ast\[0\]\.check: unknown AST check "uses-sqr" \(did you mean "uses-sqrt"\?\); expected one of same-public-api, uses-sqrt$/);
    assert.match(rejection(withAst('    - check: zzz\n')), /grader\.ast\[0\]\.check: unknown AST check "zzz"; expected one of same-public-api, uses-sqrt$/);
    assert.match(rejection(withAst('    - file: dropout.ts\n')), /grader\.ast\[0\]\.check: missing "check": the AST check, one of same-public-api, uses-sqrt$/);
  });

  it('rejects the always-on policy, and a parameter another check has', () => {
    assert.match(rejection(withAst('    - check: policy\n')), /unknown AST check "policy"; expected one of same-public-api, uses-sqrt$/);
    assert.match(rejection(withAst('    - check: same-public-api\n      in: forward\n')), /grader\.ast\[0\]\.in: unknown key "in"$/);
    assert.match(rejection(withAst('    - check: uses-sqrt\n      file: ../dropout.ts\n')), /grader\.ast\[0\]\.file: must be a normalized relative path/);
  });
});
