import type { StaticCheckOutcome } from '../../staticCheck.ts';
import { forEachDescendant, type SourceFile, type Ts, type TsNode } from '../syntax.ts';

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

/**
 * The permissions policy (src/runtime/checks/policy.ts) over every editable file: the first problems found, each
 * with its file and line.
 */
export function policy(ts: Ts, files: ReadonlyMap<string, SourceFile>): StaticCheckOutcome {
  const problems = [...files].flatMap(([file, sf]) => policyProblems(ts, sf).map((p) => `${file} ${p}`));
  return problems.length === 0
    ? { passed: true, message: 'no imports, process, global object, eval or Function' }
    : {
        passed: false,
        message: `the permissions policy refuses: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5}${problems.length >= MAX_POLICY_PROBLEMS ? ' or' : ''} more)` : ''}`,
      };
}
