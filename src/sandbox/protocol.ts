/**
 * Messages between the trusted parent and the sandboxed child. The child is a black-box oracle: the parent
 * asks it to construct objects and call methods, and reads back values. Nothing in a reply can say "passed";
 * every verdict is computed in the parent from these values.
 */

/**
 * An argument the parent passes. `{ rng: seed }` becomes a seeded `() => number` in the child; with `constant`,
 * a `() => number` that always returns that value (a rigged generator: every unit of a dropout layer falls on one
 * side of its threshold, so that behaviour at rates such as 1 − 1e-6 can be seen without a million draws).
 */
export type OracleArg = number | boolean | string | null | undefined | Float64Array | ElementsArg | NdArg | { readonly rng: number; readonly constant?: number };

/**
 * An n-dimensional float64 array argument (for runtimes with such arrays: a numpy `ndarray` in a Python child):
 * `value` holds its elements in C order, `shape` its dimensions (their product is `value.length`). The TypeScript
 * harness has no such arrays.
 */
export interface NdArg {
  readonly shape: readonly number[];
  readonly value: Float64Array;
}

/** The element types an array argument can have besides Float64Array: typed arrays, and `boolean` (a plain boolean[]). */
export type ElementKind = 'Float32Array' | 'Int8Array' | 'Uint8Array' | 'Int16Array' | 'Uint16Array' | 'Int32Array' | 'Uint32Array' | 'boolean';

/**
 * An array argument of another element type: the child makes a fresh array of `elements` in the submission's
 * realm from `value` (already converted by the parent, so that both sides hold the same values), a `boolean[]` for `boolean`.
 */
export interface ElementsArg {
  readonly elements: ElementKind;
  readonly value: Float64Array;
}

/**
 * An argument of a request: an OracleArg, or `{ kept: handle }`, the very object kept under that handle (an
 * array stored by a `keep` request, or a constructed object), so that successive calls can be given the same
 * array, as a caller that keeps its state in arrays updated in place would. With `value`, a kept array's elements
 * are first overwritten with it (same object, new contents; the lengths must agree): a `keep` and a call in one
 * request, which is what long sequences that reset state before every call send.
 */
export type RequestArg = OracleArg | { readonly kept: number; readonly value?: Float64Array };

/** A value that came back from the submission, described structurally (never a live object). */
export type OracleValue =
  | { readonly type: 'undefined' }
  | { readonly type: 'null' }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  /**
   * `arg` is the index of the argument this very object is (e.g. `forward` returned its input), else -1. `kind` is
   * the element type (`Float64Array`; from a Python child a numpy array of another dtype is `ndarray[<dtype>]`,
   * its elements converted to float64). `shape`, from children whose arrays have dimensions (Python), lists them
   * (C order; the Oracle checks that their product is the length).
   */
  | { readonly type: 'typed'; readonly kind: string; readonly value: Float64Array; readonly arg: number; readonly shape?: readonly number[] }
  | { readonly type: 'array'; readonly items: readonly OracleValue[] }
  | { readonly type: 'object'; readonly className: string }
  | { readonly type: 'function' }
  | { readonly type: 'other'; readonly typeName: string };

export interface Thrown {
  readonly name: string;
  readonly message: string;
}

export type OracleReply =
  | { readonly ok: true; readonly value: OracleValue; readonly args?: readonly OracleValue[] }
  | { readonly ok: false; readonly thrown: Thrown };

/**
 * One operation on the submission. Handles are chosen by the parent (`construct` names the handle the new object
 * is kept under), so a whole sequence of requests that use an object can be sent before the object exists.
 */
export type Request =
  | { readonly op: 'construct'; readonly target: string; readonly args: readonly RequestArg[]; readonly handle: number }
  | { readonly op: 'call'; readonly handle: number; readonly method: string; readonly args: readonly RequestArg[]; readonly echoArgs: boolean }
  | { readonly op: 'callExport'; readonly target: string; readonly args: readonly RequestArg[]; readonly echoArgs: boolean }
  /**
   * Call `method` `count` times in a row, each time with one fresh array, the next `length` elements of `inputs`,
   * as argument `arg`; the other arguments are `args` (the same values in every call; `args[arg]` is a placeholder).
   * With `handle` null, `method` names an export, called without a receiver. One request instead of `count` for
   * long runs of cheap calls. The reply's value is an array `[outputs, inputsAfter]`: every call's result
   * (`returns: 'array'`: a Float64Array of `length` elements; `'number'`: a number) and its array argument after
   * the call, concatenated in two Float64Arrays. The first call that returns anything else stops the run, and a
   * third item says what it did instead: `['threw', name, message]` or `['returned', value]` (the first two items
   * then hold the calls before it).
   */
  | {
      readonly op: 'callEach';
      readonly handle: number | null;
      readonly method: string;
      readonly args: readonly RequestArg[];
      readonly arg: number;
      readonly returns: 'array' | 'number';
      readonly inputs: Float64Array;
      readonly length: number;
      readonly count: number;
    }
  | { readonly op: 'get'; readonly handle: number; readonly prop: string }
  | { readonly op: 'reseed'; readonly seed: number }
  /**
   * Store a copy of `value` under `handle` (a Float64Array of the submission's realm), or, when an array of that
   * length is kept there already, overwrite its elements in place (the same object, new contents).
   */
  | { readonly op: 'keep'; readonly handle: number; readonly value: Float64Array };

export type ParentMessage =
  | { readonly kind: 'load'; readonly code: string; readonly filename: string; readonly mathSeed: number; readonly loadTimeoutMs: number; readonly outputBytes: number }
  /** Requests the child runs in order, answered by one `replies` message (one round trip for the lot). */
  | { readonly kind: 'batch'; readonly id: number; readonly requests: readonly Request[] }
  /**
   * Read these files' syntax (never run them) with the runtime's own analyser, before any `load`: answered by one
   * `analyzed` message. Only a harness that has one answers it (Python's: src/runtime/python/_analyze.py).
   */
  | { readonly kind: 'analyze'; readonly files: Readonly<Record<string, string>> };

export type ChildMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'loaded'; readonly exports: readonly string[] }
  | { readonly kind: 'loadFailed'; readonly thrown: Thrown }
  | { readonly kind: 'replies'; readonly id: number; readonly replies: readonly OracleReply[] }
  /** The analyser's facts (its own JSON shape, validated by the runtime), or why it failed. */
  | { readonly kind: 'analyzed'; readonly facts: unknown; readonly error?: undefined }
  | { readonly kind: 'analyzed'; readonly facts?: undefined; readonly error: string };
