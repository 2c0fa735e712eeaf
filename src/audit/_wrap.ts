/**
 * The subject file of a task re-declared around its reference solution and its planted bug, for the audit's
 * generated programs (chimeras, hacks). The reference and the bug are put into namespaces (`__Ref`, `__Bug`), and
 * each export is declared again with its original signature text (so `same-public-api` and the policy see the
 * task's interface) around one call, `__dispatch(member, values, given, ref, bug, instance)`, which the program's
 * prelude defines: it decides what the call answers. Built from the task's own files, with no per-task code.
 *
 * Function exports call `__dispatch` with their parameters' values (defaults applied: both namespaces get the
 * same values the caller's call would give them). A class export becomes a class with the same public members
 * that holds one instance of the reference class and one of the bug's, built with the same arguments; each method
 * calls `__dispatch` with closures over them, and the public fields are copied in before and out after every call
 * (from the instance the program names `primary`), so that a field set from outside (`layer.training = false`)
 * reaches both.
 *
 * Injected functions (a random generator) reach both namespaces through a tape: while the reference runs it
 * records what they return, and the bug's call that follows gets the same draws, so that a program can compare the
 * two answers on the same randomness while the real stream is consumed exactly as the reference alone consumes
 * it (draws the bug wants beyond those come from a private generator).
 *
 * Limits: a class with an `extends` clause, and defaults that name module-level declarations of the original
 * file (evaluated outside the namespaces), are not supported.
 */
import { createRequire } from 'node:module';
import type { ts as TsNamespace } from 'ts-morph';
import { applyEdits, type TaskSpec } from '../task/loadTask.ts';

type Ts = typeof TsNamespace;
const require = createRequire(import.meta.url);
let tsModule: Ts | undefined;
/** ts-morph's copy of the compiler (as src/runtime/typescript/syntax.ts loads it), synchronously. */
function typescript(): Ts {
  tsModule ??= createRequire(require.resolve('ts-morph'))('@ts-morph/common/dist/typescript.js') as Ts;
  return tsModule;
}

/** One parameter of an exported function, method or constructor. */
export interface Param {
  /** The parameter's name; undefined for a destructuring pattern. */
  readonly name: string | undefined;
  readonly rest: boolean;
  /** Whether a caller may leave it out (a default or `?`). */
  readonly optional: boolean;
  /** The type annotation's text ('' when there is none). */
  readonly type: string;
}

/** An exported function, or a method of an exported class, as the wrapper re-declares it. */
export interface Callable {
  readonly name: string;
  /** The declaration's text up to its body: modifiers, name, type parameters, parameters, return type, verbatim. */
  readonly header: string;
  readonly params: readonly Param[];
  /** The return type's text ('' when there is none). */
  readonly returns: string;
}

/** An exported class. */
export interface ClassExport {
  readonly name: string;
  /** The class's text up to its first member's body: `export class Name {` (with any modifiers and type parameters). */
  readonly header: string;
  /** The constructor (parameters verbatim); undefined when the class declares none. */
  readonly ctor: Callable | undefined;
  readonly methods: readonly Callable[];
  /** Public instance fields, declared again without their initializer (`readonly dropoutRate: number;`). */
  readonly fields: readonly { readonly name: string; readonly declaration: string }[];
  /** Static methods and fields, and accessors: re-declared around the reference's (see wrapClass). */
  readonly statics: readonly { readonly name: string; readonly kind: 'method' | 'field'; readonly header: string }[];
  readonly accessors: readonly { readonly name: string; readonly kind: 'get' | 'set'; readonly header: string; readonly param: string }[];
  /** Type-only members (index signatures), copied verbatim. */
  readonly verbatim: readonly string[];
}

