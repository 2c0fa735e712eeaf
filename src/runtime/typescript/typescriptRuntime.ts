import { isolationInForce } from '../../sandbox/isolationInForce.ts';
import { Sandbox } from '../../sandbox/Sandbox.ts';
import type { Check } from '../Check.ts';
import { childOptionsOf, startSubject } from '../startSubject.ts';
import type { Compiled, Prepared, PrepareInput, Runtime } from '../Runtime.ts';
import { alwaysOnCheckIds, COMPILE_CHECK_ID } from '../staticCheckRegistry.ts';
import { parseFiles } from './parseFiles.ts';
import { classMemberNames, runStaticChecks } from './staticChecks.ts';
import { bundleFiles, transpile } from './transpile.ts';

function skipped(ids: readonly string[], why: string): Check[] {
  return ids.map((id) => ({ id, passed: false, skipped: true, message: `not run: ${why}` }));
}

async function prepare(input: PrepareInput): Promise<Prepared> {
  const editable = new Map([...input.files].map(([p, f]) => [p, f.submitted]));
  const subjectFile = input.subject.file;
  const checkIds = input.checks.map((c) => c.check);
  // Nesting is bounded before any recursive reader sees the code (the compiler's parser, esbuild's printer).
  const parsed = await parseFiles(editable);
  if (!parsed.ok) {
    const refusal = 'the code nests too deeply';
    const unread = [...alwaysOnCheckIds.filter((id) => id !== COMPILE_CHECK_ID), ...checkIds];
    return { ok: false, checks: [{ id: COMPILE_CHECK_ID, passed: false, message: parsed.message }, ...skipped(unread, refusal)], refusal };
  }
  const compiled = await transpile(editable.get(subjectFile) ?? '', subjectFile);
  const checks: Check[] = [compiled.ok ? { id: COMPILE_CHECK_ID, passed: true, message: `${subjectFile} transpiles` } : { id: COMPILE_CHECK_ID, passed: false, message: compiled.message }];
  const ast = await runStaticChecks({ files: input.files, subject: input.subject, checks: input.checks, parsed });
  const off = input.policyOff === true;
  // The policy's result is the first of the static checks.
  checks.push(...(off ? [...skipped([ast[0]!.id], 'the policy is off (test-only)'), ...ast.slice(1)] : ast));
  if (!compiled.ok) return { ok: false, checks, refusal: 'the code does not compile' };
  if (!off && !ast[0]!.passed) return { ok: false, checks, refusal: 'the permissions policy refused the code' };
  return { ok: true, checks, program: { code: compiled.code, file: subjectFile } };
}


async function compile(source: string, file: string): Promise<Compiled> {
  const compiled = await transpile(source, file);
  return compiled.ok ? { ok: true, program: { code: compiled.code, file } } : compiled;
}

async function bundleTests(entry: string, files: ReadonlyMap<string, string>): Promise<Compiled> {
  const bundle = await bundleFiles(entry, files);
  return bundle.ok ? { ok: true, program: { code: bundle.code, file: entry } } : bundle;
}

/**
 * TypeScript: esbuild compiles the submission (types stripped, never checked), the compiler's syntax tree
 * carries the static checks, and the code runs in a Node child under every isolation layer the machine has.
 */
export const typescriptRuntime: Runtime = {
  name: 'typescript',
  prepare,
  compile,
  bundleTests,
  start: (program, options) => startSubject(program, options, (o) => Sandbox.start(o)),
  childOptions: childOptionsOf,
  startChild: (options) => Sandbox.start(options),
  classMembers: classMemberNames,
  // The static policy, Node's permission model and the killed process group always; the rest as the machine allows.
  isolationLayers: async () => ['static-policy', 'node-permissions', 'process-group', ...(await isolationInForce())],
};
