/**
 * The languages a task's code can be written in. Each has a folder beside this file (src/runtime/<name>/) with
 * everything specific to it: compiling the submission and implementing the static checks it supports.
 */
export const runtimeNames = ['typescript', 'python'] as const;

/** One of `runtimeNames`. */
export type RuntimeName = (typeof runtimeNames)[number];
