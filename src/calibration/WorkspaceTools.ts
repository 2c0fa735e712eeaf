import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { TaskSpec } from '../task/loadTask.ts';
import { runVisibleTests } from '../workspace/runVisibleTests.ts';
import { confine } from './_confine.ts';

/** A tool as the Messages API declares it. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly input_schema: { readonly type: 'object'; readonly properties: Record<string, unknown>; readonly required: readonly string[]; readonly additionalProperties: false };
}

/** What a tool call gave back; `isError` results go to the model as `is_error` tool results. */
export interface ToolOutcome {
  readonly content: string;
  readonly isError: boolean;
}

/** Tool output sent back to the model is capped (head and tail kept) so one noisy run cannot flood the context. */
export const TOOL_OUTPUT_CAP = 16_384;
const LIST_CAP = 1000;

/**
 * Each tool's input schema, by name: what `run` validates. The environment server builds its action schema from
 * these, so that a step and a calibration tool call accept the same inputs.
 */
export const toolInputs = {
  list_files: z.strictObject({}),
  read_file: z.strictObject({ path: z.string().describe('File path relative to the workspace root, e.g. "dropout.ts"') }),
  write_file: z.strictObject({
    path: z.string().describe('File path relative to the workspace root; parent directories are created'),
    content: z.string().describe('The complete new content of the file'),
  }),
  str_replace: z.strictObject({
    path: z.string().describe('File path relative to the workspace root'),
    old: z.string().min(1).describe('Exact text to replace; it must occur exactly once in the file'),
    new: z.string().describe('Replacement text'),
  }),
  run_tests: z.strictObject({}),
} as const;

/** The name of a workspace tool. */
export type ToolName = keyof typeof toolInputs;
const toolNames: readonly ToolName[] = ['list_files', 'read_file', 'write_file', 'str_replace', 'run_tests'];

const descriptions: Record<ToolName, string> = {
  list_files: 'List every file in the workspace with its size in bytes.',
  read_file: "Return a file's exact content.",
  write_file: 'Create or overwrite a file with the given content.',
  str_replace: 'Replace one exact occurrence of `old` with `new` in a file (fails when `old` occurs zero times or more than once).',
  run_tests: "Run the project's visible tests in a sandbox and return their output and whether they passed.",
};

function schemaOf(name: ToolName): ToolDefinition['input_schema'] {
  const json = z.toJSONSchema(toolInputs[name]);
  const properties = json.properties ?? {};
  return { type: 'object', properties, required: json.required ?? [], additionalProperties: false };
}

/** The tools offered for a task's workspaces (`run_tests` only when the task has visible tests). */
export function toolDefinitions(spec: TaskSpec): ToolDefinition[] {
  return toolNames.filter((n) => n !== 'run_tests' || spec.tests !== undefined).map((name) => ({ name, description: descriptions[name], input_schema: schemaOf(name) }));
}

/** Keep the head and the tail of long output: failures usually show at the end, context at the start. */
export function capOutput(text: string, cap = TOOL_OUTPUT_CAP): string {
  if (text.length <= cap) return text;
  const half = Math.floor(cap / 2);
  return `${text.slice(0, half)}\n… [${text.length - 2 * half} characters omitted] …\n${text.slice(text.length - half)}`;
}

/**
 * The tools an agent gets for one workspace: list_files, read_file, write_file, str_replace and run_tests.
 * Every path is confined to the workspace (see `confine`): absolute paths, `..` and symlinks give an error
 * result, never a read or a write outside. Tool failures are results for the model, not exceptions.
 *
 * @example
 * const tools = await WorkspaceTools.open(spec, '/tmp/ws');
 * const r = await tools.run('read_file', { path: 'dropout.ts' });
 */
export class WorkspaceTools {
  readonly definitions: readonly ToolDefinition[];
  readonly #spec: TaskSpec;
  readonly #root: string;
  readonly #seed: number;
  readonly #fileCap: number;

  private constructor(spec: TaskSpec, root: string, seed: number) {
    this.#spec = spec;
    this.#root = root;
    this.#seed = seed;
    this.#fileCap = Math.max(spec.limits.fileBytes, ...spec.files.map((f) => Buffer.byteLength(f.content)));
    this.definitions = toolDefinitions(spec);
  }

  /** Tools for the workspace at `dir` (which must exist). `seed` is the visible tests' seed. */
  static async open(spec: TaskSpec, dir: string, seed = spec.grader.seed): Promise<WorkspaceTools> {
    return new WorkspaceTools(spec, await realpath(dir), seed);
  }

