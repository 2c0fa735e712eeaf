import type { ts as TsNamespace } from 'ts-morph';
import type { SourceFile, Ts, TsNode } from '../runtime/typescript/syntax.ts';
import type { MutationOperator } from './mutants.ts';

/** One edit of the source text by one operator: `[start, end)` becomes `replacement`. */
export interface MutationEdit {
  readonly operator: MutationOperator;
  readonly start: number;
  readonly end: number;
  readonly replacement: string;
}

/**
 * The walk stops this deep. The input is the author's reference solution, not a submission, so recursion is
 * acceptable; the bound only keeps a pathological file from overflowing the stack (deeper code gets no mutants).
 */
const MAX_DEPTH = 500;

const ARITHMETIC: ReadonlyMap<string, readonly string[]> = new Map([
  ['+', ['-']],
  ['-', ['+']],
  ['*', ['/']],
  ['/', ['*']],
  ['%', ['*']],
  ['**', ['*']],
  ['+=', ['-=']],
  ['-=', ['+=']],
  ['*=', ['/=']],
  ['/=', ['*=']],
]);

/** Per operator: the boundary variant, the negation, then the reversed direction. */
const COMPARISON: ReadonlyMap<string, readonly string[]> = new Map([
  ['<', ['<=', '>=', '>']],
  ['<=', ['<', '>', '>=']],
  ['>', ['>=', '<=', '<']],
  ['>=', ['>', '<', '<=']],
  ['===', ['!==']],
  ['!==', ['===']],
  ['==', ['!=']],
  ['!=', ['==']],
]);

const LOGICAL: ReadonlyMap<string, readonly string[]> = new Map([
  ['&&', ['||']],
  ['||', ['&&']],
  ['??', ['||']],
]);

const MATH_SWAPS: ReadonlyMap<string, readonly string[]> = new Map([
  ['sqrt', ['cbrt']],
  ['cbrt', ['sqrt']],
  ['exp', ['expm1']],
  ['expm1', ['exp']],
  ['log', ['log1p']],
  ['log1p', ['log']],
  ['max', ['min']],
  ['min', ['max']],
  ['floor', ['round', 'ceil']],
  ['round', ['floor']],
  ['ceil', ['floor']],
]);

/** Math functions whose call `Math.f(x)` is also mutated to plain `x`. */
const MATH_IDENTITY: ReadonlySet<string> = new Set(['sqrt', 'abs']);

/** Swapping the arguments of these gives an equivalent program: a certain survivor, not worth a grade. */
const COMMUTATIVE_MATH: ReadonlySet<string> = new Set(['max', 'min', 'hypot']);

/** A loop condition's operator, one iteration more or less. */
const LOOP_OPERATOR: ReadonlyMap<string, string> = new Map([
  ['<', '<='],
  ['<=', '<'],
  ['>', '>='],
  ['>=', '>'],
]);

/** A comparison read the other way round (`n > i` is `i < n`). */
const MIRRORED: ReadonlyMap<string, string> = new Map([
  ['<', '>'],
  ['<=', '>='],
  ['>', '<'],
  ['>=', '<='],
]);

/**
 * Every edit the operators make to `sf`, in walk order (the caller sorts, validates and deduplicates). Type-level
 * code, imports and exports, string and template literals, decorators and `for` headers (except the condition,
 * which loop-bound alone mutates) get none.
 */
