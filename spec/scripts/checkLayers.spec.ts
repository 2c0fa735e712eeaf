import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkLayers, formatProblem, LAYERS, layersMarkdown } from '../../scripts/checkLayers.ts';

// Not _helpers.ts's ROOT: importing it loads the task loader, which none of this needs.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = path.join(ROOT, 'scripts/checkLayers.ts');

const roots: string[] = [];

/** A fixture tree in a fresh temp dir: file path (relative, `/`) → contents. */
async function tree(files: Readonly<Record<string, string>>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'rltask-layers-'));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.join(root, path.dirname(file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}

function lines(root: string): string[] {
  return checkLayers(root).problems.map(formatProblem);
}

function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 99, stdout, stderr });
    });
  });
}

describe('the layer check (scripts/checkLayers.ts)', () => {
  after(async () => {
    await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
  });

  it('reports a runtime cycle once, as the chain of files, whichever kind of import makes it', async () => {
    const root = await tree({
      // A multi-line import, an `export … from` and a dynamic import() close the cycle.
      'src/task/a.ts': "import {\n  b,\n} from './b.ts';\nexport const a = b;\n",
      'src/task/b.ts': "export { c as b } from './c.ts';\n",
      'src/task/c.ts': "export const c = 1;\nexport async function late(): Promise<unknown> {\n  return import('./a.ts');\n}\n",
    });
    assert.deepEqual(lines(root), [
      "src/task/a.ts:1: import './b.ts': import cycle: src/task/a.ts:1 → src/task/b.ts:1 → src/task/c.ts:3 → src/task/a.ts",
    ]);
  });

  it('lists each cycle of a tangle once, and a file importing itself', async () => {
    const root = await tree({
      'src/task/a.ts': "import './b.ts';\nimport './c.ts';\n",
      'src/task/b.ts': "import './a.ts';\n",
      'src/task/c.ts': "import './a.ts';\nimport './c.ts';\n",
    });
    const cycles = checkLayers(root).problems.map((p) => p.message);
    assert.deepEqual(cycles, [
      'import cycle: src/task/a.ts:1 → src/task/b.ts:1 → src/task/a.ts',
      'import cycle: src/task/a.ts:2 → src/task/c.ts:1 → src/task/a.ts',
      'import cycle: src/task/c.ts:2 → src/task/c.ts',
    ]);
  });

  it('reports a tangle with too many cycles to list once, as the files it joins', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const files = Object.fromEntries(names.map((n) => [`src/task/${n}.ts`, names.filter((m) => m !== n).map((m) => `import './${m}.ts';\n`).join('')]));
    const problems = checkLayers(await tree(files)).problems;
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.message, `import cycles, too many to list, among 10 files: ${names.map((n) => `src/task/${n}.ts`).join(', ')}`);
  });

  it('does not count type-only imports for cycles, but counts `import { type X }`, which still loads the module', async () => {
    const typeOnly = await tree({
      'src/task/a.ts': "import { b } from './b.ts';\nexport type A = number;\nexport const a = b;\n",
      'src/task/b.ts': "import type { A } from './a.ts';\nexport type { A as B } from './a.ts';\nexport type C = typeof import('./a.ts');\nexport const b: A = 1;\n",
    });
    assert.deepEqual(lines(typeOnly), []);
    const inlineType = await tree({
      'src/task/a.ts': "import { b } from './b.ts';\nexport type A = number;\nexport const a = b;\n",
      'src/task/b.ts': "import { type A } from './a.ts';\nexport const b: A = 1;\n",
    });
    assert.deepEqual(lines(inlineType), ["src/task/a.ts:1: import './b.ts': import cycle: src/task/a.ts:1 → src/task/b.ts:1 → src/task/a.ts"]);
  });

  it('ignores imports in comments and strings', async () => {
    const root = await tree({
      'src/task/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
      'src/task/b.ts': "// import { a } from './a.ts';\n/* import('./a.ts') */\nexport const b = \"import './a.ts'\" + `export * from '../cli/x.ts'`;\n",
    });
    assert.deepEqual(lines(root), []);
  });

  it('still finds the imports of a file nested too deeply for the parser (counting them all as runtime)', async () => {
    const root = await tree({
      'src/task/deep.ts': `import type { T } from './t.ts';\nexport const x: T = ${'('.repeat(50_000)}1${')'.repeat(50_000)};\n`,
      'src/task/t.ts': "import { x } from './deep.ts';\nexport type T = number;\nvoid x;\n",
    });
    assert.deepEqual(lines(root), ["src/task/deep.ts:1: import './t.ts': import cycle: src/task/deep.ts:1 → src/task/t.ts:1 → src/task/deep.ts"]);
  });

  it('reports a _-file imported from another folder, but not from its own folder or from spec/', async () => {
    const root = await tree({
      'properties/_stats.ts': 'export const mean = 0;\n',
      'properties/momentRatio.ts': "import { mean } from './_stats.ts';\nexport const m = mean;\n",
      'src/calibration/summarize.ts': "import { mean } from '../../properties/_stats.ts';\nexport const s = mean;\n",
      'bench/costSplit.ts': "import type { } from '../properties/_stats.ts';\n",
      'spec/properties/stats.spec.ts': "import { mean } from '../../properties/_stats.ts';\nvoid mean;\n",
    });
    assert.deepEqual(lines(root), [
      "bench/costSplit.ts:1: import '../properties/_stats.ts': properties/_stats.ts is private to properties/: a _-file is imported only from its own folder",
      "src/calibration/summarize.ts:1: import '../../properties/_stats.ts': properties/_stats.ts is private to properties/: a _-file is imported only from its own folder",
    ]);
  });

  it('reports an upward import, type-only ones too, naming both layers; sideways within a layer and downwards pass', async () => {
    const root = await tree({
      'src/grading/gradeWorkspace.ts': "import { c } from '../calibration/c.ts';\nimport { t } from '../task/t.ts';\nexport const sandboxOptions = c + t;\n",
      'src/calibration/c.ts': 'export const c = 1;\n',
      'src/task/t.ts': 'export const t = 1;\n',
      'src/workspace/runVisibleTests.ts': "import type { } from '../grading/gradeWorkspace.ts';\n\nimport { sandboxOptions } from '../grading/gradeWorkspace.ts';\nvoid sandboxOptions;\n",
      'src/run.ts': "import '../scripts/x.ts';\nimport './cli/main.ts';\n",
      'src/cli/main.ts': "import '../grading/gradeWorkspace.ts';\n",
      'scripts/x.ts': "import '../src/cli/main.ts';\n",
    });
    const upward = "src/workspace (layer 4) imports src/grading (layer 3): layers import downwards only";
    assert.deepEqual(lines(root), [
      `src/workspace/runVisibleTests.ts:1: import '../grading/gradeWorkspace.ts': ${upward}`,
      `src/workspace/runVisibleTests.ts:3: import '../grading/gradeWorkspace.ts': ${upward}`,
    ]);
  });

  it('reports a layer importing an entry point, a file in no layer, and an import of no file', async () => {
    const root = await tree({
      'src/task/t.ts': "import '../run.ts';\nimport './missing.ts';\n",
      'src/run.ts': '',
      'src/extra.ts': "import './task/t.ts';\n",
    });
    assert.deepEqual(lines(root), [
      'src/extra.ts:1: in no layer: add it to LAYERS or ENTRY_POINTS in scripts/checkLayers.ts',
      "src/task/t.ts:1: import '../run.ts': src/task (layer 5) imports src/run.ts (an entry point): nothing in a layer imports an entry point",
      "src/task/t.ts:2: import './missing.ts': no such file",
    ]);
  });

  it('run as a script: exits 0 with one summary line on a clean tree, 1 with one line per problem otherwise', async () => {
    const clean = await tree({
      'src/errors.ts': 'export class RltaskError extends Error {}\n',
      'src/task/loadTask.ts': "import { RltaskError } from '../errors.ts';\nimport { d } from './_defaults.ts';\nexport const e = new RltaskError(d);\n",
      'src/task/_defaults.ts': "export const d = 'x';\n",
      'src/index.ts': "export { e } from './task/loadTask.ts';\n",
    });
    const dirty = await tree({
      'src/task/a.ts': "import '../cli/b.ts';\n",
      'src/cli/b.ts': "import '../task/a.ts';\n",
    });
    const [ok, bad] = await Promise.all([run(['--root', clean]), run(['--root', dirty])]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^checkLayers: ok, 4 files, 3 relative imports: .*\n$/);
    assert.equal(bad.code, 1, bad.stderr);
    assert.deepEqual(bad.stdout.trimEnd().split('\n'), [
      "src/cli/b.ts:1: import '../task/a.ts': import cycle: src/cli/b.ts:1 → src/task/a.ts:1 → src/cli/b.ts",
      "src/task/a.ts:1: import '../cli/b.ts': src/task (layer 5) imports src/cli (layer 1): layers import downwards only",
    ]);
  });

  it('--print prints the layer table as a Markdown list; a root with no sources is an error, not a pass', async () => {
    const [printed, empty] = await Promise.all([run(['--print']), run(['--root', await tree({ 'README.md': '' })])]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stdout, layersMarkdown());
    assert.equal(printed.stdout.split('\n').filter(Boolean).length, LAYERS.length);
    assert.match(printed.stdout, /^1\. `src\/cli`, `src\/server`, `src\/viewer`$/m);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /has none of src/);
  });
});
