import { createRequire } from 'node:module';
import type { ts as TsNamespace } from 'ts-morph';
import type { AstCheckSpec } from '../spec/taskSchema.ts';

/**
 * Static checks with the TypeScript compiler ts-morph carries (@ts-morph/common's typescript.js), used directly:
 * a parse is all these checks need, and the raw syntax tree costs a fraction of ts-morph's wrapped one (no
 * project, no wrapper per node, no type checker). Loaded lazily, once per process, so that verbs which never
 * parse code start fast.
 */

export interface AstResult {
  readonly id: string;
  readonly passed: boolean;
  readonly message: string;
}

type Ts = typeof TsNamespace;
type TsNode = TsNamespace.Node;
type SourceFile = TsNamespace.SourceFile;

let tsModule: Promise<Ts> | undefined;

const require = createRequire(import.meta.url);

/** Load the TypeScript compiler once. */
function loadTypeScript(): Promise<Ts> {
  // ts-morph's own copy of the compiler (the `typescript` package here is the Go port, with no JS API). require(),
  // not import(): importing CommonJS from ESM makes Node scan its ~9 MB for export names first.
  // Resolved from ts-morph's own location, so that it is the copy ts-morph itself uses (a transitive dependency).
  tsModule ??= Promise.resolve().then((): Ts => createRequire(require.resolve('ts-morph'))('@ts-morph/common/dist/typescript.js'));
  return tsModule;
}

function parse(ts: Ts, text: string, name: string): SourceFile {
  return ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Every node below `root` (not tokens), depth first, in source order. */
function forEachDescendant(ts: Ts, root: TsNode, visit: (n: TsNode) => void): void {
  const walk = (n: TsNode): void => {
    visit(n);
    ts.forEachChild(n, walk);
  };
  ts.forEachChild(root, walk);
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
function inTypePosition(ts: Ts, n: TsNode): boolean {
  let child: TsNode = n;
  for (let a: TsNode | undefined = n.parent; a !== undefined; child = a, a = a.parent) {
    if (ts.isExpressionWithTypeArguments(a)) {
      const clause = a.parent;
      const classExtends =
        ts.isHeritageClause(clause) && clause.token === ts.SyntaxKind.ExtendsKeyword && (ts.isClassDeclaration(clause.parent) || ts.isClassExpression(clause.parent));
      if (classExtends) return child !== a.expression;
      return true;
    }
    if (ts.isTypeNode(a)) return true;
  }
  return false;
}

/** A name in member position (a.process, { process: 1 }, method process()) is not a reference. */
function isMemberName(ts: Ts, n: TsNode): boolean {
  const p = n.parent;
  if (p === undefined) return false;
  if (ts.isPropertyAccessExpression(p)) return p.name === n;
  if (
    ts.isPropertyAssignment(p) ||
    ts.isMethodDeclaration(p) ||
    ts.isPropertyDeclaration(p) ||
    ts.isGetAccessorDeclaration(p) ||
    ts.isSetAccessorDeclaration(p) ||
    ts.isPropertySignature(p) ||
    ts.isMethodSignature(p)
  ) {
    return p.name === n;
  }
  return false;
}

function policyProblems(ts: Ts, sf: SourceFile): string[] {
  const K = ts.SyntaxKind;
  const problems: string[] = [];
  const at = (n: TsNode, what: string): void => {
    problems.push(`line ${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${what}`);
  };
  forEachDescendant(ts, sf, (n) => {
    if (ts.isImportDeclaration(n) || ts.isImportEqualsDeclaration(n)) return at(n, 'imports are not allowed: the code under test has no module access');
    if (ts.isExportDeclaration(n) && n.moduleSpecifier !== undefined) return at(n, 're-exports from other modules are not allowed');
    if (ts.isCallExpression(n) && n.expression.kind === K.ImportKeyword) return at(n, 'dynamic import() is not allowed');
    if (ts.isMetaProperty(n)) return at(n, 'import.meta is not allowed');
    if (n.kind === K.WithStatement) return at(n, '`with` statements are not allowed');
    if (ts.isPropertyAccessExpression(n)) {
      const name = n.name.text;
      const why = Object.hasOwn(FORBIDDEN_MEMBERS, name) ? FORBIDDEN_MEMBERS[name] : undefined;
      if (why !== undefined) at(n, `.${name}: ${why}`);
      return;
    }
    if (ts.isElementAccessExpression(n)) {
      const arg = n.argumentExpression;
      if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) {
        const why = Object.hasOwn(FORBIDDEN_MEMBERS, arg.text) ? FORBIDDEN_MEMBERS[arg.text] : undefined;
        if (why !== undefined) at(n, `["${arg.text}"]: ${why}`);
      }
      return;
    }
    if (ts.isIdentifier(n)) {
      // The name as the program means it: `\u0070rocess` is `process`.
      const name = ts.idText(n);
      const why = Object.hasOwn(FORBIDDEN_NAMES, name) ? FORBIDDEN_NAMES[name] : undefined;
      if (why === undefined || isMemberName(ts, n)) return;
      // Types (rng: Function) are erased before the code runs.
      if (inTypePosition(ts, n)) return;
      at(n, `\`${name}\`: ${why}`);
    }
  });
  return problems;
}

function hasModifier(ts: Ts, n: TsNode, kind: TsNamespace.SyntaxKind): boolean {
  return ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === kind);
}