export function mutationEditsOf(ts: Ts, sf: SourceFile): MutationEdit[] {
  const text = sf.text;
  const edits: MutationEdit[] = [];
  const textOf = (n: TsNode): string => text.slice(n.getStart(sf), n.getEnd());
  const add = (operator: MutationOperator, start: number, end: number, replacement: string): void => {
    edits.push({ operator, start, end, replacement });
  };
  const replaceNode = (operator: MutationOperator, n: TsNode, replacement: string): void => add(operator, n.getStart(sf), n.getEnd(), replacement);

  const skipped = (n: TsNode): boolean =>
    ts.isTypeNode(n) ||
    ts.isTypeParameterDeclaration(n) ||
    ts.isInterfaceDeclaration(n) ||
    ts.isTypeAliasDeclaration(n) ||
    ts.isImportDeclaration(n) ||
    ts.isImportEqualsDeclaration(n) ||
    ts.isExportDeclaration(n) ||
    ts.isDecorator(n) ||
    ts.isStringLiteral(n) ||
    ts.isNoSubstitutionTemplateLiteral(n) ||
    ts.isTemplateExpression(n) ||
    ts.isTaggedTemplateExpression(n) ||
    ts.isRegularExpressionLiteral(n) ||
    // Ambient declarations emit no code.
    (ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword));

  const isStringy = (n: TsNode): boolean => {
    const u = withoutParens(ts, n);
    return ts.isStringLiteral(u) || ts.isNoSubstitutionTemplateLiteral(u) || ts.isTemplateExpression(u);
  };

  const binary = (n: TsNamespace.BinaryExpression): void => {
    const token = n.operatorToken;
    const op = token.getText(sf);
    const at = (operator: MutationOperator, to: string): void => add(operator, token.getStart(sf), token.getEnd(), to);
    for (const to of ARITHMETIC.get(op) ?? []) {
      // `+` with a string operand is concatenation: `'a' - b` is NaN, a mutant every grader kills.
      if ((op === '+' || op === '+=') && (isStringy(n.left) || isStringy(n.right))) continue;
      if (op === '**' && ts.isBinaryExpression(n.parent) && n.parent.right === n && ['*', '/', '%', '**'].includes(n.parent.operatorToken.getText(sf))) {
        // `x / y ** z` → `x / y * z` would read as `(x / y) * z`: keep the operands together.
        const start = n.getStart(sf);
        replaceNode('arithmetic', n, `(${text.slice(start, token.getStart(sf))}${to}${text.slice(token.getEnd(), n.getEnd())})`);
      } else at('arithmetic', to);
    }
    for (const to of COMPARISON.get(op) ?? []) at('comparison', to);
    for (const to of LOGICAL.get(op) ?? []) at('logical', to);
  };

  const unary = (n: TsNamespace.PrefixUnaryExpression | TsNamespace.PostfixUnaryExpression): void => {
    const { MinusToken, ExclamationToken, PlusPlusToken, MinusMinusToken } = ts.SyntaxKind;
    if (ts.isPrefixUnaryExpression(n) && (n.operator === MinusToken || n.operator === ExclamationToken)) {
      replaceNode('unary', n, textOf(n.operand));
    } else if (n.operator === PlusPlusToken || n.operator === MinusMinusToken) {
      const start = ts.isPrefixUnaryExpression(n) ? n.getStart(sf) : n.getEnd() - 2;
      add('unary', start, start + 2, n.operator === PlusPlusToken ? '--' : '++');
    }
  };

  const isPropertyName = (n: TsNode): boolean => {
    const p = n.parent;
    return (
      ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p) || ts.isEnumMember(p)) && p.name === n) ||
      (ts.isBindingElement(p) && p.propertyName === n)
    );
  };

  const constant = (n: TsNamespace.NumericLiteral): void => {
    if (isPropertyName(n)) return;
    // `-0.5` is one constant: mutating the literal alone would give `--1.5` (a decrement, not a number).
    const negated = ts.isPrefixUnaryExpression(n.parent) && n.parent.operator === ts.SyntaxKind.MinusToken;
    const target = negated ? n.parent : n;
    const value = negated ? -Number(n.text) : Number(n.text);
    const literal = n.getText(sf);
    const seen = new Set<number>([value]);
    for (const v of [value + 1, value - 1, value * 2, value / 2, 0]) {
      if (!Number.isFinite(v)) continue;
      const formatted = numberLike(v, literal);
      const rounded = Number(formatted);
      if (seen.has(rounded)) continue;
      seen.add(rounded);
      // `2.5.toFixed()` → `(3).toFixed()`, not `3.toFixed()`; `0.5 ** x` → `(-0.5) ** x`, not the syntax error.
      const p = target.parent;
      const enclosed = ts.isPropertyAccessExpression(p) || (v < 0 && ts.isBinaryExpression(p) && p.left === target && p.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken);
      replaceNode('constant', target, enclosed ? `(${formatted})` : formatted);
    }
  };

  const call = (n: TsNamespace.CallExpression | TsNamespace.NewExpression): void => {
    const callee = n.expression;
    const math = ts.isPropertyAccessExpression(callee) && !callee.questionDotToken && ts.isIdentifier(callee.expression) && callee.expression.text === 'Math' ? callee.name.text : undefined;
    const args: readonly TsNamespace.Expression[] = n.arguments ?? [];
    if (math !== undefined && ts.isCallExpression(n) && ts.isPropertyAccessExpression(callee)) {
      const prefix = text.slice(callee.getStart(sf), callee.name.getStart(sf));
      for (const to of MATH_SWAPS.get(math) ?? []) replaceNode('function-swap', callee, prefix + to);
      const only = args[0];
      if (MATH_IDENTITY.has(math) && args.length === 1 && only !== undefined && !ts.isSpreadElement(only)) {
        replaceNode('function-swap', n, isTight(ts, only, n) ? textOf(only) : `(${textOf(only)})`);
      }
    }
    const [first, second] = args;
    if (first === undefined || second === undefined || ts.isSpreadElement(first) || ts.isSpreadElement(second)) return;
    if (math !== undefined && COMMUTATIVE_MATH.has(math)) return;
    if (textOf(first) === textOf(second)) return;
    const between = text.slice(first.getEnd(), second.getStart(sf));
    add('argument-swap', first.getStart(sf), second.getEnd(), textOf(second) + between + textOf(first));
  };

  const conditionFlip = (c: TsNode): void => {
    // `if (!x)` flipped is `x`, which the unary operator already makes.
    if (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken) return;
    replaceNode('condition-flip', c, `!(${textOf(c)})`);
  };

  /** Whether removing `st` is the same mutant as removing the else-less `if` it is the whole body of. */
  const wholeGuardBody = (st: TsNamespace.Statement): boolean => {
    const p = st.parent;
    const guard = (n: TsNode, body: TsNode): boolean => ts.isIfStatement(n) && n.elseStatement === undefined && n.thenStatement === body;
    return guard(p, st) || (ts.isBlock(p) && p.statements.length === 1 && guard(p.parent, p));
  };

  const statementRemoval = (st: TsNamespace.Statement, inLoop: boolean): void => {
    const removable =
      (ts.isExpressionStatement(st) && !ts.isStringLiteral(st.expression)) || // not a directive
      ts.isThrowStatement(st) ||
      // A `return` that ends a loop early, removed, can make the loop endless: a timeout, not a verdict.
      (ts.isReturnStatement(st) && !inLoop) ||
      (ts.isIfStatement(st) && st.elseStatement === undefined);
    // `;`, not nothing: the statement may be a loop's or an `if`'s whole body.
    if (removable && !wholeGuardBody(st)) replaceNode('statement-removal', st, ';');
  };

  const loopBound = (loop: TsNamespace.ForStatement, condition: TsNode): void => {
    const c = withoutParens(ts, condition);
    if (!ts.isBinaryExpression(c)) return;
    const op = c.operatorToken.getText(sf);
    const stricter = LOOP_OPERATOR.get(op);
    const mirrored = MIRRORED.get(op);
    if (stricter === undefined || mirrored === undefined) return;
    const counters = loopCounters(ts, loop);
    const counterOnRight = !(ts.isIdentifier(c.left) && counters.has(c.left.text)) && ts.isIdentifier(c.right) && counters.has(c.right.text);
    const bound = counterOnRight ? c.left : c.right;
    const asWritten = counterOnRight ? mirrored : op; // as if the counter were on the left
    add('loop-bound', c.operatorToken.getStart(sf), c.operatorToken.getEnd(), stricter);
    // `i < n` runs once less as `i < n - 1`, `i <= n` once more as `i <= n + 1`.
    const shift = asWritten === '<' || asWritten === '>=' ? '- 1' : '+ 1';
    const operand = isAdditiveOrTighter(ts, bound) ? textOf(bound) : `(${textOf(bound)})`;
    replaceNode('loop-bound', bound, `${operand} ${shift}`);
  };

  const visit = (n: TsNode, depth: number, inLoop: boolean): void => {
    if (depth > MAX_DEPTH || skipped(n)) return;
    if (ts.isBinaryExpression(n)) binary(n);
    else if (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) unary(n);
    else if (ts.isNumericLiteral(n)) constant(n);
    else if (ts.isCallExpression(n) || ts.isNewExpression(n)) call(n);
    else if (ts.isConditionalExpression(n)) conditionFlip(n.condition);
    if (ts.isIfStatement(n)) conditionFlip(n.expression);
    if (ts.isStatement(n)) statementRemoval(n, inLoop);
    if (ts.isForStatement(n)) {
      if (n.condition !== undefined) loopBound(n, n.condition);
      visit(n.statement, depth + 1, true);
      return;
    }
    if (ts.isForInStatement(n) || ts.isForOfStatement(n)) {
      visit(n.statement, depth + 1, true);
      return;
    }
    const inner = ts.isFunctionLike(n) || ts.isClassLike(n) ? false : inLoop || ts.isWhileStatement(n) || ts.isDoStatement(n);
    ts.forEachChild(n, (child) => {
      visit(child, depth + 1, inner);
    });
  };
  ts.forEachChild(sf, (child) => {
    visit(child, 1, false);
  });
  return edits;
}

