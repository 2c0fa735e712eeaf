import { z } from 'zod';
import { taskSchema } from './taskSchema.ts';

/** Whether a value holds a number JSON cannot represent (NaN, ±Infinity). */
function hasNonJsonNumber(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasNonJsonNumber);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasNonJsonNumber);
  return false;
}

/**
 * The JSON Schema of task files, generated from the zod schema the loader validates with, so there is one
 * source of truth. Draft-07, because that is the draft the YAML language server (and VS Code) fully supports.
 * It describes the file as written (`io: 'input'`: defaults are optional). Checks that JSON Schema cannot
 * express (NaN values, cross-field rules such as "min ≤ max", edits that must apply) are left to the loader;
 * `rltask check --static` runs all of them.
 */
export function taskJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(taskSchema, {
    io: 'input',
    target: 'draft-07',
    // z.nan() (a NaN in a list of invalid rates) has no JSON Schema: it becomes "anything".
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // A default holding NaN would be written as null and mislead editors: leave it out.
      const def = zodSchema._zod.def;
      if (def.type === 'default' && hasNonJsonNumber(def.defaultValue)) delete jsonSchema.default;
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return {
    $schema,
    $id: 'https://rltask.invalid/schema/task.schema.json',
    title: 'rltask task file',
    description: 'A task for coding agents: workspace files, the planted bug, the reference fix, decoys and the grader configuration. Generated from src/task/taskSchema.ts by `npm run schema`; do not edit by hand.',
    ...rest,
  };
}

/** The schema file's exact text (what `npm run schema` writes and CI compares). */
export function taskJsonSchemaText(): string {
  return `${JSON.stringify(taskJsonSchema(), null, 2)}\n`;
}
