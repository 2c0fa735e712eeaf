import pkg from '../../package.json' with { type: 'json' };

/** What the CLI says about itself in `--version`, `--help` and docs/cli.md; package.json is the one source. */
export const TOOL = {
  name: 'rltask',
  version: pkg.version,
  description: pkg.description,
  /** The codes every verb keeps to; each verb's definition says what they mean for it. */
  exitCodes: { 0: 'success/pass', 1: 'failing verdict', 2: 'bad input', 3: 'internal error', 130: 'interrupted' },
} as const;