function withoutParens(ts: Ts, n: TsNode): TsNode {
  for (let i = 0; i < MAX_DEPTH && ts.isParenthesizedExpression(n); i++) n = n.expression;
  return n;
}

/** The names a `for` loop counts with: declared or assigned in its initializer, stepped in its incrementor. */
function loopCounters(ts: Ts, loop: TsNamespace.ForStatement): Set<string> {
  const names = new Set<string>();
  const init = loop.initializer;
  if (init !== undefined && ts.isVariableDeclarationList(init)) {
    for (const d of init.declarations) if (ts.isIdentifier(d.name)) names.add(d.name.text);
  }
  const pending: TsNode[] = [];
  if (init !== undefined) pending.push(init);
  if (loop.incrementor !== undefined) pending.push(loop.incrementor);
  for (let n = pending.pop(), steps = 0; n !== undefined && steps < MAX_DEPTH; n = pending.pop(), steps++) {
    if (ts.isBinaryExpression(n)) {
      if (n.operatorToken.kind === ts.SyntaxKind.CommaToken) pending.push(n.left, n.right);
      else if (ts.isIdentifier(n.left) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
        names.add(n.left.text);
      }
    } else if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && ts.isIdentifier(n.operand)) {
      names.add(n.operand.text);
    } else if (ts.isParenthesizedExpression(n)) pending.push(n.expression);
  }
  return names;
}

