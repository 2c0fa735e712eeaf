import { createRequire } from 'node:module';
import type { AstCheckSpec } from '../spec/taskSchema.ts';

/**
 * Static checks with ts-morph's bundled TypeScript compiler. ts-morph is loaded lazily (≈0.4 s, once per
 * process) so that verbs which never parse code start fast.
 */

export interface AstResult {
  readonly id: string;
  readonly passed: boolean;
  readonly message: string;
}

type TsMorph = typeof import('ts-morph');
type SourceFile = import('ts-morph').SourceFile;
type TsNode = import('ts-morph').Node;

let tsMorph: Promise<TsMorph> | undefined;
let project: import('ts-morph').Project | undefined;
let counter = 0;

const require = createRequire(import.meta.url);

/** Load ts-morph once (also used to warm a process up before a batch). */
export function loadTsMorph(): Promise<TsMorph> {
  // require(), not import(): importing a CommonJS package from ESM makes Node scan its source and that of the
  // TypeScript compiler it re-exports (~10 MB) for export names first — ~130 ms of CPU for nothing.
  tsMorph ??= Promise.resolve().then((): TsMorph => require('ts-morph'));
  return tsMorph;
}

async function parse(text: string, name: string): Promise<{ m: TsMorph; sf: SourceFile; done: () => void }> {
  const m = await loadTsMorph();
  project ??= new m.Project({ useInMemoryFileSystem: true, skipLoadingLibFiles: true, compilerOptions: { allowJs: false } });
  const sf = project.createSourceFile(`/${counter++}/${name}`, text, { overwrite: true });
  return { m, sf, done: () => project?.removeSourceFile(sf) };
}

/** Identifiers the code under test may not name, with the reason shown to the agent. */
const FORBIDDEN_NAMES: Readonly<Record<string, string>> = {
  process: 'the code under test has no process access',
  globalThis: 'the code under test may not reach the global object',
  global: 'the code under test may not reach the global object',
  require: 'the code under test may not load modules',
  module: 'the code under test may not load modules',
  exports: 'the code under test may not load modules',
  eval: 'code generation from strings is not allowed',
  Function: 'code generation from strings is not allowed',
  Reflect: 'reflection on the runtime is not allowed',
  Proxy: 'proxies are not allowed',
  WebAssembly: 'WebAssembly is not allowed',
  fetch: 'the code under test has no network access',
  setTimeout: 'timers are not available to the code under test',
  setInterval: 'timers are not available to the code under test',
  setImmediate: 'timers are not available to the code under test',
  queueMicrotask: 'timers are not available to the code under test',
};
const FORBIDDEN_MEMBERS: Readonly<Record<string, string>> = {
  constructor: 'reaching constructors through objects (e.g. [].constructor.constructor) is not allowed',
  __proto__: 'prototype manipulation is not allowed',
  __defineGetter__: 'prototype manipulation is not allowed',
};

/**
 * Whether `n` sits in a type, which is erased before the code runs (`rng: Function`, `implements I`). One kind of
 * "type" node holds a runtime value: in `class A extends Base<T>`, `Base` is an expression evaluated when the
 * class is defined (`extends Function`, `extends (globalThis as any).X`); only `<T>` is a type there.
 */
function inTypePosition(m: TsMorph, n: TsNode): boolean {
  const { Node, SyntaxKind } = m;
  let child: TsNode = n;
  for (let a = n.getParent(); a !== undefined; child = a, a = a.getParent()) {
    if (Node.isExpressionWithTypeArguments(a)) {
      const clause = a.getParent();
      const owner = clause?.getParent();
      const classExtends =
        clause !== undefined && Node.isHeritageClause(clause) && clause.getToken() === SyntaxKind.ExtendsKeyword && owner !== undefined && (Node.isClassDeclaration(owner) || Node.isClassExpression(owner));
      if (classExtends) return child !== a.getExpression();
      return true;
    }
    if (Node.isTypeNode(a)) return true;
  }
  return false;
}

