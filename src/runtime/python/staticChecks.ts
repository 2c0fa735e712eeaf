import type { Check } from '../Check.ts';
import { policy as policyDefinition } from '../checks/policy.ts';
import type { StaticCheckOutcome } from '../staticCheck.ts';
import { COMPILE_CHECK_ID, type StaticCheckSpecFor } from '../staticCheckRegistry.ts';
import { analyzePython, type ParsedPythonFile, type PythonApi, type PythonFileFacts } from './analyzePython.ts';
import { policy } from './checks/policy.ts';
import { samePublicApi } from './checks/samePublicApi.ts';
import { usesSqrt } from './checks/usesSqrt.ts';

/** A configured check this runtime implements, as the task schema parses it. */
type PythonCheck = StaticCheckSpecFor<'python'>;
type CheckNamed = { [C in PythonCheck as C['check']]: C };

/** What a configured check reads: one editable file's facts, the original's API, the subject's name. */
export interface PythonCheckContext {
  readonly file: string;
  readonly facts: ParsedPythonFile;
  readonly original: PythonApi | undefined;
  readonly subject: { readonly file: string; readonly export: string };
}

/** One implementation per configurable check the registry gives this runtime; a missing one does not compile. */
const implementations: { readonly [K in keyof CheckNamed]: (ctx: PythonCheckContext, check: CheckNamed[K]) => StaticCheckOutcome } = {
  'same-public-api': (ctx, check) =>
    ctx.original === undefined ? { passed: false, message: `${ctx.file}: the task's original file does not parse` } : samePublicApi(ctx.file, ctx.original, ctx.facts.api, check),
  'uses-sqrt': (ctx, check) => usesSqrt(ctx.file, ctx.facts, ctx.subject.export, check),
};

function runCheck<K extends keyof CheckNamed>(name: K, check: CheckNamed[K], ctx: PythonCheckContext): StaticCheckOutcome {
  return implementations[name](ctx, check);
}

/** The original files' facts: the same text for every grade of a task, so read once per process. */
const originals = new Map<string, Promise<PythonFileFacts | undefined>>();
const originalKey = (file: string, text: string): string => `${file}\0${text}`;
function originalFacts(file: string, text: string): Promise<PythonFileFacts | undefined> {
  const key = originalKey(file, text);
  let hit = originals.get(key);
  if (hit === undefined) {
    hit = analyzePython(new Map([[file, text]])).then((m) => m.get(file));
    originals.set(key, hit);
    hit.catch(() => originals.delete(key));
  }
  return hit;
}

/** The input of the static checks: the editable files (as submitted, and as the task has them), the subject, the checks. */
export interface StaticChecksInput {
  readonly files: ReadonlyMap<string, { readonly submitted: string; readonly original: string }>;
  readonly subject: { readonly file: string; readonly export: string };
  readonly checks: readonly PythonCheck[];
}

/**
 * Starts reading the original files the checks compare against (once per process, see originalFacts), so that a
 * grade can do it while its own sandbox starts: the first grade of a process otherwise waits for that child too.
 */
export function readOriginalFacts(input: StaticChecksInput): Promise<unknown>[] {
  return input.checks.flatMap((check) => {
    const f = input.files.get(check.file ?? input.subject.file);
    return f === undefined ? [] : [originalFacts(check.file ?? input.subject.file, f.original)];
  });
}

/** The static half's results and whether the code can be loaded at all. */
export interface PythonStaticResult {
  readonly checks: Check[];
  readonly compiles: boolean;
  readonly policyPassed: boolean;
}

/**
 * Compile every editable file (syntax only: nothing runs), apply the permissions policy to all of them, then the
 * task's configured checks in order: one result each, under the check's id. `analyze` reads the submitted files
 * (the grade's sandbox before its load, or a child of its own); the task's original files, the same for every
 * grade, are read once per process by a child of their own, never by a submission's: a fact cached for later
 * grades must not come from a process that was fed one submission's text.
 */
export async function runStaticChecks(
  input: StaticChecksInput,
  analyze: (files: ReadonlyMap<string, string>) => Promise<ReadonlyMap<string, PythonFileFacts>> = analyzePython,
): Promise<PythonStaticResult> {
  const [all] = await Promise.all([analyze(new Map([...input.files].map(([p, f]) => [p, f.submitted] as const))), ...readOriginalFacts(input)]);
  const facts = new Map([...all].filter(([p]) => input.files.has(p)));
  const broken = [...facts].find(([, f]) => f.syntax !== null);
  if (broken !== undefined) {
    const [file, f] = broken;
    const where = f.syntax === null ? file : `${file}:${f.syntax.line}:${f.syntax.column}`;
    const message = `${where}: ${f.syntax?.message ?? 'does not compile'}`;
    const skipped = (id: string): Check => ({ id, passed: false, skipped: true, message: 'not run: the code does not compile' });
    return { checks: [{ id: COMPILE_CHECK_ID, passed: false, message }, skipped(policyDefinition.check), ...input.checks.map((c) => skipped(c.check))], compiles: false, policyPassed: false };
  }
  const parsed = new Map<string, ParsedPythonFile>();
  for (const [file, f] of facts) if (f.syntax === null) parsed.set(file, f);
  const checks: Check[] = [{ id: COMPILE_CHECK_ID, passed: true, message: `${[...parsed.keys()].join(', ')} compile${parsed.size === 1 ? 's' : ''}` }];
  const policyOutcome = policy(parsed);
  checks.push({ id: policyDefinition.check, ...policyOutcome });
  for (const check of input.checks) {
    const file = check.file ?? input.subject.file;
    const f = parsed.get(file);
    if (f === undefined) {
      checks.push({ id: check.check, passed: false, message: `${file} is not an editable file of this task` });
      continue;
    }
    const original = await originalFacts(file, input.files.get(file)?.original ?? '');
    checks.push({ id: check.check, ...runCheck(check.check, check, { file, facts: f, original: original?.syntax === null ? original.api : undefined, subject: input.subject }) });
  }
  return { checks, compiles: true, policyPassed: policyOutcome.passed };
}

/**
 * The names a top-level class of `source` has: its methods, the attributes its methods assign on `self` and its
 * class-level assignments; undefined when that cannot be known from the file alone (no such class, or one with
 * bases).
 */
export async function classMemberNames(source: string, file: string, className: string): Promise<ReadonlySet<string> | undefined> {
  const f = (await analyzePython(new Map([[file, source]]))).get(file);
  if (f === undefined || f.syntax !== null) return undefined;
  const cls = f.api.classes.find((c) => c.name === className);
  if (cls === undefined || cls.bases.length > 0) return undefined;
  return new Set([...cls.methods.map((m) => m.name), ...cls.attributes]);
}