/** Whether `n - 1` still subtracts from all of `n` (`a << b - 1` would not). */
function isAdditiveOrTighter(ts: Ts, n: TsNode): boolean {
  if (ts.isBinaryExpression(n)) return ['+', '-', '*', '/', '%', '**'].includes(n.operatorToken.getText());
  return !ts.isConditionalExpression(n) && !ts.isArrowFunction(n) && !ts.isYieldExpression(n) && !ts.isAsExpression(n) && !ts.isSatisfiesExpression(n);
}

/** Whether `arg` can stand where the call `around` stood without parentheses. */
function isTight(ts: Ts, arg: TsNode, around: TsNode): boolean {
  if (ts.isNumericLiteral(arg)) return !ts.isPropertyAccessExpression(around.parent); // `2.toFixed()` is no number
  return ts.isIdentifier(arg) || ts.isPropertyAccessExpression(arg) || ts.isElementAccessExpression(arg) || ts.isCallExpression(arg) || ts.isParenthesizedExpression(arg) || arg.kind === ts.SyntaxKind.ThisKeyword;
}

/**
 * `value` written the way `literal` is: hex, binary and octal integers stay in their base; others are rounded to
 * the literal's decimal places plus the one a halving adds, so that `0.9 - 1` is `-0.1`, not
 * `-0.09999999999999998` (`1e-8` has eight places, `1e-8 + 1` is `1.00000001`).
 */
function numberLike(value: number, literal: string): string {
  const plain = literal.replace(/_/g, '');
  const radix = /^0[xX]/.test(plain) ? 16 : /^0[bB]/.test(plain) ? 2 : /^0[oO]/.test(plain) ? 8 : 10;
  if (value === 0) return '0';
  if (radix !== 10) return Number.isInteger(value) && value > 0 ? plain.slice(0, 2) + value.toString(radix) : String(value);
  const parts = /^\d*(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(plain);
  const places = Math.max(0, (parts?.[1]?.length ?? 0) - Number(parts?.[2] ?? 0));
  if (Math.abs(value) >= 1e21 || places >= 100) return String(value);
  return String(Number(value.toFixed(places + 1)));
}
