import type { ts as TsNamespace } from 'ts-morph';
import type { StaticCheckOutcome } from '../../staticCheck.ts';
import type { StaticCheckSpec } from '../../staticCheckRegistry.ts';
import { findClass, forEachDescendant, MAX_FOLD_DEPTH, type SourceFile, type Ts, type TsNode, unwrap } from '../syntax.ts';
import type { FileCheckContext } from '../staticChecks.ts';

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
function computesSqrt(ts: Ts, sf: SourceFile, scope: TsNode): boolean {
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

/** The member `member` of a class (the constructor by that name). */
function findMember(ts: Ts, sf: SourceFile, cls: TsNamespace.ClassDeclaration, member: string): TsNode | undefined {
  if (member === 'constructor') return cls.members.find(ts.isConstructorDeclaration);
  return cls.members.find((m) => m.name !== undefined && m.name.getText(sf) === member);
}

/** uses-sqrt (src/runtime/checks/usesSqrt.ts): in the subject class (or one member of it), else the whole file. */
export function usesSqrt(ctx: FileCheckContext, check: Extract<StaticCheckSpec, { check: 'uses-sqrt' }>): StaticCheckOutcome {
  const { ts, sf, file, subject } = ctx;
  const cls = findClass(ts, sf, subject.export);
  let scope: TsNode = cls ?? sf;
  if (check.in !== undefined && cls !== undefined) scope = findMember(ts, sf, cls, check.in) ?? cls;
  const where = check.in === undefined ? (cls ? subject.export : file) : `${subject.export}.${check.in}`;
  return computesSqrt(ts, sf, scope)
    ? { passed: true, message: `${where} computes a square root in code` }
    : {
        passed: false,
        message: `${where} computes no square root in code (Math.sqrt(…), Math.pow(…, ±0.5), … ** ±0.5 or Math.exp(±0.5 * Math.log(…)), where 0.5 may be any constant expression or const name folding to it); a comment or string does not count`,
      };
}
