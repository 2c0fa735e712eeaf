import { createRequire } from 'node:module';
import type { ts as TsNamespace } from 'ts-morph';

/**
 * The TypeScript compiler ts-morph carries (@ts-morph/common's typescript.js), used directly: a parse is all the
 * static checks need, and the raw syntax tree costs a fraction of ts-morph's wrapped one (no project, no wrapper
 * per node, no type checker). Loaded lazily, once per process, so that verbs which never parse code start fast;
 * everything else here only imports its types.
 */

/** The compiler's module, as `loadTypeScript` returns it, and the syntax types the checks read. */
export type Ts = typeof TsNamespace;
export type TsNode = TsNamespace.Node;
export type SourceFile = TsNamespace.SourceFile;
export type ClassDeclaration = TsNamespace.ClassDeclaration;

let tsModule: Promise<Ts> | undefined;

const require = createRequire(import.meta.url);

/** Load the TypeScript compiler once. */
export function loadTypeScript(): Promise<Ts> {
  // ts-morph's own copy of the compiler (the `typescript` package here is the Go port, with no JS API). require(),
  // not import(): importing CommonJS from ESM makes Node scan all of it for export names first.
  // Resolved from ts-morph's own location, so that it is the copy ts-morph itself uses (a transitive dependency).
  tsModule ??= Promise.resolve().then((): Ts => createRequire(require.resolve('ts-morph'))('@ts-morph/common/dist/typescript.js'));
  return tsModule;
}

/** Parse `text` as a TypeScript module (the caller bounds its nesting first: see parseFiles). */
export function parse(ts: Ts, text: string, name: string): SourceFile {
  return ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/**
 * Every node below `root` (not tokens), depth first, in source order, until `visit` returns true; iterative, so
 * any depth is safe.
 */
export function forEachDescendant(ts: Ts, root: TsNode, visit: (n: TsNode) => boolean | void): void {
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

/** How many steps of folding (operators, parentheses, `const` names) a constant or an alias may take. */
export const MAX_FOLD_DEPTH = 32;

/** Strip what does not change a value: parentheses, `as`, `!`, `<T>x`, `satisfies`. */
export function unwrap(ts: Ts, n: TsNode): TsNode {
  for (let i = 0; i < MAX_FOLD_DEPTH; i++) {
    if (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isNonNullExpression(n) || ts.isTypeAssertionExpression(n) || ts.isSatisfiesExpression(n)) n = n.expression;
    else return n;
  }
  return n;
}

/** The top-level class `name` of a file. */
export function findClass(ts: Ts, sf: SourceFile, name: string): ClassDeclaration | undefined {
  return sf.statements.find((st): st is ClassDeclaration => ts.isClassDeclaration(st) && st.name?.text === name);
}