function policyProblems(m: TsMorph, sf: SourceFile): string[] {
  const { Node, SyntaxKind } = m;
  const problems: string[] = [];
  const at = (n: TsNode, what: string) => problems.push(`line ${n.getStartLineNumber()}: ${what}`);
  sf.forEachDescendant((n) => {
    if (Node.isImportDeclaration(n) || Node.isImportEqualsDeclaration(n)) return at(n, 'imports are not allowed: the code under test has no module access');
    if (Node.isExportDeclaration(n) && n.getModuleSpecifier() !== undefined) return at(n, 're-exports from other modules are not allowed');
    if (Node.isCallExpression(n) && n.getExpression().getKind() === SyntaxKind.ImportKeyword) return at(n, 'dynamic import() is not allowed');
    if (Node.isMetaProperty(n)) return at(n, 'import.meta is not allowed');
    if (n.getKind() === SyntaxKind.WithStatement) return at(n, '`with` statements are not allowed');
    if (Node.isPropertyAccessExpression(n)) {
      const name = n.getName();
      const why = FORBIDDEN_MEMBERS[name];
      if (why !== undefined) at(n, `.${name}: ${why}`);
      return;
    }
    if (Node.isElementAccessExpression(n)) {
      const arg = n.getArgumentExpression();
      if (arg !== undefined && (Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg))) {
        const why = FORBIDDEN_MEMBERS[arg.getLiteralText()];
        if (why !== undefined) at(n, `["${arg.getLiteralText()}"]: ${why}`);
      }
      return;
    }
    if (Node.isIdentifier(n)) {
      const why = Object.hasOwn(FORBIDDEN_NAMES, n.getText()) ? FORBIDDEN_NAMES[n.getText()] : undefined;
      if (why === undefined) return;
      const parent = n.getParent();
      // A name in member position (a.process, { process: 1 }, method process()) is not a reference.
      if (parent !== undefined && (Node.isPropertyAccessExpression(parent) || Node.isPropertyAssignment(parent) || Node.isMethodDeclaration(parent) || Node.isPropertyDeclaration(parent) || Node.isGetAccessorDeclaration(parent) || Node.isSetAccessorDeclaration(parent) || Node.isPropertySignature(parent) || Node.isMethodSignature(parent)) && (parent as TsNode & { getNameNode(): TsNode }).getNameNode() === n) return;
      // Types (rng: Function) are erased before the code runs.
      if (inTypePosition(m, n)) return;
      at(n, `\`${n.getText()}\`: ${why}`);
    }
    return;
  });
  return problems;
}

/** A readable signature map of a file's exported API: `Class.member` → normalized signature text. */
function publicApi(m: TsMorph, sf: SourceFile): Map<string, string> {
  const { Node, SyntaxKind } = m;
  const api = new Map<string, string>();
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  const params = (ps: import('ts-morph').ParameterDeclaration[]) =>
    ps.map((p) => `${p.isRestParameter() ? '...' : ''}${p.getName()}${p.hasQuestionToken() ? '?' : ''}${p.getTypeNode() ? `: ${norm(p.getTypeNode()!.getText())}` : ''}${p.getInitializer() ? ` = ${norm(p.getInitializer()!.getText())}` : ''}`).join(', ');
  for (const [name, decls] of sf.getExportedDeclarations()) {
    for (const d of decls) {
      if (Node.isClassDeclaration(d)) {
        api.set(name, 'class');
        const ctors = d.getConstructors();
        api.set(`${name}.constructor`, ctors.length === 0 ? '()' : `(${params(ctors[ctors.length - 1]!.getParameters())})`);
        for (const mem of d.getMembers()) {
          if (Node.isConstructorDeclaration(mem) || Node.isClassStaticBlockDeclaration(mem)) continue;
          if (mem.hasModifier(SyntaxKind.PrivateKeyword) || mem.hasModifier(SyntaxKind.ProtectedKeyword)) continue;
          const mname = mem.getName();
          if (mname.startsWith('#')) continue;
          const stat = mem.hasModifier(SyntaxKind.StaticKeyword) ? 'static ' : '';
          if (Node.isMethodDeclaration(mem)) api.set(`${name}.${mname}`, `${stat}method(${params(mem.getParameters())}): ${norm(mem.getReturnTypeNode()?.getText() ?? '')}`);
          else if (Node.isPropertyDeclaration(mem)) api.set(`${name}.${mname}`, `${stat}${mem.isReadonly() ? 'readonly ' : ''}property: ${norm(mem.getTypeNode()?.getText() ?? '')}`);
          else if (Node.isGetAccessorDeclaration(mem)) api.set(`${name}.${mname}`, `${stat}get: ${norm(mem.getReturnTypeNode()?.getText() ?? '')}`);
          else if (Node.isSetAccessorDeclaration(mem)) api.set(`${name}.${mname}#set`, `${stat}set(${params(mem.getParameters())})`);
        }
      } else if (Node.isFunctionDeclaration(d)) {
        api.set(name, `function(${params(d.getParameters())}): ${norm(d.getReturnTypeNode()?.getText() ?? '')}`);
      } else {
        api.set(name, d.getKindName());
      }
    }
  }
  return api;
}

function apiProblems(before: Map<string, string>, after: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, sig] of before) {
    const now = after.get(key);
    const member = key.includes('.') ? key.slice(key.indexOf('.') + 1) : key;
    if (now === undefined) problems.push(key.includes('.') ? `${member} was renamed or removed (${key})` : `export ${key} was renamed or removed`);
    else if (now !== sig) {
      if (member === 'constructor') problems.push(`constructor parameters changed: was ${sig}, now ${now}`);
      else problems.push(`${key} changed: was ${sig}, now ${now}`);
    }
  }
  for (const key of after.keys()) {
    if (!before.has(key)) problems.push(`${key} is new public API; keep the interface identical (make helpers private)`);
  }
  return problems;
}