  /** Run one tool call. Never throws for bad input or a refused path; those come back with `isError`. */
  async run(name: string, input: unknown): Promise<ToolOutcome> {
    if (!this.definitions.some((d) => d.name === name)) {
      return fail(`unknown tool "${name}"; available: ${this.definitions.map((d) => d.name).join(', ')}`);
    }
    const given = input ?? {};
    try {
      switch (name) {
        case 'list_files': {
          const i = toolInputs.list_files.safeParse(given);
          return i.success ? await this.#list() : invalid(name, i.error);
        }
        case 'read_file': {
          const i = toolInputs.read_file.safeParse(given);
          return i.success ? await this.#read(i.data.path) : invalid(name, i.error);
        }
        case 'write_file': {
          const i = toolInputs.write_file.safeParse(given);
          return i.success ? await this.#write(i.data.path, i.data.content) : invalid(name, i.error);
        }
        case 'str_replace': {
          const i = toolInputs.str_replace.safeParse(given);
          return i.success ? await this.#replace(i.data.path, i.data.old, i.data.new) : invalid(name, i.error);
        }
        case 'run_tests': {
          const i = toolInputs.run_tests.safeParse(given);
          return i.success ? await this.#test() : invalid(name, i.error);
        }
        default:
          return fail(`unknown tool "${name}"`);
      }
    } catch (e) {
      return fail(`${name} failed: ${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e))}`);
    }
  }

  async #list(): Promise<ToolOutcome> {
    const lines: string[] = [];
    const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
      const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (lines.length >= LIST_CAP) return;
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isSymbolicLink()) lines.push(`${r}  (symbolic link, not followed)`);
        else if (e.isDirectory()) {
          if (depth < 8) await walk(path.join(dir, e.name), r, depth + 1);
          else lines.push(`${r}/  (not listed: too deep)`);
        } else if (e.isFile()) lines.push(`${r}  (${(await lstat(path.join(dir, e.name))).size} bytes)`);
      }
    };
    await walk(this.#root, '', 0);
    if (lines.length >= LIST_CAP) lines.push(`… (listing stopped at ${LIST_CAP} entries)`);
    return ok(lines.length === 0 ? '(the workspace is empty)' : lines.join('\n'));
  }

  async #readText(p: string): Promise<{ ok: true; rel: string; abs: string; text: string } | { ok: false; outcome: ToolOutcome }> {
    const where = await confine(this.#root, p);
    if (!where.ok) return { ok: false, outcome: fail(where.why) };
    if (where.exists === 'missing') return { ok: false, outcome: fail(`${where.rel} does not exist`) };
    if (where.exists !== 'file') return { ok: false, outcome: fail(`${where.rel} is not a regular file`) };
    const h = await open(where.abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = await h.stat();
      if (!st.isFile()) return { ok: false, outcome: fail(`${where.rel} is not a regular file`) };
      if (st.size > this.#fileCap) return { ok: false, outcome: fail(`${where.rel} is ${st.size} bytes, more than the ${this.#fileCap}-byte limit`) };
      const bytes = await h.readFile();
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        return { ok: false, outcome: fail(`${where.rel} is not valid UTF-8 text`) };
      }
      return { ok: true, rel: where.rel, abs: where.abs, text };
    } finally {
      await h.close();
    }
  }

  async #read(p: string): Promise<ToolOutcome> {
    const r = await this.#readText(p);
    return r.ok ? ok(r.text) : r.outcome;
  }

  async #write(p: string, content: string): Promise<ToolOutcome> {
    const bytes = Buffer.byteLength(content);
    if (bytes > this.#fileCap) return fail(`content is ${bytes} bytes, more than the ${this.#fileCap}-byte limit`);
    const where = await confine(this.#root, p);
    if (!where.ok) return fail(where.why);
    if (where.exists === 'dir' || where.exists === 'other') return fail(`${where.rel} exists and is not a regular file`);
    const parent = path.dirname(where.abs);
    await mkdir(parent, { recursive: true });
    // Re-check after creating directories: nothing on the way may be a link, and the parent must be inside the root.
    const again = await confine(this.#root, where.rel);
    if (!again.ok) return fail(again.why);
    const realParent = await realpath(parent);
    if (realParent !== this.#root && !realParent.startsWith(this.#root + path.sep)) return fail(`${where.rel} would be written outside the workspace`);
    const h = await open(where.abs, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
    try {
      await h.writeFile(content, 'utf8');
    } finally {
      await h.close();
    }
    return ok(`wrote ${bytes} bytes to ${where.rel}`);
  }

  async #replace(p: string, old: string, replacement: string): Promise<ToolOutcome> {
    const r = await this.#readText(p);
    if (!r.ok) return r.outcome;
    const first = r.text.indexOf(old);
    if (first < 0) return fail(`the text to replace does not occur in ${r.rel}`);
    if (r.text.indexOf(old, first + 1) >= 0) return fail(`the text to replace occurs more than once in ${r.rel}; include more context to make it unique`);
    const outcome = await this.#write(r.rel, r.text.slice(0, first) + replacement + r.text.slice(first + old.length));
    return outcome.isError ? outcome : ok(`replaced 1 occurrence in ${r.rel}`);
  }

  async #test(): Promise<ToolOutcome> {
    const r = await runVisibleTests(this.#spec, this.#root, this.#seed);
    const output = r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`;
    return ok(capOutput(`${output}visible tests ${r.passed ? 'passed' : 'FAILED'}`));
  }
}

function ok(content: string): ToolOutcome {
  return { content, isError: false };
}

function fail(content: string): ToolOutcome {
  return { content, isError: true };
}

function invalid(tool: string, error: z.ZodError): ToolOutcome {
  return fail(`invalid input for ${tool}: ${error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
}
