import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { gradeWorkspace } from '../../../src/grading/gradeWorkspace.ts';
import { runStaticChecks } from '../../../src/runtime/typescript/staticChecks.ts';
import { BUG_LINE, cleanupTmp, dropoutTask, dropoutWorkspace } from '../../_helpers.ts';

const spec = await dropoutTask();
const original = spec.files.find((f) => f.path === 'dropout.ts')!.content;
const fixed = original.replace(BUG_LINE, 'const scale = 1.0 / Math.sqrt(keepProb);');

async function check(submitted: string, which: 'policy' | 'same-public-api' | 'uses-sqrt') {
  const results = await runStaticChecks({
    files: new Map([['dropout.ts', { submitted, original }]]),
    subject: spec.grader.subject,
    checks: [{ check: 'same-public-api' }, { check: 'uses-sqrt' }],
  });
  return results.find((r) => r.id === which)!;
}

describe('AST policy', () => {
  const refused: [string, string, RegExp][] = [
    ['a static import', `import fs from 'node:fs';\n${fixed}`, /line 1: imports are not allowed/],
    ['a dynamic import', fixed.replace('return out;', "void import('node:child_process');\n    return out;"), /dynamic import\(\) is not allowed/],
    ['require', fixed.replace('return out;', "require('fs');\n    return out;"), /`require`: the code under test may not load modules/],
    ['process', fixed.replace('return out;', 'process.exit(0);\n    return out;'), /`process`: the code under test has no process access/],
    ['globalThis', fixed.replace('return out;', 'globalThis.x = 1;\n    return out;'), /`globalThis`/],
    ['eval', fixed.replace('return out;', "eval('1');\n    return out;"), /`eval`: code generation/],
    ['new Function', fixed.replace('return out;', "new Function('return 1');\n    return out;"), /`Function`: code generation/],
    ['[].constructor.constructor', fixed.replace('return out;', "[].constructor.constructor('return this')();\n    return out;"), /\.constructor: reaching constructors/],
    ["x['constructor']", fixed.replace('return out;', "(x as any)['constructor'];\n    return out;"), /\["constructor"\]/],
    ['Reflect', fixed.replace('return out;', 'Reflect.ownKeys(x);\n    return out;'), /`Reflect`/],
    ['import.meta', fixed.replace('return out;', 'void import.meta.url;\n    return out;'), /import\.meta is not allowed/],
    // A class's `extends` clause is an expression evaluated at run time, although TypeScript parses it as a type.
    ['class … extends Function', `class G extends Function {}\n${fixed}`, /line 1: `Function`: code generation/],
    ['class … extends (globalThis as any).X', `const K = class extends (globalThis as any).Object {};\n${fixed}`, /line 1: `globalThis`/],
    ['class … extends Proxy', `class P extends Proxy<object> {}\n${fixed}`, /line 1: `Proxy`/],
  ];
  for (const [name, src, message] of refused) {
    it(`refuses ${name}`, async () => {
      const r = await check(src, 'policy');
      assert.equal(r.passed, false);
      assert.match(r.message, message);
    });
  }

  it('allows names in member or type position (x.process, rng: Function)', async () => {
    const src = fixed.replace('return out;', 'const o = { process: 1, eval: 2 };\n    void o.process;\n    const f: Function | null = null;\n    void f;\n    return out;');
    const r = await check(src, 'policy');
    assert.equal(r.passed, true, r.message);
  });

  it('allows forbidden names as type arguments of extends and in implements / interface extends (erased)', async () => {
    const src = `interface Fn extends Function {}\ninterface H { f: Function }\nclass Box<T> { v: T | null = null }\nclass B extends Box<Function> implements H { f = (): number => 1 }\nvoid B;\n${fixed}`;
    const r = await check(src, 'policy');
    assert.equal(r.passed, true, r.message);
  });

  it('passes the reference fix', async () => {
    assert.equal((await check(fixed, 'policy')).passed, true);
  });

  it('allows members every object has (.toString(), .valueOf, .hasOwnProperty): only the listed members are refused', async () => {
    const src = fixed.replace('return out;', 'void out.toString();\n    void x.valueOf;\n    void ({} as object).hasOwnProperty;\n    return out;');
    const r = await check(src, 'policy');
    assert.equal(r.passed, true, r.message);
  });

  it('reads names as the program does: \\u0070rocess is process', async () => {
    const r = await check(fixed.replace('return out;', 'void \\u0070rocess;\n    return out;'), 'policy');
    assert.equal(r.passed, false);
    assert.match(r.message, /`process`: the code under test has no process access/);
  });
});

