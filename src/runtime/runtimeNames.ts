/** The languages a task can be written in (`runtime:` in a task file); each has a `Runtime` in the registry. */
export const runtimeNames = ['typescript'] as const;
export type RuntimeName = (typeof runtimeNames)[number];
