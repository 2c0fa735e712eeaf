import type { Io } from './Io.ts';

/**
 * One option of a verb, as declared in its definition. `--help`, the usage line, docs/cli.md and the parser all
 * read it, so what the help says an option takes is what the parser accepts.
 *
 * - `boolean`: a flag, false unless given; takes no value.
 * - `string`: any non-empty text.
 * - `int`: a whole number, range-checked against `min`/`max` by the parser (negative numbers are values, not options).
 * - `directory`: the path of an existing directory, checked before the verb runs.
 */
export type OptionSpec =
  | { readonly type: 'boolean'; readonly description: string }
  | {
      readonly type: 'string' | 'directory';
      /** Shown after the option in help: `--out DIR`. */
      readonly valueName: string;
      readonly description: string;
      readonly default?: string;
      /** What an absent option means when that is not a fixed value (e.g. "the task's grader.seed"). */
      readonly defaultText?: string;
      readonly required?: boolean;
    }
  | {
      readonly type: 'int';
      readonly valueName: string;
      readonly description: string;
      readonly min: number;
      readonly max: number;
      readonly default?: number;
      readonly defaultText?: string;
      readonly required?: boolean;
    };

/** A positional argument. At most the last one is `variadic` (one or more values when required, else zero or more). */
export interface PositionalSpec {
  /** The key the verb reads the value under. */
  readonly name: string;
  /** Shown in usage and help: `<task.yaml>`. */
  readonly valueName: string;
  readonly description: string;
  readonly required: boolean;
  readonly variadic?: boolean;
  /** `directory`: must be an existing directory, checked before the verb runs. Default `string`. */
  readonly type?: 'string' | 'directory';
}

/** Exit codes a verb returns, with what each means for that verb. */
export type ExitCodes = Readonly<Record<number, string>>;

type Given = { readonly default: string | number } | { readonly required: true };

/** The type of an option's value after parsing. */
export type OptionValue<S extends OptionSpec> = S extends { readonly type: 'boolean' }
  ? boolean
  : S extends { readonly type: 'int' }
    ? S extends Given
      ? number
      : number | undefined
    : S extends Given
      ? string
      : string | undefined;

export type OptionValues<O extends Readonly<Record<string, OptionSpec>>> = { -readonly [K in keyof O]: OptionValue<O[K]> };

/** The type of a positional's value after parsing. */
export type PositionalValue<S extends PositionalSpec> = S extends { readonly variadic: true } ? string[] : S extends { readonly required: true } ? string : string | undefined;

export type PositionalValues<P extends readonly PositionalSpec[]> = { -readonly [S in P[number] as S['name']]: PositionalValue<S> };

/** A verb as written in its file: everything about it in one place, with `run` typed by the declarations. */
export interface CommandDefinition<P extends readonly PositionalSpec[], O extends Readonly<Record<string, OptionSpec>>, E extends ExitCodes> {
  readonly name: string;
  /** One line, lower case, no full stop: shown in the verb list. */
  readonly summary: string;
  /** More about the verb, shown in its help after the summary. */
  readonly details?: string;
  readonly positionals: P;
  readonly options: O;
  /**
   * Every code the verb exits with, and what it means for this verb: `run` cannot return a code missing here (it
   * is type-checked), and the bad input (2) and internal errors (3) the framework reports belong here too.
   */
  readonly exits: E;
  // NoInfer: the codes are read from `exits` alone; inferred from `run` too, a single `return 0` widened to number.
  run(args: PositionalValues<P>, options: OptionValues<O>, io: Io): Promise<NoInfer<keyof E & number>>;
}

/** Values parsed and checked against a definition, before they are narrowed to the verb's own types. */
export interface ParsedValues {
  readonly positionals: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly options: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** A defined verb, as the CLI, its help and the reference see it (made by `defineCommand`). */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly details: string | undefined;
  readonly positionals: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly exits: ExitCodes;
  /** Run with values the parser produced from this command's definition. */
  execute(values: ParsedValues, io: Io): Promise<number>;
}