/** The subject file of a task: its text with the planted bug and with the reference fix, and its exports. */
export interface SubjectFile {
  readonly path: string;
  readonly bug: string;
  readonly reference: string;
  readonly functions: readonly Callable[];
  readonly classes: readonly ClassExport[];
  /** Other exported statements (interfaces, type aliases, constants), copied verbatim. */
  readonly others: readonly string[];
  /** Whether a task check (`uses-sqrt`) wants a square root computed in the subject class itself. */
  readonly sqrtInClass: boolean;
}

function hasModifier(ts: Ts, n: TsNamespace.Node, kind: TsNamespace.SyntaxKind): boolean {
  return ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === kind);
}

function paramsOf(ts: Ts, sf: TsNamespace.SourceFile, ps: readonly TsNamespace.ParameterDeclaration[]): Param[] {
  return ps.map((p) => ({
    name: ts.isIdentifier(p.name) ? p.name.text : undefined,
    rest: p.dotDotDotToken !== undefined,
    optional: p.initializer !== undefined || p.questionToken !== undefined || p.dotDotDotToken !== undefined,
    type: p.type === undefined ? '' : p.type.getText(sf),
  }));
}

/** A declaration's text from its first token to its body (the body excluded). */
function headerOf(sf: TsNamespace.SourceFile, n: TsNamespace.Node, body: TsNamespace.Node): string {
  return sf.text.slice(n.getStart(sf), body.getStart(sf)).trimEnd();
}

function callable(ts: Ts, sf: TsNamespace.SourceFile, n: TsNamespace.FunctionLikeDeclaration, name: string): Callable | undefined {
  if (n.body === undefined) return undefined;
  return { name, header: headerOf(sf, n, n.body), params: paramsOf(ts, sf, n.parameters), returns: n.type === undefined ? '' : n.type.getText(sf) };
}

function classExport(ts: Ts, sf: TsNamespace.SourceFile, c: TsNamespace.ClassDeclaration): ClassExport {
  const K = ts.SyntaxKind;
  const name = c.name!.text;
  if ((c.heritageClauses ?? []).length > 0) throw new Error(`audit: class ${name} has an extends or implements clause, which the wrapper does not support`);
  const open = sf.text.indexOf('{', (c.typeParameters?.end ?? c.name!.end));
  const header = sf.text.slice(c.getStart(sf), open + 1);
  let ctor: Callable | undefined;
  const methods: Callable[] = [];
  const fields: { name: string; declaration: string }[] = [];
  const statics: { name: string; kind: 'method' | 'field'; header: string }[] = [];
  const accessors: { name: string; kind: 'get' | 'set'; header: string; param: string }[] = [];
  const verbatim: string[] = [];
  for (const m of c.members) {
    const hidden = hasModifier(ts, m, K.PrivateKeyword) || hasModifier(ts, m, K.ProtectedKeyword) || (m.name !== undefined && ts.isPrivateIdentifier(m.name));
    if (ts.isConstructorDeclaration(m)) {
      // Overload signatures (no body) are part of the API: kept verbatim before the implementation.
      if (m.body === undefined) verbatim.push(m.getText(sf));
      else ctor = callable(ts, sf, m, 'constructor');
      continue;
    }
    if (hidden || ts.isClassStaticBlockDeclaration(m) || ts.isSemicolonClassElement(m)) continue;
    if (ts.isIndexSignatureDeclaration(m)) {
      verbatim.push(m.getText(sf));
      continue;
    }
    const mname = m.name === undefined ? undefined : m.name.getText(sf);
    if (mname === undefined) continue;
    const isStatic = hasModifier(ts, m, K.StaticKeyword);
    if (ts.isMethodDeclaration(m)) {
      if (m.body === undefined) {
        verbatim.push(m.getText(sf));
        continue;
      }
      const cl = callable(ts, sf, m, mname)!;
      if (isStatic) statics.push({ name: mname, kind: 'method', header: cl.header });
      else methods.push(cl);
    } else if (ts.isPropertyDeclaration(m)) {
      const end = m.initializer === undefined ? m.getEnd() : m.initializer.getFullStart();
      // `name = value` loses its initializer; `name: T = value` keeps `name: T`.
      let declaration = sf.text.slice(m.getStart(sf), end).trimEnd().replace(/=\s*$/, '').replace(/;$/, '').trimEnd();
      if (isStatic) statics.push({ name: mname, kind: 'field', header: declaration });
      else {
        declaration = `${declaration};`;
        fields.push({ name: mname, declaration });
      }
    } else if ((ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)) && m.body !== undefined) {
      if (isStatic) throw new Error(`audit: static accessor ${name}.${mname} is not supported`);
      const p = ts.isSetAccessorDeclaration(m) ? m.parameters[0] : undefined;
      accessors.push({ name: mname, kind: ts.isGetAccessorDeclaration(m) ? 'get' : 'set', header: headerOf(sf, m, m.body), param: p !== undefined && ts.isIdentifier(p.name) ? p.name.text : 'value' });
    }
  }
  // Parameter properties (`constructor(public x = 1)`) are fields too: the constructor's header declares them.
  const parameterFields = c.members.filter(ts.isConstructorDeclaration).flatMap((m) =>
    m.parameters.filter((p) => (hasModifier(ts, p, K.PublicKeyword) || hasModifier(ts, p, K.ReadonlyKeyword)) && !hasModifier(ts, p, K.PrivateKeyword) && !hasModifier(ts, p, K.ProtectedKeyword) && ts.isIdentifier(p.name)).map((p) => p.name.getText(sf)),
  );
  for (const f of parameterFields) fields.push({ name: f, declaration: '' });
  return { name, header, ctor, methods, fields, statics, accessors, verbatim };
}