describe('same-public-api', () => {
  it('names an index signature added to the class as new public API', async () => {
    const src = fixed.replace('export class VarianceStabilizedDropout {', 'export class VarianceStabilizedDropout {\n  [key: string]: unknown;');
    const r = await check(src, 'same-public-api');
    assert.equal(r.passed, false);
    assert.match(r.message, /VarianceStabilizedDropout\.\[key: string\] is new public API/);
  });

  it('passes an unchanged interface (private helpers allowed)', async () => {
    const src = fixed.replace('  train(): void {', '  private helper(): number {\n    return 1;\n  }\n\n  train(): void {');
    assert.equal((await check(src, 'same-public-api')).passed, true);
  });

  it('names a renamed method', async () => {
    const r = await check(fixed.replace('forward(x: Float64Array)', 'apply(x: Float64Array)'), 'same-public-api');
    assert.equal(r.passed, false);
    assert.match(r.message, /forward was renamed or removed/);
    assert.match(r.message, /VarianceStabilizedDropout\.apply is new public API/);
  });

  it('names changed constructor parameters', async () => {
    const r = await check(fixed.replace('constructor(dropoutRate = 0.5,', 'constructor(dropoutRate = 0.3,'), 'same-public-api');
    assert.equal(r.passed, false);
    assert.match(r.message, /constructor parameters changed: was \(dropoutRate = 0\.5, rng: \(\) => number = Math\.random\), now \(dropoutRate = 0\.3/);
  });

  it('names a removed export', async () => {
    const r = await check(fixed.replace('export class', 'class'), 'same-public-api');
    assert.match(r.message, /export VarianceStabilizedDropout was renamed or removed/);
  });

  it('names a changed return type', async () => {
    const r = await check(fixed.replace('forward(x: Float64Array): Float64Array', 'forward(x: Float64Array): number[]'), 'same-public-api');
    assert.match(r.message, /VarianceStabilizedDropout\.forward changed/);
  });

  const apiChanges: [string, (source: string) => string, RegExp][] = [
    [
      'an added method overload signature',
      (s) => s.replace('  forward(x: Float64Array): Float64Array {', '  forward(x: number[]): Float64Array;\n  forward(x: Float64Array): Float64Array;\n  forward(x: Float64Array | number[]): Float64Array {'),
      /VarianceStabilizedDropout\.forward changed: was method\(x: Float64Array\): Float64Array, now method\(x: number\[\]\): Float64Array; method/,
    ],
    ['an added constructor overload', (s) => s.replace('  constructor(dropoutRate = 0.5,', '  constructor();\n  constructor(dropoutRate = 0.5,'), /constructor parameters changed: was \(dropoutRate = 0\.5, rng: \(\) => number = Math\.random\), now \(\); \(dropoutRate/],
    ['a static method of the same name as an instance method', (s) => s.replace('  train(): void {', '  static forward(x: Float64Array): Float64Array {\n    return x;\n  }\n\n  train(): void {'), /VarianceStabilizedDropout\.forward changed: .*static method\(x: Float64Array\)/],
    ['a new static property', (s) => s.replace('  train(): void {', '  static instances = 0;\n\n  train(): void {'), /VarianceStabilizedDropout\.instances is new public API/],
    ['a namespace merged into the class', (s) => `${s}\nexport namespace VarianceStabilizedDropout {\n  export const version = 2;\n}\n`, /VarianceStabilizedDropout changed: was class, now class; namespace \{ export const version = 2; \}/],
    ['an interface merged into the class (adds members to its type)', (s) => `${s}\nexport interface VarianceStabilizedDropout {\n  extra(): void;\n}\n`, /VarianceStabilizedDropout changed: was class, now class; InterfaceDeclaration/],
    ['a declare class merge', (s) => `${s}\nexport declare namespace VarianceStabilizedDropout {\n  function create(): VarianceStabilizedDropout;\n}\n`, /VarianceStabilizedDropout changed: was class, now class; declare namespace/],
    ['a parameter made a public property', (s) => s.replace('constructor(dropoutRate = 0.5, rng', 'constructor(dropoutRate = 0.5, public rng'), /constructor parameters changed: .*public rng.*; VarianceStabilizedDropout\.rng is new public API/],
    ['a changed heritage clause', (s) => s.replace('export class VarianceStabilizedDropout {', 'export class VarianceStabilizedDropout extends Object {'), /VarianceStabilizedDropout changed: was class, now class extends Object/],
    ['a method made async', (s) => s.replace('  eval(): void {', '  async eval(): Promise<void> {'), /VarianceStabilizedDropout\.eval changed: was method\(\): void, now async method\(\): Promise<void>/],
  ];
  for (const [name, edit, message] of apiChanges) {
    it(`names ${name}`, async () => {
      const r = await check(edit(fixed), 'same-public-api');
      assert.equal(r.passed, false, r.message);
      assert.match(r.message, message);
    });
  }

  /** same-public-api on a file of exported functions. */
  async function functionApi(original: string, submitted: string) {
    const [, api] = await runStaticChecks({
      files: new Map([['f.ts', { submitted, original }]]),
      subject: { file: 'f.ts', export: 'f' },
      checks: [{ check: 'same-public-api' }],
    });
    return api!;
  }
  const F = 'export function f(x: number, lr = 1e-3): number {\n  return x * lr;\n}\n';

  it('names an added exported function overload, and an added `export declare function` of the same name', async () => {
    const overload = await functionApi(F, `export function f(x: string): string;\nexport function f(x: number, lr?: number): number;\n${F.replace('x: number, lr = 1e-3): number', 'x: any, lr = 1e-3): any')}`);
    assert.equal(overload.passed, false);
    assert.match(overload.message, /f changed: was function\(x: number, lr = 1e-3\): number, now function\(x: string\): string; function\(x: number, lr\?: number\): number; function/);
    const declared = await functionApi(F, `${F}export declare function f(x: bigint): bigint;\n`);
    assert.match(declared.message, /f changed: .*; declare function\(x: bigint\): bigint/);
  });

  it('names a changed default of an exported function and of an exported arrow function', async () => {
    assert.match((await functionApi(F, F.replace('lr = 1e-3', 'lr = 1e-2'))).message, /f changed: was function\(x: number, lr = 1e-3\): number, now function\(x: number, lr = 1e-2\)/);
    const arrow = 'export const g = (x: number, eps = 1e-8): number => x + eps;\n';
    const r = await functionApi(arrow, arrow.replace('eps = 1e-8', 'eps = 1e-5'));
    assert.match(r.message, /g changed: was const function\(x: number, eps = 1e-8\): number, now const function\(x: number, eps = 1e-5\): number/);
  });

  it('names a changed exported constant, and passes a changed body of an exported arrow function', async () => {
    const c = 'export const RATE = 0.5;\nexport const g = (x: number): number => x * RATE;\n';
    assert.match((await functionApi(c, c.replace('RATE = 0.5', 'RATE = 0.25'))).message, /RATE changed: was const = 0\.5, now const = 0\.25/);
    assert.equal((await functionApi(c, c.replace('x * RATE', 'RATE * x'))).passed, true);
  });

  it('passes the untouched original and the reference fix of every editable file (no false change from the finer signatures)', async () => {
    assert.equal((await check(original, 'same-public-api')).passed, true);
    assert.equal((await check(fixed, 'same-public-api')).passed, true);
  });

});

/** A correct dropout fix, by how it writes its square root: the scale line's replacement, or the whole file. */
const SQRT_SPELLINGS: Record<string, (source: string) => string> = {
  '1 / Math.sqrt(keepProb)': scale('1 / Math.sqrt(keepProb)'),
  'Math.pow(keepProb, -0.5)': scale('Math.pow(keepProb, -0.5)'),
  '1 / Math.pow(keepProb, 0.5)': scale('1 / Math.pow(keepProb, 0.5)'),
  'keepProb ** -0.5': scale('keepProb ** -0.5'),
  'keepProb ** (-1 / 2)': scale('keepProb ** (-1 / 2)'),
  '1 / keepProb ** (1 / 2)': scale('1 / keepProb ** (1 / 2)'),
  '1 / keepProb ** 0.5': scale('1 / keepProb ** 0.5'),
  'Math.pow(keepProb, -1 / 2)': scale('Math.pow(keepProb, -1 / 2)'),
  'Math.pow(keepProb, -(0.25 + 0.25))': scale('Math.pow(keepProb, -(0.25 + 0.25))'),
  'const half = 0.5; 1 / Math.pow(keepProb, half)': (s) => s.replace(BUG_LINE, 'const half = 0.5;\n    const scale = 1 / Math.pow(keepProb, half);'),
  'a module-level const HALF = 1 / 2; keepProb ** -HALF': (s) => `const HALF = 1 / 2;\n${scale('keepProb ** -HALF')(s)}`,
  'a static readonly exponent: keepProb ** VarianceStabilizedDropout.EXPONENT': (s) =>
    scale('keepProb ** VarianceStabilizedDropout.EXPONENT')(s).replace('  private readonly rng', '  private static readonly EXPONENT = -0.5;\n  private readonly rng'),
  'Math.exp(-0.5 * Math.log(keepProb))': scale('Math.exp(-0.5 * Math.log(keepProb))'),
  '1 / Math.exp(0.5 * Math.log(keepProb))': scale('1 / Math.exp(0.5 * Math.log(keepProb))'),
  'Math.exp(Math.log(keepProb) * -0.5)': scale('Math.exp(Math.log(keepProb) * -0.5)'),
  'Math.exp(-Math.log(keepProb) / 2)': scale('Math.exp(-Math.log(keepProb) / 2)'),
  'const { sqrt } = Math; 1 / sqrt(keepProb)': (s) => s.replace(BUG_LINE, 'const { sqrt } = Math;\n    const scale = 1 / sqrt(keepProb);'),
  'const root = Math.sqrt; 1 / root(keepProb)': (s) => s.replace(BUG_LINE, 'const root = Math.sqrt;\n    const scale = 1 / root(keepProb);'),
  "1 / Math['sqrt'](keepProb)": scale("1 / Math['sqrt'](keepProb)"),
  'let s = keepProb; s **= -0.5': (s) => s.replace(BUG_LINE, 'let s = keepProb;\n    s **= -0.5;\n    const scale = s;'),
  'Math.sqrt(1 / keepProb)': scale('Math.sqrt(1 / keepProb)'),
  '1 / Math.sqrt(keepProb as number)': scale('1 / Math.sqrt(keepProb as number)'),
};

function scale(expr: string): (source: string) => string {
  return (s) => s.replace(BUG_LINE, `const scale = ${expr};`);
}

describe('uses-sqrt', () => {
  for (const [name, edit] of Object.entries(SQRT_SPELLINGS)) {
    it(`accepts ${name}`, async () => {
      const r = await check(edit(original), 'uses-sqrt');
      assert.equal(r.passed, true, r.message);
    });
  }

  const notRoots: Record<string, (source: string) => string> = {
    'the bug, 1.0 / keepProb': (s) => s,
    'Math.pow(keepProb, 0.3)': scale('Math.pow(keepProb, 0.3)'),
    'Math.exp(Math.log(keepProb)) (no half)': scale('Math.exp(Math.log(keepProb))'),
    'Math.exp(-0.5 * keepProb) (no log)': scale('Math.exp(-0.5 * keepProb)'),
    'Math.hypot(keepProb) (an absolute value)': scale('1 / Math.hypot(keepProb)'),
    'Math.SQRT1_2 (a constant, not a root of anything computed)': scale('Math.SQRT1_2 / keepProb'),
    'a name bound twice: const half = 0.5 in one place, a parameter half elsewhere': (s) =>
      s.replace(BUG_LINE, 'const half = 0.5;\n    void half;\n    const scale = ((half: number) => 1 / Math.pow(keepProb, half))(1);'),
    'a let that could change: let half = 0.5': (s) => s.replace(BUG_LINE, 'let half = 0.5;\n    half = 1;\n    const scale = 1 / Math.pow(keepProb, half);'),
    'a local Math: const Math = { sqrt: (v: number) => v }': (s) => `const Math = { sqrt: (v: number) => v, random: () => 0 };\n${scale('1 / Math.sqrt(keepProb)')(s)}`,
    'a constant folding to 0.5 only in a comment': scale('Math.pow(keepProb, /* 0.5 */ 1)'),
  };
  for (const [name, edit] of Object.entries(notRoots)) {
    it(`rejects ${name}`, async () => {
      const r = await check(edit(original), 'uses-sqrt');
      assert.equal(r.passed, false, r.message);
      assert.match(r.message, /computes no square root in code/);
    });
  }

  it('is not fooled by a square root in a comment or a string', async () => {
    const src = original.replace(BUG_LINE, `// Math.sqrt(keepProb)\n    const scale = 1.0 / keepProb; const note = 'Math.sqrt(keepProb) ** 0.5';`);
    const r = await check(src, 'uses-sqrt');
    assert.equal(r.passed, false);
    assert.match(r.message, /computes no square root in code/);
  });

  it('the seed\'s text check passed the untouched bug ("0.5" in dropoutRate = 0.5); this one does not', async () => {
    assert.equal((await check(original, 'uses-sqrt')).passed, false);
  });
});

describe('every spelling of the fix is graded passed end to end', { concurrency: 2 }, () => {
  after(cleanupTmp);
  for (const [name, edit] of Object.entries(SQRT_SPELLINGS)) {
    it(name, async () => {
      const r = await gradeWorkspace(spec, await dropoutWorkspace(edit));
      assert.equal(r.status, 'passed', r.feedback);
    });
  }
  it('and the bug still fails', async () => {
    const r = await gradeWorkspace(spec, await dropoutWorkspace());
    assert.equal(r.status, 'failed');
  });
});
