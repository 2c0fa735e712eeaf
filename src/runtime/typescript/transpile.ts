import { build, transform, transformSync, type Message } from 'esbuild';
import path from 'node:path/posix';

export type Transpiled = { readonly ok: true; readonly code: string } | { readonly ok: false; readonly message: string };

function describe(file: string, errors: readonly Message[]): string {
  return errors
    .slice(0, 3)
    .map((e) => `${(e.location?.file ?? file).replace(/^ws:/, '')}:${e.location?.line ?? 0}:${(e.location?.column ?? 0) + 1}: ${e.text}`)
    .join('\n');
}

const TRANSFORM = { loader: 'ts', format: 'cjs', target: 'es2022', logLevel: 'silent' } as const;

/**
 * TypeScript → CommonJS for the sandbox, through esbuild's async service (what grading uses: the sync API starts a
 * worker thread on first use, expensive once per process). Syntax errors come back as a
 * message, not an exception.
 */
export async function transpile(source: string, filename: string): Promise<Transpiled> {
  try {
    const r = await transform(source, { ...TRANSFORM, sourcefile: filename });
    return { ok: true, code: r.code };
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    return { ok: false, message: errors ? describe(filename, errors) : String(e) };
  }
}

/** TypeScript → CommonJS for the sandbox (~2 ms). Syntax errors come back as a message, not an exception. */
export function transpileModule(source: string, filename: string): Transpiled {
  try {
    const r = transformSync(source, { loader: 'ts', format: 'cjs', target: 'es2022', sourcefile: filename, logLevel: 'silent' });
    return { ok: true, code: r.code };
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    return { ok: false, message: errors ? describe(filename, errors) : String(e) };
  }
}

/**
 * Bundle an entry file with the relative imports it makes among `files` (workspace-relative paths → source)
 * into one CommonJS script. Nothing is read from disk, and any import outside `files` is an error.
 */
export async function bundleFiles(entry: string, files: ReadonlyMap<string, string>): Promise<Transpiled> {
  try {
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'neutral',
      target: 'es2022',
      logLevel: 'silent',
      plugins: [
        {
          name: 'workspace-only',
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (args.kind === 'entry-point') return { path: args.path, namespace: 'ws' };
              if (!args.path.startsWith('.')) return { errors: [{ text: `import of "${args.path}" is not allowed: only the task's own files can be imported` }] };
              const resolved = path.normalize(path.join(path.dirname(args.importer), args.path));
              const candidates = [resolved, `${resolved}.ts`, resolved.replace(/\.js$/, '.ts')];
              const hit = candidates.find((c) => files.has(c));
              if (hit === undefined) return { errors: [{ text: `cannot find "${args.path}" among the task's files` }] };
              return { path: hit, namespace: 'ws' };
            });
            b.onLoad({ filter: /.*/, namespace: 'ws' }, (args) => ({ contents: files.get(args.path) ?? '', loader: 'ts' }));
          },
        },
      ],
    });
    return { ok: true, code: r.outputFiles[0]!.text };
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    return { ok: false, message: errors ? describe(entry, errors) : String(e) };
  }
}