/** Kind names for the declarations an API map records without detail (stable names, not SyntaxKind's aliases). */
function declarationKind(ts: Ts, n: TsNode): string {
  const K = ts.SyntaxKind;
  const names: Partial<Record<number, string>> = {
    [K.VariableDeclaration]: 'VariableDeclaration',
    [K.InterfaceDeclaration]: 'InterfaceDeclaration',
    [K.TypeAliasDeclaration]: 'TypeAliasDeclaration',
    [K.EnumDeclaration]: 'EnumDeclaration',
    [K.ModuleDeclaration]: 'ModuleDeclaration',
  };
  return names[n.kind] ?? 'Expression';
}

/**
 * The file's exported declarations by exported name: `export class|function|const|interface|type|enum …`,
 * `export default …` and local `export { a, b as c }` (re-exports from modules are refused by the policy).
 */
function exportedDeclarations(ts: Ts, sf: SourceFile): Map<string, TsNode[]> {
  const K = ts.SyntaxKind;
  const locals = new Map<string, TsNode[]>();
  const exported = new Map<string, TsNode[]>();
  const add = (map: Map<string, TsNode[]>, name: string, n: TsNode): void => {
    map.set(name, [...(map.get(name) ?? []), n]);
  };
  const named = (n: TsNode): string | undefined => {
    if (ts.isClassDeclaration(n) || ts.isFunctionDeclaration(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n) || ts.isEnumDeclaration(n) || ts.isModuleDeclaration(n)) {
      return n.name === undefined ? undefined : n.name.getText(sf);
    }
    return undefined;
  };
  for (const st of sf.statements) {
    const isExported = hasModifier(ts, st, K.ExportKeyword);
    const isDefault = hasModifier(ts, st, K.DefaultKeyword);
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        const name = d.name.getText(sf);
        add(locals, name, d);
        if (isExported) add(exported, name, d);
      }
      continue;
    }
    const name = named(st);
    if (name !== undefined) add(locals, name, st);
    if (isExported && isDefault) add(exported, 'default', st);
    else if (isExported && name !== undefined) add(exported, name, st);
    if (ts.isExportAssignment(st)) add(exported, 'default', st.expression);
  }
  for (const st of sf.statements) {
    if (!ts.isExportDeclaration(st) || st.moduleSpecifier !== undefined || st.exportClause === undefined || !ts.isNamedExports(st.exportClause)) continue;
    for (const spec of st.exportClause.elements) {
      const local = (spec.propertyName ?? spec.name).getText(sf);
      for (const d of locals.get(local) ?? []) add(exported, spec.name.getText(sf), d);
    }
  }
  return exported;
}

