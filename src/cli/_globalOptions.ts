/** Options every verb accepts besides its own (and the tool accepts before a verb), with their one-letter forms. */
export const GLOBAL_OPTIONS = {
  debug: { type: 'boolean', description: 'on an internal error, print its stack trace (not only its message)' },
  help: { type: 'boolean', short: 'h', description: 'show help and exit' },
  python: {
    type: 'string',
    valueName: 'PATH',
    description: 'the Python 3 (with numpy) that runs Python tasks; checked when the first Python child starts (default: $RLTASK_PYTHON, else python3 on PATH)',
  },
} as const;

/** The global options' names, in order. */
export const GLOBAL_NAMES = Object.keys(GLOBAL_OPTIONS).filter((k): k is keyof typeof GLOBAL_OPTIONS => Object.hasOwn(GLOBAL_OPTIONS, k));

/** The names of the global options that take a value. */
export type GlobalValueName = { [K in keyof typeof GLOBAL_OPTIONS]: (typeof GLOBAL_OPTIONS)[K]['type'] extends 'string' ? K : never }[keyof typeof GLOBAL_OPTIONS];

/** Values of the global options that take one, as given (the verb's own `--python` wins over one before the verb). */
export type GlobalValues = Partial<Record<GlobalValueName, string>>;

/** `--debug`, `-h, --help`, `--python PATH`: how help and docs/cli.md show a global option. */
export function globalOptionUsage(name: keyof typeof GLOBAL_OPTIONS): string {
  const o = GLOBAL_OPTIONS[name];
  return `${'short' in o ? `-${o.short}, ` : ''}--${name}${'valueName' in o ? ` ${o.valueName}` : ''}`;
}

/** `--version` only makes sense for the tool, not after a verb. */
export const VERSION_OPTION = { type: 'boolean', short: 'V', description: 'print the version and exit' } as const;
