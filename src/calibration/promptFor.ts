import { createHash } from 'node:crypto';
import { RltaskError } from '../errors.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import type { ToolDefinition } from './WorkspaceTools.ts';

/** The name reports use for the task's top-level prompt. */
export const DEFAULT_VARIANT = 'default';

/** What every calibration agent is told before the task's prompt. */
export const SYSTEM_PROMPT = [
  'You are a software engineer working in a small project directory, the workspace.',
  'You act only through the tools: list_files, read_file, write_file, str_replace and run_tests. Paths are relative to the workspace root.',
  'Work on the task until it is done. When you are finished, reply with a short summary and no tool calls.',
].join('\n');

/**
 * The task prompt of a variant: the top-level `prompt` for `default` (or no variant), else `variants[name]`.
 * An unknown name is E_USAGE naming the variants there are.
 */
export function promptFor(spec: TaskSpec, variant: string | undefined): { variant: string; prompt: string } {
  if (variant === undefined || variant === DEFAULT_VARIANT) return { variant: DEFAULT_VARIANT, prompt: spec.prompt };
  const v = Object.hasOwn(spec.variants, variant) ? spec.variants[variant] : undefined;
  if (v === undefined) {
    const names = [DEFAULT_VARIANT, ...Object.keys(spec.variants)];
    throw new RltaskError('E_USAGE', `--variant: ${spec.sourcePath} has no variant "${variant}"; available: ${names.join(', ')}`);
  }
  return { variant, prompt: v.prompt };
}

/** Fingerprint of everything the model is shown, so a resumed run cannot mix attempts made under other prompts. */
export function promptSha256(system: string, prompt: string, tools: readonly ToolDefinition[]): string {
  return createHash('sha256').update(JSON.stringify([system, prompt, tools])).digest('hex');
}
