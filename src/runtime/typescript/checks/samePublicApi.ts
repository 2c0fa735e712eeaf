import type { ts as TsNamespace } from 'ts-morph';
import type { StaticCheckOutcome } from '../../staticCheck.ts';
import type { StaticCheckSpec } from '../../staticCheckRegistry.ts';
import { parse, type SourceFile, type Ts, type TsNode, unwrap } from '../syntax.ts';
import type { FileCheckContext } from '../staticChecks.ts';

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

/** same-public-api (src/runtime/checks/samePublicApi.ts): the file's exported API against the task's original. */
export function samePublicApi(ctx: FileCheckContext, _check: Extract<StaticCheckSpec, { check: 'same-public-api' }>): StaticCheckOutcome {
  const problems = apiProblems(originalApi(ctx.ts, ctx.original, ctx.file), publicApi(ctx.ts, ctx.sf));
  return problems.length === 0 ? { passed: true, message: `${ctx.file}: exported API unchanged` } : { passed: false, message: `${ctx.file}: ${problems.join('; ')}` };
}