function constValue(m: TsMorph, n: TsNode): number | undefined {
  const { Node, SyntaxKind } = m;
  if (Node.isNumericLiteral(n)) return n.getLiteralValue();
  if (Node.isParenthesizedExpression(n)) return constValue(m, n.getExpression());
  if (Node.isPrefixUnaryExpression(n) && n.getOperatorToken() === SyntaxKind.MinusToken) {
    const v = constValue(m, n.getOperand());
    return v === undefined ? undefined : -v;
  }
  if (Node.isBinaryExpression(n)) {
    const a = constValue(m, n.getLeft());
    const b = constValue(m, n.getRight());
    if (a === undefined || b === undefined) return undefined;
    const op = n.getOperatorToken().getKind();
    if (op === SyntaxKind.SlashToken) return a / b;
    if (op === SyntaxKind.AsteriskToken) return a * b;
  }
  return undefined;
}

function usesSqrt(m: TsMorph, scope: TsNode): boolean {
  const { Node, SyntaxKind } = m;
  const half = (n: TsNode | undefined) => n !== undefined && Math.abs(constValue(m, n) ?? 0) === 0.5;
  return [scope, ...scope.getDescendants()].some((n) => {
    if (Node.isCallExpression(n)) {
      const callee = n.getExpression().getText().replace(/\s+/g, '');
      if (callee === 'Math.sqrt') return true;
      if (callee === 'Math.pow') return half(n.getArguments()[1]);
    }
    if (Node.isBinaryExpression(n) && n.getOperatorToken().getKind() === SyntaxKind.AsteriskAsteriskToken) return half(n.getRight());
    if (Node.isBinaryExpression(n) && n.getOperatorToken().getKind() === SyntaxKind.AsteriskAsteriskEqualsToken) return half(n.getRight());
    return false;
  });
}

export interface AstInput {
  /** Submitted text and original text of every editable file, by path. */
  readonly files: ReadonlyMap<string, { readonly submitted: string; readonly original: string }>;
  readonly subject: { readonly file: string; readonly export: string };
  readonly checks: readonly AstCheckSpec[];
}

/** The public API of a task's original file: the same text for every grade of a batch, so parsed once. */
const originalApis = new Map<string, Map<string, string>>();
async function originalApi(m: TsMorph, text: string, file: string): Promise<Map<string, string>> {
  const key = `${file}\0${text}`;
  const hit = originalApis.get(key);
  if (hit !== undefined) return hit;
  const { sf, done } = await parse(text, file);
  try {
    const api = publicApi(m, sf);
    originalApis.set(key, api);
    return api;
  } finally {
    done();
  }
}

/**
 * The permissions policy (always, for every editable file) and the task's configured AST checks.
 */
export async function runAstChecks(input: AstInput): Promise<AstResult[]> {
  const results: AstResult[] = [];
  const parsed = new Map<string, { sf: SourceFile; original: string }>();
  const cleanups: (() => void)[] = [];
  const m = await loadTsMorph();
  try {
    for (const [file, { submitted, original }] of input.files) {
      const a = await parse(submitted, file);
      cleanups.push(a.done);
      parsed.set(file, { sf: a.sf, original });
    }
    const policy = [...parsed].flatMap(([file, { sf }]) => policyProblems(m, sf).map((p) => `${file} ${p}`));
    results.push(
      policy.length === 0
        ? { id: 'policy', passed: true, message: 'no imports, process, global object, eval or Function' }
        : { id: 'policy', passed: false, message: `the permissions policy refuses: ${policy.slice(0, 5).join('; ')}${policy.length > 5 ? ` (+${policy.length - 5} more)` : ''}` },
    );
    for (const check of input.checks) {
      const file = check.file ?? input.subject.file;
      const p = parsed.get(file);
      if (p === undefined) {
        results.push({ id: check.check, passed: false, message: `${file} is not an editable file of this task` });
        continue;
      }
      if (check.check === 'same-public-api') {
        const problems = apiProblems(await originalApi(m, p.original, file), publicApi(m, p.sf));
        results.push(problems.length === 0 ? { id: check.check, passed: true, message: `${file}: exported API unchanged` } : { id: check.check, passed: false, message: `${file}: ${problems.join('; ')}` });
      } else {
        const cls = p.sf.getClass(input.subject.export);
        let scope: TsNode = cls ?? p.sf;
        if (check.in !== undefined && cls !== undefined) scope = cls.getMember(check.in) ?? cls;
        const where = check.in === undefined ? (cls ? input.subject.export : file) : `${input.subject.export}.${check.in}`;
        results.push(
          usesSqrt(m, scope)
            ? { id: check.check, passed: true, message: `${where} computes a square root in code` }
            : { id: check.check, passed: false, message: `${where} computes no square root in code (Math.sqrt(…), Math.pow(…, ±0.5) or … ** ±0.5); a comment or string does not count` },
        );
      }
    }
  } finally {
    for (const c of cleanups) c();
  }
  return results;
}
