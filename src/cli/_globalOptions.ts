/** Options every verb accepts besides its own (and the tool accepts before a verb), with their one-letter forms. */
export const GLOBAL_OPTIONS = {
  debug: { type: 'boolean', description: 'on an internal error, print its stack trace (not only its message)' },
  help: { type: 'boolean', short: 'h', description: 'show help and exit' },
} as const;

/** `--version` only makes sense for the tool, not after a verb. */
export const VERSION_OPTION = { type: 'boolean', short: 'V', description: 'print the version and exit' } as const;
