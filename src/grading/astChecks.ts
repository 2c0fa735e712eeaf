import { createRequire } from 'node:module';
import type { ts as TsNamespace } from 'ts-morph';
import type { AstCheckSpec } from '../task/taskSchema.ts';

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

/**
 * How deeply a submission may nest, checked before anything else reads it. The compiler's parser is recursive
 * descent (a few hundred levels of brackets exhaust the grading process's stack), and esbuild indents each nested
 * block, so its output grows with nesting × lines: bounding both keeps a file at the task's size limit cheap.
 * Far beyond what hand-written code needs.
 */
export const NESTING_LIMITS = {
  /** Unclosed `(`, `[` and `{` at any point of the raw text (strings and comments included: a safe overcount). */
  brackets: 256,
  /** Blocks, class bodies, object and array literals, case clauses and unbraced statement bodies inside one another. */
  blocks: 64,
} as const;

/** The deepest raw bracket nesting of `text` and the offset where it is first reached; a linear scan. */
function bracketDepth(text: string): { depth: number; at: number } {
  let depth = 0;
  let max = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        at = i;
      }
    } else if ((c === 0x29 || c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return { depth: max, at };
}

/** V8's stack overflow: the one exception the parser may end in for some text (nesting its stack cannot hold). */
function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** The deepest nesting of indenting constructs (see NESTING_LIMITS.blocks) and a node where it is reached. */
function blockDepth(ts: Ts, sf: SourceFile): { depth: number; node: TsNode | undefined } {
  const K = ts.SyntaxKind;
  const indenting: ReadonlySet<number> = new Set([
    K.Block,
    K.ModuleBlock,
    K.CaseBlock,
    K.CaseClause,
    K.DefaultClause,
    K.ClassDeclaration,
    K.ClassExpression,
    K.InterfaceDeclaration,
    K.EnumDeclaration,
    K.TypeLiteral,
    K.ObjectLiteralExpression,
    K.ArrayLiteralExpression,
  ]);
  // A statement that is the body of an if/loop/label without braces is indented too (`else if` is not).
  const unbracedBody = (parent: TsNode, child: TsNode): boolean => {
    if (ts.isBlock(child)) return false;
    if (ts.isIfStatement(parent)) return child === parent.thenStatement || (child === parent.elseStatement && !ts.isIfStatement(child));
    if (ts.isIterationStatement(parent, false) || ts.isLabeledStatement(parent) || ts.isWithStatement(parent)) return child === parent.statement;
    return false;
  };
  let max = 0;
  let deepest: TsNode | undefined;
  const stack: [TsNode, number][] = [[sf, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [n, d] = top;
    ts.forEachChild(n, (c) => {
      const cd = d + (indenting.has(c.kind) || unbracedBody(n, c) ? 1 : 0);
      if (cd > max) {
        max = cd;
        deepest = c;
      }
      stack.push([c, cd]);
    });
  }
  return { depth: max, node: deepest };
}

/** Files parsed within NESTING_LIMITS, or the first limit a file exceeds (the submission's fault). */
export type ParsedFiles = { readonly ok: true; readonly files: ReadonlyMap<string, SourceFile> } | { readonly ok: false; readonly message: string };

/**
 * Parse every file, refusing one that nests beyond NESTING_LIMITS: the brackets before parsing, the parser's own
 * stack as a backstop (deep chains of prefix operators, arrows or type arguments have no brackets to count), and
 * indentation after. Never throws for any text.
 */
export async function parseFiles(files: ReadonlyMap<string, string>): Promise<ParsedFiles> {
  const ts = await loadTypeScript();
  const parsed = new Map<string, SourceFile>();
  const lineOf = (text: string, at: number): number => {
    let line = 1;
    for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 0x0a) line++;
    return line;
  };
  for (const [file, text] of files) {
    const brackets = bracketDepth(text);
    if (brackets.depth > NESTING_LIMITS.brackets) {
      return { ok: false, message: `${file}:${lineOf(text, brackets.at)}: nesting deeper than ${NESTING_LIMITS.brackets} levels of brackets (the grader refuses such code)` };
    }
    let sf: SourceFile;
    try {
      sf = parse(ts, text, file);
    } catch (e) {
      if (!isStackOverflow(e)) throw e;
      return {
        ok: false,
        message: `${file}: nesting too deep for the grader's parser (prefix operators, arrow functions, conditionals, statements or type arguments chained inside one another; keep any nesting under ${NESTING_LIMITS.brackets} levels)`,
      };
    }
    const blocks = blockDepth(ts, sf);
    if (blocks.depth > NESTING_LIMITS.blocks) {
      const line = blocks.node === undefined ? 1 : sf.getLineAndCharacterOfPosition(blocks.node.getStart(sf)).line + 1;
      return { ok: false, message: `${file}:${line}: blocks nested deeper than ${NESTING_LIMITS.blocks} levels (the grader refuses such code)` };
    }
    parsed.set(file, sf);
  }
  return { ok: true, files: parsed };
}

/**
 * Every node below `root` (not tokens), depth first, in source order, until `visit` returns true; iterative, so
 * any depth is safe.
 */
function forEachDescendant(ts: Ts, root: TsNode, visit: (n: TsNode) => boolean | void): void {
  const stack: TsNode[] = [];
  const pushChildren = (n: TsNode): void => {
    const children: TsNode[] = [];
    ts.forEachChild(n, (c) => {
      children.push(c);
    });
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  };
  pushChildren(root);
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (visit(n) === true) return;
    pushChildren(n);
  }
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

/**
 * Problems reported per file, at most: the walk stops there, so that a file of nothing but forbidden names (each
 * one costing a walk up its ancestors) is refused quickly.
 */
const MAX_POLICY_PROBLEMS = 20;

function policyProblems(ts: Ts, sf: SourceFile): string[] {
  const K = ts.SyntaxKind;
  const problems: string[] = [];
  const at = (n: TsNode, what: string): void => {
    problems.push(`line ${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${what}`);
  };
  forEachDescendant(ts, sf, (n) => {
    if (problems.length >= MAX_POLICY_PROBLEMS) return true;
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
    return false;
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

/**
 * A readable signature map of a file's exported API: `Class.member` → normalized signature text. Every declaration
 * under one key is kept, in order, so that an added overload signature (of a function, method or constructor), a
 * static member beside an instance member of the same name, or a namespace, interface or `declare` merged into an
 * export each change the entry.
 */
function publicApi(ts: Ts, sf: SourceFile): Map<string, string> {
  const K = ts.SyntaxKind;
  const api = new Map<string, string>();
  const add = (key: string, sig: string): void => {
    const had = api.get(key);
    api.set(key, had === undefined ? sig : `${had}; ${sig}`);
  };
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  const text = (n: TsNode | undefined) => (n === undefined ? '' : norm(n.getText(sf)));
  const has = (n: TsNode, kind: TsNamespace.SyntaxKind) => hasModifier(ts, n, kind);
  const flag = (n: TsNode, kind: TsNamespace.SyntaxKind, word: string) => (has(n, kind) ? `${word} ` : '');
  const typeParams = (ps: readonly TsNamespace.TypeParameterDeclaration[] | undefined) => (ps === undefined ? '' : `<${ps.map((p) => text(p)).join(', ')}>`);
  // A parameter property (`constructor(public x = 1)`) is a member too: its modifiers are part of the signature.
  const paramMods = (p: TsNamespace.ParameterDeclaration) =>
    `${flag(p, K.PublicKeyword, 'public')}${flag(p, K.PrivateKeyword, 'private')}${flag(p, K.ProtectedKeyword, 'protected')}${flag(p, K.ReadonlyKeyword, 'readonly')}`;
  const params = (ps: readonly TsNamespace.ParameterDeclaration[]) =>
    ps.map((p) => `${paramMods(p)}${p.dotDotDotToken ? '...' : ''}${p.name.getText(sf)}${p.questionToken ? '?' : ''}${p.type ? `: ${text(p.type)}` : ''}${p.initializer ? ` = ${text(p.initializer)}` : ''}`).join(', ');
  const fnFlags = (f: TsNamespace.SignatureDeclarationBase) => `${flag(f, K.DeclareKeyword, 'declare')}${flag(f, K.AsyncKeyword, 'async')}${'asteriskToken' in f && f.asteriskToken !== undefined ? '*' : ''}`;
  const signature = (f: TsNamespace.SignatureDeclarationBase) => `${typeParams(f.typeParameters)}(${params(f.parameters)}): ${text(f.type)}`;

  const classApi = (name: string, d: TsNamespace.ClassLikeDeclaration): void => {
    const heritage = (d.heritageClauses ?? []).map((h) => ` ${text(h)}`).join('');
    add(name, `${flag(d, K.DeclareKeyword, 'declare')}${flag(d, K.AbstractKeyword, 'abstract')}class${typeParams(d.typeParameters)}${heritage}`);
    const ctors = d.members.filter(ts.isConstructorDeclaration);
    if (ctors.length === 0) add(`${name}.constructor`, '()');
    for (const c of ctors) {
      add(`${name}.constructor`, `(${params(c.parameters)})`);
      for (const p of c.parameters) {
        const isProperty = has(p, K.PublicKeyword) || has(p, K.ReadonlyKeyword);
        if (isProperty && !has(p, K.PrivateKeyword) && !has(p, K.ProtectedKeyword)) add(`${name}.${p.name.getText(sf)}`, `${flag(p, K.ReadonlyKeyword, 'readonly')}property: ${text(p.type)}`);
      }
    }
    for (const mem of d.members) {
      if (ts.isConstructorDeclaration(mem) || ts.isClassStaticBlockDeclaration(mem) || ts.isSemicolonClassElement(mem)) continue;
      if (has(mem, K.PrivateKeyword) || has(mem, K.ProtectedKeyword)) continue;
      const stat = `${flag(mem, K.StaticKeyword, 'static')}${flag(mem, K.AbstractKeyword, 'abstract')}`;
      if (ts.isIndexSignatureDeclaration(mem)) {
        add(`${name}.[${params(mem.parameters)}]`, `${stat}index: ${text(mem.type)}`);
        continue;
      }
      if (mem.name === undefined || ts.isPrivateIdentifier(mem.name)) continue;
      const mname = mem.name.getText(sf);
      const optional = 'questionToken' in mem && mem.questionToken !== undefined ? '?' : '';
      if (ts.isMethodDeclaration(mem)) add(`${name}.${mname}`, `${stat}${fnFlags(mem)}method${optional}${signature(mem)}`);
      else if (ts.isPropertyDeclaration(mem)) add(`${name}.${mname}`, `${stat}${flag(mem, K.ReadonlyKeyword, 'readonly')}property${optional}: ${text(mem.type)}`);
      else if (ts.isGetAccessorDeclaration(mem)) add(`${name}.${mname}`, `${stat}get: ${text(mem.type)}`);
      else if (ts.isSetAccessorDeclaration(mem)) add(`${name}.${mname}#set`, `${stat}set(${params(mem.parameters)})`);
    }
  };

  for (const [name, decls] of exportedDeclarations(ts, sf)) {
    for (const d of decls) {
      if (ts.isClassDeclaration(d) || ts.isClassExpression(d)) classApi(name, d);
      else if (ts.isFunctionDeclaration(d)) add(name, `${fnFlags(d)}function${signature(d)}`);
      else if (ts.isVariableDeclaration(d)) {
        const list = d.parent;
        const kind = ts.isVariableDeclarationList(list) ? ((list.flags & ts.NodeFlags.Const) !== 0 ? 'const' : (list.flags & ts.NodeFlags.Let) !== 0 ? 'let' : 'var') : 'var';
        const stmt = ts.isVariableDeclarationList(list) ? list.parent : undefined;
        const declare = stmt !== undefined && has(stmt, K.DeclareKeyword) ? 'declare ' : '';
        const init = d.initializer === undefined ? undefined : unwrap(ts, d.initializer);
        const annotated = d.type === undefined ? '' : `: ${text(d.type)}`;
        if (init !== undefined && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) add(name, `${declare}${kind}${annotated} ${fnFlags(init)}function${signature(init)}`);
        else if (init !== undefined && ts.isClassExpression(init)) {
          add(name, `${declare}${kind}${annotated}`);
          classApi(name, init);
        } else {
          // A literal value is part of the contract (`export const DEFAULT_RATE = 0.5`); other expressions are code.
          const literal = init !== undefined && (ts.isNumericLiteral(init) || ts.isStringLiteral(init) || ts.isPrefixUnaryExpression(init) || init.kind === K.TrueKeyword || init.kind === K.FalseKeyword);
          add(name, `${declare}${kind}${annotated}${literal ? ` = ${text(init)}` : ''}`);
        }
      } else if (ts.isModuleDeclaration(d)) {
        const body = d.body !== undefined && ts.isModuleBlock(d.body) ? d.body.statements.filter((st) => hasModifier(ts, st, K.ExportKeyword)).map((st) => text(st).slice(0, 200)) : [];
        add(name, `${flag(d, K.DeclareKeyword, 'declare')}namespace { ${body.join('; ')} }`);
      } else add(name, declarationKind(ts, d));
    }
  }
  return api;
}

/** Signatures and names shown in a message are cut here: a submission's types can be as long as its file. */
const MAX_SHOWN = 300;
const shown = (s: string): string => (s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s);

function apiProblems(before: Map<string, string>, after: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, sig] of before) {
    const now = after.get(key);
    const member = key.includes('.') ? key.slice(key.indexOf('.') + 1) : key;
    if (now === undefined) problems.push(key.includes('.') ? `${member} was renamed or removed (${key})` : `export ${key} was renamed or removed`);
    else if (now !== sig) {
      if (member === 'constructor') problems.push(`constructor parameters changed: was ${shown(sig)}, now ${shown(now)}`);
      else problems.push(`${key} changed: was ${shown(sig)}, now ${shown(now)}`);
    }
  }
  for (const key of after.keys()) {
    if (!before.has(key)) problems.push(`${shown(key)} is new public API; keep the interface identical (make helpers private)`);
  }
  // Every problem is named, but a file of thousands of new exports is not listed in full.
  return problems.length > 20 ? [...problems.slice(0, 20), `and ${problems.length - 20} more`] : problems;
}

/** How many steps of folding (operators, parentheses, `const` names) a constant or an alias may take. */
const MAX_FOLD_DEPTH = 32;

/**
 * What `const` bindings of a file hold, for folding: a name bound exactly once in the whole file (any other
 * binding of the name — a parameter, `let`, a second `const` in another scope — makes it unknown, so no scope
 * analysis is needed to be sound). Also `readonly` class properties with an initializer, read as `x.name`.
 */
interface Bindings {
  readonly consts: ReadonlyMap<string, TsNode>;
  readonly readonlyProps: ReadonlyMap<string, TsNode>;
  /** Every name bound anywhere in the file (so that a local `Math` is not taken for the global one). */
  readonly bound: ReadonlySet<string>;
}

function fileBindings(ts: Ts, sf: SourceFile): Bindings {
  const K = ts.SyntaxKind;
  const consts = new Map<string, TsNode | null>();
  const props = new Map<string, TsNode | null>();
  const bind = (map: Map<string, TsNode | null>, name: string, value: TsNode | null): void => {
    map.set(name, map.has(name) ? null : value);
  };
  const isConstWithValue = (d: TsNode): d is TsNamespace.VariableDeclaration =>
    ts.isVariableDeclaration(d) && d.initializer !== undefined && ts.isVariableDeclarationList(d.parent) && (d.parent.flags & ts.NodeFlags.Const) !== 0;
  forEachDescendant(ts, sf, (n) => {
    if (ts.isVariableDeclaration(n)) {
      if (ts.isIdentifier(n.name)) bind(consts, ts.idText(n.name), isConstWithValue(n) ? n.initializer! : null);
    } else if (ts.isBindingElement(n)) {
      if (!ts.isIdentifier(n.name)) return;
      // const { sqrt, pow: p } = Math: the name stands for the property of the initializer it was taken from.
      const prop = n.propertyName ?? n.name;
      const plain = ts.isObjectBindingPattern(n.parent) && isConstWithValue(n.parent.parent) && n.dotDotDotToken === undefined && n.initializer === undefined && ts.isIdentifier(prop);
      bind(consts, ts.idText(n.name), plain ? n : null);
    } else if (ts.isParameter(n)) {
      if (ts.isIdentifier(n.name)) bind(consts, ts.idText(n.name), null);
    } else if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassDeclaration(n) || ts.isClassExpression(n) || ts.isEnumDeclaration(n)) {
      if (n.name !== undefined) bind(consts, ts.idText(n.name), null);
    } else if (ts.isPropertyDeclaration(n) && (ts.isIdentifier(n.name) || ts.isPrivateIdentifier(n.name))) {
      const readonly = (ts.getModifiers(n) ?? []).some((m) => m.kind === K.ReadonlyKeyword);
      bind(props, n.name.text, readonly && n.initializer !== undefined ? n.initializer : null);
    }
  });
  const known = (m: Map<string, TsNode | null>) => new Map([...m].filter((e): e is [string, TsNode] => e[1] !== null));
  return { consts: known(consts), readonlyProps: known(props), bound: new Set(consts.keys()) };
}

/** Strip what does not change a value: parentheses, `as`, `!`, `<T>x`, `satisfies`. */
function unwrap(ts: Ts, n: TsNode): TsNode {
  for (let i = 0; i < MAX_FOLD_DEPTH; i++) {
    if (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isNonNullExpression(n) || ts.isTypeAssertionExpression(n) || ts.isSatisfiesExpression(n)) n = n.expression;
    else return n;
  }
  return n;
}

/** The number an expression always evaluates to, when it is made of literals, arithmetic and known constants. */
function constValue(ts: Ts, b: Bindings, node: TsNode, depth = 0): number | undefined {
  if (depth > MAX_FOLD_DEPTH) return undefined;
  const K = ts.SyntaxKind;
  const n = unwrap(ts, node);
  if (ts.isNumericLiteral(n)) return Number(n.text);
  if (ts.isIdentifier(n)) {
    const init = b.consts.get(ts.idText(n));
    return init === undefined || ts.isBindingElement(init) ? undefined : constValue(ts, b, init, depth + 1);
  }
  if (ts.isPropertyAccessExpression(n)) {
    const init = b.readonlyProps.get(n.name.text);
    return init === undefined ? undefined : constValue(ts, b, init, depth + 1);
  }
  if (ts.isPrefixUnaryExpression(n) && (n.operator === K.MinusToken || n.operator === K.PlusToken)) {
    const v = constValue(ts, b, n.operand, depth + 1);
    return v === undefined ? undefined : n.operator === K.MinusToken ? -v : v;
  }
  if (ts.isBinaryExpression(n)) {
    const x = constValue(ts, b, n.left, depth + 1);
    if (x === undefined) return undefined;
    const y = constValue(ts, b, n.right, depth + 1);
    if (y === undefined) return undefined;
    switch (n.operatorToken.kind) {
      case K.SlashToken:
        return x / y;
      case K.AsteriskToken:
        return x * y;
      case K.PlusToken:
        return x + y;
      case K.MinusToken:
        return x - y;
      case K.AsteriskAsteriskToken:
        return x ** y;
    }
  }
  return undefined;
}

type MathFunction = 'sqrt' | 'pow' | 'exp' | 'log';
const MATH_FUNCTIONS: readonly MathFunction[] = ['sqrt', 'pow', 'exp', 'log'];

/** Which Math function an expression names: Math.sqrt, Math['sqrt'], or a `const` alias of one (`const { sqrt } = Math`). */
function mathFunction(ts: Ts, b: Bindings, node: TsNode, depth = 0): MathFunction | undefined {
  if (depth > MAX_FOLD_DEPTH) return undefined;
  const n = unwrap(ts, node);
  const isMath = (e: TsNode): boolean => {
    const u = unwrap(ts, e);
    return ts.isIdentifier(u) && ts.idText(u) === 'Math' && !b.bound.has('Math');
  };
  const named = (name: string): MathFunction | undefined => MATH_FUNCTIONS.find((f) => f === name);
  if (ts.isPropertyAccessExpression(n) && isMath(n.expression)) return named(n.name.text);
  if (ts.isElementAccessExpression(n) && isMath(n.expression) && (ts.isStringLiteral(n.argumentExpression) || ts.isNoSubstitutionTemplateLiteral(n.argumentExpression))) {
    return named(n.argumentExpression.text);
  }
  if (ts.isIdentifier(n)) {
    const bound = b.consts.get(ts.idText(n));
    if (bound === undefined) return undefined;
    if (ts.isBindingElement(bound)) {
      const decl = bound.parent.parent;
      const prop = bound.propertyName ?? bound.name;
      return ts.isVariableDeclaration(decl) && decl.initializer !== undefined && isMath(decl.initializer) && ts.isIdentifier(prop) ? named(ts.idText(prop)) : undefined;
    }
    return mathFunction(ts, b, bound, depth + 1);
  }
  return undefined;
}

/** `k` when `node` is k · Math.log(…) for a constant k (written k * log, log * k, log / c, −log, …). */
function logMultiple(ts: Ts, b: Bindings, node: TsNode, depth = 0): number | undefined {
  if (depth > MAX_FOLD_DEPTH) return undefined;
  const K = ts.SyntaxKind;
  const n = unwrap(ts, node);
  if (ts.isCallExpression(n)) return mathFunction(ts, b, n.expression) === 'log' && n.arguments.length === 1 ? 1 : undefined;
  if (ts.isPrefixUnaryExpression(n) && n.operator === K.MinusToken) {
    const k = logMultiple(ts, b, n.operand, depth + 1);
    return k === undefined ? undefined : -k;
  }
  if (ts.isBinaryExpression(n)) {
    const op = n.operatorToken.kind;
    if (op === K.AsteriskToken) {
      const l = logMultiple(ts, b, n.left, depth + 1);
      if (l !== undefined) {
        const c = constValue(ts, b, n.right);
        return c === undefined ? undefined : l * c;
      }
      const r = logMultiple(ts, b, n.right, depth + 1);
      const c = constValue(ts, b, n.left);
      return r === undefined || c === undefined ? undefined : r * c;
    }
    if (op === K.SlashToken) {
      const l = logMultiple(ts, b, n.left, depth + 1);
      const c = constValue(ts, b, n.right);
      return l === undefined || c === undefined ? undefined : l / c;
    }
  }
  return undefined;
}

/**
 * Whether `scope` computes a square root in code: Math.sqrt(q) (or an alias of it), Math.pow(q, ±½), q ** ±½,
 * q **= ±½, or Math.exp(±½ · Math.log(q)), where ½ may be any constant expression folding to it (`1 / 2`,
 * `const half = 0.5`). Comments and strings are not code, so a root written in one does not count.
 */
function usesSqrt(ts: Ts, sf: SourceFile, scope: TsNode): boolean {
  const K = ts.SyntaxKind;
  const b = fileBindings(ts, sf);
  const half = (n: TsNode | undefined): boolean => n !== undefined && Math.abs(constValue(ts, b, n) ?? 0) === 0.5;
  const hit = (n: TsNode): boolean => {
    if (ts.isCallExpression(n)) {
      const f = mathFunction(ts, b, n.expression);
      if (f === 'sqrt') return n.arguments.length >= 1;
      if (f === 'pow') return half(n.arguments[1]);
      if (f === 'exp' && n.arguments.length >= 1) return Math.abs(logMultiple(ts, b, n.arguments[0]!) ?? 0) === 0.5;
    }
    if (ts.isBinaryExpression(n) && (n.operatorToken.kind === K.AsteriskAsteriskToken || n.operatorToken.kind === K.AsteriskAsteriskEqualsToken)) return half(n.right);
    return false;
  };
  if (hit(scope)) return true;
  let found = false;
  forEachDescendant(ts, scope, (n) => (found = hit(n)));
  return found;
}

export interface AstInput {
  /** Submitted text and original text of every editable file, by path. */
  readonly files: ReadonlyMap<string, { readonly submitted: string; readonly original: string }>;
  readonly subject: { readonly file: string; readonly export: string };
  readonly checks: readonly AstCheckSpec[];
  /** The submitted files as `parseFiles` returned them, when the caller has parsed them already. */
  readonly parsed?: ParsedFiles;
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
  const sources = input.parsed ?? (await parseFiles(new Map([...input.files].map(([file, { submitted }]) => [file, submitted]))));
  // Code nested beyond the limits is refused by every check: nothing of it was walked.
  if (!sources.ok) return [{ id: 'policy', passed: false, message: sources.message }, ...input.checks.map((c) => ({ id: c.check, passed: false, message: sources.message }))];
  const parsed = new Map<string, { sf: SourceFile; original: string }>();
  for (const [file, { original }] of input.files) {
    const sf = sources.files.get(file);
    if (sf !== undefined) parsed.set(file, { sf, original });
  }
  const policy = [...parsed].flatMap(([file, { sf }]) => policyProblems(ts, sf).map((p) => `${file} ${p}`));
  results.push(
    policy.length === 0
      ? { id: 'policy', passed: true, message: 'no imports, process, global object, eval or Function' }
      : { id: 'policy', passed: false, message: `the permissions policy refuses: ${policy.slice(0, 5).join('; ')}${policy.length > 5 ? ` (+${policy.length - 5}${policy.length >= MAX_POLICY_PROBLEMS ? ' or' : ''} more)` : ''}` },
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
          : { id: check.check, passed: false, message: `${where} computes no square root in code (Math.sqrt(…), Math.pow(…, ±0.5), … ** ±0.5 or Math.exp(±0.5 * Math.log(…)), where 0.5 may be any constant expression or const name folding to it); a comment or string does not count` },
      );
    }
  }
  return results;
}

/**
 * The member names of the top-level class `className` of a file (methods, properties, accessors, parameter
 * properties, static members too), or undefined when that is not knowable from the file alone: no such class, or
 * one that extends another.
 */
export async function classMemberNames(text: string, file: string, className: string): Promise<ReadonlySet<string> | undefined> {
  const ts = await loadTypeScript();
  const parsed = await parseFiles(new Map([[file, text]]));
  const sf = parsed.ok ? parsed.files.get(file) : undefined;
  if (sf === undefined) return undefined;
  const cls = findClass(ts, sf, className);
  if (cls === undefined || (cls.heritageClauses ?? []).some((h) => h.token === ts.SyntaxKind.ExtendsKeyword)) return undefined;
  const names = new Set<string>();
  for (const m of cls.members) {
    if (ts.isConstructorDeclaration(m)) {
      for (const p of m.parameters) if (ts.isIdentifier(p.name) && ts.isParameterPropertyDeclaration(p, m)) names.add(p.name.text);
    } else if (m.name !== undefined && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name) || ts.isPrivateIdentifier(m.name))) names.add(m.name.text);
  }
  return names;
}