/** Read the task's subject file: the bug's text, the reference's (the solution's edits applied), and its exports. */
export function subjectFile(spec: TaskSpec): SubjectFile {
  const ts = typescript();
  const path = spec.grader.subject.file;
  const bug = spec.files.find((f) => f.path === path)?.content;
  if (bug === undefined) throw new Error(`audit: ${spec.id}: the subject file ${path} is not a task file`);
  const reference = applyEdits(new Map(spec.files.map((f) => [f.path, f.content])), spec.solution.edits).get(path)!;
  // The reference's exports are the API (the bug has the same: the task's same-public-api check holds for both).
  const sf = ts.createSourceFile(path, bug, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const K = ts.SyntaxKind;
  const functions: Callable[] = [];
  const classes: ClassExport[] = [];
  const others: string[] = [];
  for (const st of sf.statements) {
    if (!hasModifier(ts, st, K.ExportKeyword)) continue;
    if (hasModifier(ts, st, K.DefaultKeyword)) throw new Error(`audit: ${spec.id}: default exports are not supported`);
    if (ts.isFunctionDeclaration(st) && st.name !== undefined) {
      if (st.body === undefined) others.push(st.getText(sf));
      else functions.push(callable(ts, sf, st, st.name.text)!);
    } else if (ts.isClassDeclaration(st) && st.name !== undefined) classes.push(classExport(ts, sf, st));
    else others.push(st.getText(sf));
  }
  const sqrtInClass = classes.length > 0 && spec.grader.ast.some((c) => c.check === 'uses-sqrt');
  return { path, bug, reference, functions, classes, others, sqrtInClass };
}

/** The values a declaration's parameters hold, as an array expression (`[x, rows, ...rest]`), or the call's `arguments`. */
function valuesOf(params: readonly Param[]): string {
  if (params.some((p) => p.name === undefined)) return '[...arguments]';
  return `[${params.map((p) => (p.rest ? `...${p.name}` : p.name)).join(', ')}]`;
}

/** What every wrapped file holds: the tape, call counters, copies, and the field copies of class wrappers. */
const RUNTIME = `// Calls so far: of every export or method, per export or method name; instances built so far.
let __calls = 0;
const __n: Record<string, number> = {};
let __made = 0;
/** Per instance of a wrapped class: its place among those built, how many arguments its constructor was given (see __given), their values, calls per method. */
interface __Inst { ordinal: number; given: number; ctor: any[]; n: Record<string, number> }
// The tape: 1 records what injected functions return, 2 replays it, 0 passes through.
const __tape = { mode: 0, log: [] as any[], i: 0 };
let __spareState = 0x2545f491;
function __spare(): number {
  __spareState = (__spareState + 0x6d2b79f5) >>> 0;
  let t = __spareState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function __taped(f: any): any {
  if (typeof f !== 'function') return f;
  return (...x: any[]): any => {
    if (__tape.mode === 2) return __tape.i < __tape.log.length ? __tape.log[__tape.i++] : __spare();
    const v = f(...x);
    if (__tape.mode === 1) __tape.log.push(v);
    return v;
  };
}
function __record(): void { __tape.mode = 1; __tape.log = []; __tape.i = 0; }
function __replay(): void { __tape.mode = 2; __tape.i = 0; }
function __untaped(): void { __tape.mode = 0; __tape.log = []; __tape.i = 0; }
/** Arguments a call gave, not counting undefined ones (which take the default as well). */
function __given(args: ArrayLike<unknown>): number {
  let n = 0;
  for (let i = 0; i < args.length; i++) if (args[i] !== undefined) n++;
  return n;
}
const __arrays = (a: readonly unknown[]): Float64Array[] => a.filter((x): x is Float64Array => x instanceof Float64Array);
/** A call's size: the length of its first Float64Array argument, else its first number argument. */
const __size = (a: readonly unknown[]): number => {
  const x = __arrays(a)[0];
  if (x !== undefined) return x.length;
  const n = a.find((v) => typeof v === 'number');
  return typeof n === 'number' ? n : 0;
};
/** The arguments with every array copied (for a second call that must not see the first one's writes). */
const __copies = (a: readonly any[]): any[] => a.map((v) => (ArrayBuffer.isView(v) || Array.isArray(v) ? (v as any).slice() : v));
function __fieldsIn(self: any, i: { ref: any; bug: any }, names: readonly string[]): void {
  for (const k of names) {
    i.ref[k] = self[k];
    if (i.bug !== null) i.bug[k] = self[k];
  }
}
function __fieldsOut(self: any, from: any, names: readonly string[]): void {
  for (const k of names) self[k] = from[k];
}`;

function wrapFunction(f: Callable): string {
  const key = JSON.stringify(f.name);
  return `${f.header} {
  __calls++;
  __n[${key}] = (__n[${key}] ?? 0) + 1;
  return __dispatch(${key}, ${valuesOf(f.params)}.map(__taped), __given(arguments), (x: any[]) => (__Ref as any).${f.name}(...x), (x: any[]) => (__Bug as any).${f.name}(...x), undefined);
}`;
}

function wrapClass(c: ClassExport, sqrtInClass: boolean): string {
  const fields = `__FIELDS_${c.name}`;
  const lines: string[] = [`const ${fields}: readonly string[] = ${JSON.stringify(c.fields.map((f) => f.name))};`, c.header];
  for (const v of c.verbatim) lines.push(`  ${v}`);
  for (const f of c.fields) if (f.declaration !== '') lines.push(`  ${f.declaration}`);
  lines.push('  private readonly __i: { ref: any; bug: any; s: __Inst };');
  const ctorHeader = c.ctor?.header ?? 'constructor()';
  const ctorValues = c.ctor === undefined ? '[...arguments]' : valuesOf(c.ctor.params);
  lines.push(`  ${ctorHeader} {
    const v: any[] = ${ctorValues}.map(__taped);
    let ref: any;
    let bug: any = null;
    __record();
    try {
      ref = new (__Ref as any).${c.name}(...v);
      __replay();
      try {
        bug = new (__Bug as any).${c.name}(...v);
      } catch {
        bug = null;
      }
    } finally {
      __untaped();
    }
    this.__i = { ref, bug, s: { ordinal: ++__made, given: __given(arguments), ctor: v, n: {} } };
    __fieldsOut(this, __primary === 'bug' && bug !== null ? bug : ref, ${fields});
  }`);
  for (const m of c.methods) {
    lines.push(`  ${m.header} {
    return this.__call(${JSON.stringify(m.name)}, __given(arguments), ${valuesOf(m.params)});
  }`);
  }
  for (const a of c.accessors) {
    lines.push(
      a.kind === 'get'
        ? `  ${a.header} {
    const i = this.__i;
    __fieldsIn(this, i, ${fields});
    return (__primary === 'bug' && i.bug !== null ? i.bug : i.ref).${a.name};
  }`
        : `  ${a.header} {
    const i = this.__i;
    i.ref.${a.name} = ${a.param};
    if (i.bug !== null) i.bug.${a.name} = ${a.param};
    __fieldsOut(this, __primary === 'bug' && i.bug !== null ? i.bug : i.ref, ${fields});
  }`,
    );
  }
  const owner = `(__primary === 'bug' ? (__Bug as any) : (__Ref as any)).${c.name}`;
  for (const s of c.statics) {
    lines.push(s.kind === 'method' ? `  ${s.header} {\n    return ${owner}.${s.name}(...arguments);\n  }` : `  ${s.header} = ${owner}.${s.name};`);
  }
  lines.push(`  private __call(m: string, given: number, values: any[]): any {
    const i = this.__i;
    __fieldsIn(this, i, ${fields});
    __calls++;
    __n[m] = (__n[m] ?? 0) + 1;
    i.s.n[m] = (i.s.n[m] ?? 0) + 1;
    try {
      return __dispatch(m, values.map(__taped), given, (x: any[]) => i.ref[m](...x), (x: any[]) => (i.bug ?? i.ref)[m](...x), i.s);
    } finally {
      __fieldsOut(this, __primary === 'bug' && i.bug !== null ? i.bug : i.ref, ${fields});
    }
  }`);
  if (sqrtInClass) {
    // The task's uses-sqrt check reads the subject class, not the file: the reference's square root lives in
    // __Ref, so the class keeps one of its own, and it is the properties that must tell this program from the fix.
    lines.push('  private static __root(q: number): number {\n    return Math.sqrt(q);\n  }');
  }
  lines.push('}');
  return lines.join('\n');
}

/** How a generated program answers: its prelude (which defines `__dispatch`) and the instance that owns a class's public fields. */
export interface WrapProgram {
  /** Shown in the file's first line. */
  readonly title: string;
  /**
   * Top-level code after the namespaces and the wrapper's runtime. It must define
   * `function __dispatch(m: string, a: any[], given: number, ref: (x: any[]) => any, bug: (x: any[]) => any, s: __Inst | undefined): any`:
   * `m` the export or method called, `a` its parameters' values, `given` how many arguments the caller gave
   * (undefined ones not counted: they take the default too),
   * `ref` and `bug` the same call on the reference and the bug, `s` the instance's record (classes only).
   */
  readonly prelude: string;
  /** Whose public fields a class instance shows: the reference's (default) or the bug's. */
  readonly primary?: 'ref' | 'bug';
  /** Code placed before everything else (e.g. what runs first at import). */
  readonly head?: string;
}

/** The subject file of a generated program: the namespaces, the runtime, the program's prelude, the wrapped exports. */
export function wrapSubject(sub: SubjectFile, program: WrapProgram): string {
  return [
    `// rltask audit program: ${program.title}`,
    program.head ?? '',
    `namespace __Ref {\n${sub.reference}\n}`,
    `namespace __Bug {\n${sub.bug}\n}`,
    RUNTIME,
    `const __primary: 'ref' | 'bug' = ${JSON.stringify(program.primary ?? 'ref')};`,
    program.prelude,
    ...sub.others,
    ...sub.functions.map(wrapFunction),
    ...sub.classes.map((c) => wrapClass(c, sub.sqrtInClass)),
    '',
  ].join('\n');
}
