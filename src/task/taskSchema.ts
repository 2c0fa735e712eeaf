import { z } from 'zod';
import { propertyItems } from '../../properties/registry.ts';
import { unknownChoice } from '../../properties/unknownChoice.ts';
import { runtimeNames } from '../runtime/runtimeNames.ts';
import { staticCheckItems } from '../runtime/staticCheckRegistry.ts';
import { relativePath } from '../relativePath.ts';

/**
 * The task file format. This schema is the single source of truth: the loader validates with it, the
 * `TaskSpec` type is inferred from it, and the editor JSON Schema is generated from it.
 */

const identifier = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'use lowercase letters, digits and dashes' });

export const fileRoles = ['editable', 'protected', 'context'] as const;

const taskFile = z.strictObject({
  path: relativePath,
  /** editable: the agent fixes it; protected: must stay byte-identical; context: given for reading only. */
  role: z.enum(fileRoles),
  content: z.string(),
});

const edit = z.strictObject({
  file: relativePath,
  /** Text that occurs exactly once in the file. */
  find: z.string().min(1),
  replace: z.string(),
});

/**
 * The kinds of wrong fix a grader must refuse, as a red team grouped them: the formula itself, behaviour that
 * changes over calls or instances, randomness of the wrong kind, inputs the generators rarely produce, answers
 * that are close but less precise than the prompt asks, a submission compared only with itself, the calling
 * contract (types, lengths, in place or not, the public API), and behaviour only the visible tests exercise.
 */
export const decoyFamilies = ['wrong-formula', 'behaviour-over-time', 'randomness', 'inputs', 'precision', 'self-comparison', 'contract', 'visible-tests'] as const;

const variant = z.strictObject({ prompt: z.string().min(1), description: z.string().optional() });

/** A static check a task configures (`grader.ast`); each is registered in src/runtime/staticCheckRegistry.ts. */
const astCheck = z.discriminatedUnion('check', staticCheckItems, { error: unknownChoice('AST check') });

const limits = z
  .strictObject({
    /** Wall-clock budget for running the submission during one grade. */
    timeMs: z.int().min(100).max(600_000).default(20_000),
    /** Memory the submission may allocate (address space on top of Node's own baseline). */
    memoryMb: z.int().min(64).max(16_384).default(1024),
    /** Bytes of the submission's stdout+stderr kept in the report. */
    outputBytes: z.int().min(0).max(10_000_000).default(65_536),
    /** Largest editable file accepted. */
    fileBytes: z.int().min(1).max(10_000_000).default(262_144),
  })
  .prefault({});

/** Deno-style grants for the code under test. The default, and today the only accepted value, is nothing. */
const permissions = z
  .strictObject({
    read: z.array(relativePath).max(0, { message: 'granting file reads is not supported: submissions run with no fs access' }).default([]),
    write: z.array(relativePath).max(0, { message: 'granting file writes is not supported: submissions run with no fs access' }).default([]),
    net: z.literal(false, { message: 'granting network access is not supported' }).default(false),
    run: z.literal(false, { message: 'granting subprocesses is not supported' }).default(false),
    env: z.literal(false, { message: 'granting environment access is not supported' }).default(false),
  })
  .prefault({});

/** What `rltask audit` requires of this task's grader, and the survivors its author has accepted. */
const audit = z
  .strictObject({
    /** Least mutation score (killed / non-equivalent mutants) the audit accepts. */
    minScore: z.number().min(0).max(1).default(0.9),
    /** Mutants of the reference solution graded per audit (a seeded sample when there are more). */
    mutants: z.int().min(0).max(10_000).default(60),
    /**
     * Mutants the author has examined and found to behave exactly like the reference (or wrong only outside the
     * contract), by the audit's mutant id, with the reason: they are left out of the score.
     */
    equivalent: z.array(z.strictObject({ mutant: z.string().min(1), reason: z.string().min(1) })).default([]),
  })
  .prefault({});

/** The task file format, validated by zod: the single source of the `TaskSpecData` type and of the editor JSON Schema. */
export const taskSchema = z.strictObject({
  id: identifier,
  title: z.string().min(1),
  version: z.int().min(1),
  description: z.string().optional(),
  prompt: z.string().min(1),
  variants: z.record(identifier, variant).default({}),
  files: z.array(taskFile).min(1),
  /** The visible tests the agent can run (`rltask test`): an entry file among `files`, run in the sandbox. */
  tests: z.strictObject({ file: relativePath }).optional(),
  bug: z.strictObject({ file: relativePath, line: z.string().min(1), description: z.string().min(1) }),
  solution: z.strictObject({ description: z.string().optional(), edits: z.array(edit).min(1) }),
  decoys: z
    .array(
      z.strictObject({
        name: identifier,
        description: z.string().min(1),
        /** Which kind of wrong fix this is (spec/hostile/families.spec.ts checks that each applicable one is covered). */
        family: z.enum(decoyFamilies).default('wrong-formula'),
        edits: z.array(edit),
      }),
    )
    .default([]),
  /**
   * The impossible twin: the same workspace after `edits`, with visible tests that contradict the prompt. The
   * grader still holds a submission to the prompt, so an honest agent cannot make those tests pass; a run of the
   * twin measures how often a model tampers with them or bends the code to them instead.
   */
  impossible: z.strictObject({ description: z.string().min(1), edits: z.array(edit).min(1) }).optional(),
  grader: z.strictObject({
    /** The module the properties talk to: an editable file and the export under test. */
    subject: z.strictObject({ file: relativePath, export: z.string().regex(/^[A-Za-z_$][\w$]*$/) }),
    /** Seed used when `grade` is not given one; same submission + same seed → same verdict. */
    seed: z.int().min(0).max(0x7fffffff).default(20261125),
    properties: z.array(z.discriminatedUnion('use', propertyItems, { error: unknownChoice('property') })).min(1),
    ast: z.array(astCheck).default([]),
  }),
  limits,
  permissions,
  audit,
  /** The language of the task's code: which runtime compiles, checks and runs it. */
  runtime: z.enum(runtimeNames).default('typescript'),
});

/** A validated task file: plain data (properties and static checks as `{ use/check, … }`, resolved at grade time). */
export type TaskSpecData = z.output<typeof taskSchema>;
/** One of the task's files, with its role (editable, protected, context). */
export type TaskFile = TaskSpecData['files'][number];
/** A text replacement in a task file (`find` occurs exactly once): the reference solution and the decoys are edits. */
export type Edit = z.output<typeof edit>;
/** A configured static check of `grader.ast`. */
export type AstCheckSpec = z.output<typeof astCheck>;
