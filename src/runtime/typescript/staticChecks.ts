import type { Check } from '../Check.ts';
import { policy as policyDefinition } from '../checks/policy.ts';
import type { StaticCheckOutcome } from '../staticCheck.ts';
import type { StaticCheckSpecFor } from '../staticCheckRegistry.ts';
import { findClass, loadTypeScript, type SourceFile, type Ts } from './syntax.ts';
import { policy } from './checks/policy.ts';
import { samePublicApi } from './checks/samePublicApi.ts';
import { usesSqrt } from './checks/usesSqrt.ts';
import { type ParsedFiles, parseFiles } from './parseFiles.ts';

/** A configured check this runtime implements, as the task schema parses it. */
type TypeScriptCheck = StaticCheckSpecFor<'typescript'>;
type CheckNamed = { [C in TypeScriptCheck as C['check']]: C };

/** What a configured check reads: one editable file, parsed, and its text as the task gives it. */
export interface FileCheckContext {
  readonly ts: Ts;
  /** The workspace-relative path of the file checked (the entry's `file`, or the subject's file). */
  readonly file: string;
  /** The file as submitted. */
  readonly sf: SourceFile;
  /** The file's text as the task gives it. */
  readonly original: string;
  readonly subject: { readonly file: string; readonly export: string };
}

/** One implementation per configurable check the registry gives this runtime; a missing one does not compile. */
const implementations: { readonly [K in keyof CheckNamed]: (ctx: FileCheckContext, check: CheckNamed[K]) => StaticCheckOutcome } = {
  'same-public-api': samePublicApi,
  'uses-sqrt': usesSqrt,
};

// Generic in the check's name, so that the compiler pairs each implementation with its own entry type.
function runCheck<K extends keyof CheckNamed>(name: K, check: CheckNamed[K], ctx: FileCheckContext): StaticCheckOutcome {
  return implementations[name](ctx, check);
}

/** A submission's editable files and the task's configured checks. */
export interface StaticChecksInput {
  /** Submitted text and original text of every editable file, by path. */
  readonly files: ReadonlyMap<string, { readonly submitted: string; readonly original: string }>;
  readonly subject: { readonly file: string; readonly export: string };
  /** The task's configured checks (`grader.ast`), run in this order. */
  readonly checks: readonly TypeScriptCheck[];
  /** The submitted files as `parseFiles` returned them, when the caller has parsed them already. */
  readonly parsed?: ParsedFiles;
}

/**
 * The permissions policy (always, over every editable file), then the task's configured checks in order: one
 * result each, under the check's id.
 */
export async function runStaticChecks(input: StaticChecksInput): Promise<Check[]> {
  const results: Check[] = [];
  const ts = await loadTypeScript();
  const sources = input.parsed ?? (await parseFiles(new Map([...input.files].map(([file, { submitted }]) => [file, submitted]))));
  // Code nested beyond the limits is refused by every check: nothing of it was walked.
  if (!sources.ok) return [{ id: policyDefinition.check, passed: false, message: sources.message }, ...input.checks.map((c) => ({ id: c.check, passed: false, message: sources.message }))];
  const parsed = new Map<string, { sf: SourceFile; original: string }>();
  for (const [file, { original }] of input.files) {
    const sf = sources.files.get(file);
    if (sf !== undefined) parsed.set(file, { sf, original });
  }
  results.push({ id: policyDefinition.check, ...policy(ts, new Map([...parsed].map(([file, { sf }]) => [file, sf]))) });
  for (const check of input.checks) {
    const file = check.file ?? input.subject.file;
    const p = parsed.get(file);
    if (p === undefined) {
      results.push({ id: check.check, passed: false, message: `${file} is not an editable file of this task` });
      continue;
    }
    results.push({ id: check.check, ...runCheck(check.check, check, { ts, file, sf: p.sf, original: p.original, subject: input.subject }) });
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