/** A readable signature map of a file's exported API: `Class.member` → normalized signature text. */
function publicApi(ts: Ts, sf: SourceFile): Map<string, string> {
  const K = ts.SyntaxKind;
  const api = new Map<string, string>();
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  const text = (n: TsNode | undefined) => (n === undefined ? '' : norm(n.getText(sf)));
  const params = (ps: readonly TsNamespace.ParameterDeclaration[]) =>
    ps.map((p) => `${p.dotDotDotToken ? '...' : ''}${p.name.getText(sf)}${p.questionToken ? '?' : ''}${p.type ? `: ${text(p.type)}` : ''}${p.initializer ? ` = ${text(p.initializer)}` : ''}`).join(', ');
  for (const [name, decls] of exportedDeclarations(ts, sf)) {
    for (const d of decls) {
      if (ts.isClassDeclaration(d)) {
        api.set(name, 'class');
        const ctors = d.members.filter(ts.isConstructorDeclaration);
        // The implementation's signature (the last declaration when there are overloads).
        api.set(`${name}.constructor`, ctors.length === 0 ? '()' : `(${params(ctors[ctors.length - 1]!.parameters)})`);
        for (const mem of d.members) {
          if (ts.isConstructorDeclaration(mem) || ts.isClassStaticBlockDeclaration(mem) || ts.isSemicolonClassElement(mem)) continue;
          if (hasModifier(ts, mem, K.PrivateKeyword) || hasModifier(ts, mem, K.ProtectedKeyword)) continue;
          const stat = hasModifier(ts, mem, K.StaticKeyword) ? 'static ' : '';
          if (ts.isIndexSignatureDeclaration(mem)) {
            api.set(`${name}.[${params(mem.parameters)}]`, `${stat}index: ${text(mem.type)}`);
            continue;
          }
          if (mem.name === undefined || ts.isPrivateIdentifier(mem.name)) continue;
          const mname = mem.name.getText(sf);
          if (ts.isMethodDeclaration(mem)) api.set(`${name}.${mname}`, `${stat}method(${params(mem.parameters)}): ${text(mem.type)}`);
          else if (ts.isPropertyDeclaration(mem)) api.set(`${name}.${mname}`, `${stat}${hasModifier(ts, mem, K.ReadonlyKeyword) ? 'readonly ' : ''}property: ${text(mem.type)}`);
          else if (ts.isGetAccessorDeclaration(mem)) api.set(`${name}.${mname}`, `${stat}get: ${text(mem.type)}`);
          else if (ts.isSetAccessorDeclaration(mem)) api.set(`${name}.${mname}#set`, `${stat}set(${params(mem.parameters)})`);
        }
      } else if (ts.isFunctionDeclaration(d)) {
        api.set(name, `function(${params(d.parameters)}): ${text(d.type)}`);
      } else {
        api.set(name, declarationKind(ts, d));
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

function constValue(ts: Ts, n: TsNode): number | undefined {
  const K = ts.SyntaxKind;
  if (ts.isNumericLiteral(n)) return Number(n.text);
  if (ts.isParenthesizedExpression(n)) return constValue(ts, n.expression);
  if (ts.isPrefixUnaryExpression(n) && n.operator === K.MinusToken) {
    const v = constValue(ts, n.operand);
    return v === undefined ? undefined : -v;
  }
  if (ts.isBinaryExpression(n)) {
    const a = constValue(ts, n.left);
    const b = constValue(ts, n.right);
    if (a === undefined || b === undefined) return undefined;
    const op = n.operatorToken.kind;
    if (op === K.SlashToken) return a / b;
    if (op === K.AsteriskToken) return a * b;
  }
  return undefined;
}

function usesSqrt(ts: Ts, sf: SourceFile, scope: TsNode): boolean {
  const K = ts.SyntaxKind;
  const half = (n: TsNode | undefined) => n !== undefined && Math.abs(constValue(ts, n) ?? 0) === 0.5;
  const hit = (n: TsNode): boolean => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression.getText(sf).replace(/\s+/g, '');
      if (callee === 'Math.sqrt') return true;
      if (callee === 'Math.pow') return half(n.arguments[1]);
    }
    if (ts.isBinaryExpression(n) && (n.operatorToken.kind === K.AsteriskAsteriskToken || n.operatorToken.kind === K.AsteriskAsteriskEqualsToken)) return half(n.right);
    return false;
  };
  // forEachChild stops at the first child for which the callback returns a truthy value.
  const search = (n: TsNode): boolean => hit(n) || ts.forEachChild(n, search) === true;
  return search(scope);
}

export interface AstInput {
  /** Submitted text and original text of every editable file, by path. */
  readonly files: ReadonlyMap<string, { readonly submitted: string; readonly original: string }>;
  readonly subject: { readonly file: string; readonly export: string };
  readonly checks: readonly AstCheckSpec[];
}

/** The public API of a task's original file: the same text for every grade of a batch, so parsed once. */
const originalApis = new Map<string, Map<string, string>>();
function originalApi(ts: Ts, text: string, file: string): Map<string, string> {
  const key = `${file}\0${text}`;
  const hit = originalApis.get(key);
  if (hit !== undefined) return hit;
  const api = publicApi(ts, parse(ts, text, file));
  originalApis.set(key, api);
  return api;
}

/** The top-level class `name` of a file, and its member `member` (the constructor by that name). */
function findClass(ts: Ts, sf: SourceFile, name: string): TsNamespace.ClassDeclaration | undefined {
  return sf.statements.find((st): st is TsNamespace.ClassDeclaration => ts.isClassDeclaration(st) && st.name?.text === name);
}
function findMember(ts: Ts, sf: SourceFile, cls: TsNamespace.ClassDeclaration, member: string): TsNode | undefined {
  if (member === 'constructor') return cls.members.find(ts.isConstructorDeclaration);
  return cls.members.find((m) => m.name !== undefined && m.name.getText(sf) === member);
}

/**
 * The permissions policy (always, for every editable file) and the task's configured AST checks.
 */
export async function runAstChecks(input: AstInput): Promise<AstResult[]> {
  const results: AstResult[] = [];
  const ts = await loadTypeScript();
  const parsed = new Map<string, { sf: SourceFile; original: string }>();
  for (const [file, { submitted, original }] of input.files) parsed.set(file, { sf: parse(ts, submitted, file), original });
  const policy = [...parsed].flatMap(([file, { sf }]) => policyProblems(ts, sf).map((p) => `${file} ${p}`));
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
      const problems = apiProblems(originalApi(ts, p.original, file), publicApi(ts, p.sf));
      results.push(problems.length === 0 ? { id: check.check, passed: true, message: `${file}: exported API unchanged` } : { id: check.check, passed: false, message: `${file}: ${problems.join('; ')}` });
    } else {
      const cls = findClass(ts, p.sf, input.subject.export);
      let scope: TsNode = cls ?? p.sf;
      if (check.in !== undefined && cls !== undefined) scope = findMember(ts, p.sf, cls, check.in) ?? cls;
      const where = check.in === undefined ? (cls ? input.subject.export : file) : `${input.subject.export}.${check.in}`;
      results.push(
        usesSqrt(ts, p.sf, scope)
          ? { id: check.check, passed: true, message: `${where} computes a square root in code` }
          : { id: check.check, passed: false, message: `${where} computes no square root in code (Math.sqrt(…), Math.pow(…, ±0.5) or … ** ±0.5); a comment or string does not count` },
      );
    }
  }
  return results;
}
