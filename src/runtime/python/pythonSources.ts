import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../packageRoot.ts';

/**
 * Set by the production bundle (scripts/build.ts, through esbuild's `define`) to the Python files below, read at
 * build time: the bundle runs from dist/, next to which there is no src/. Under tsx they are not defined and the
 * files are read from src/runtime/python/ on first use.
 */
declare const __RLTASK_PY_HARNESS__: string | undefined;
declare const __RLTASK_PY_ANALYZE__: string | undefined;
declare const __RLTASK_PY_MUTATE__: string | undefined;
declare const __RLTASK_PY_ZYGOTE__: string | undefined;
declare const __RLTASK_PY_ZYGOTE_CLIENT__: string | undefined;

/**
 * The Python programs the runtime runs: the sandboxed child's harness, the static analyser and the audit's mutator
 * (each in a sandboxed process), the zygote that forks those processes, and its client.
 */
export const PYTHON_SOURCE_FILES = {
  harness: 'src/runtime/python/_harness.py',
  analyze: 'src/runtime/python/_analyze.py',
  mutate: 'src/runtime/python/_mutate.py',
  zygote: 'src/runtime/python/_zygote.py',
  zygoteClient: 'src/runtime/python/_zygoteClient.py',
} as const;

/** The programs that read code and print JSON (run by runPythonTool), as opposed to the harness. */
export const PYTHON_TOOL_NAMES = ['analyze', 'mutate'] as const;

const cache = new Map<keyof typeof PYTHON_SOURCE_FILES, Promise<string>>();

function bundled(name: keyof typeof PYTHON_SOURCE_FILES): string | undefined {
  const text = {
    harness: typeof __RLTASK_PY_HARNESS__ === 'string' ? __RLTASK_PY_HARNESS__ : undefined,
    analyze: typeof __RLTASK_PY_ANALYZE__ === 'string' ? __RLTASK_PY_ANALYZE__ : undefined,
    mutate: typeof __RLTASK_PY_MUTATE__ === 'string' ? __RLTASK_PY_MUTATE__ : undefined,
    zygote: typeof __RLTASK_PY_ZYGOTE__ === 'string' ? __RLTASK_PY_ZYGOTE__ : undefined,
    zygoteClient: typeof __RLTASK_PY_ZYGOTE_CLIENT__ === 'string' ? __RLTASK_PY_ZYGOTE_CLIENT__ : undefined,
  } as const;
  return text[name];
}

/** The text of one of the runtime's Python programs (read once per process). */
export function pythonSource(name: keyof typeof PYTHON_SOURCE_FILES): Promise<string> {
  let text = cache.get(name);
  if (text === undefined) {
    const inBundle = bundled(name);
    text = inBundle !== undefined ? Promise.resolve(inBundle) : readFile(path.join(packageRoot(), PYTHON_SOURCE_FILES[name]), 'utf8');
    cache.set(name, text);
  }
  return text;
}
