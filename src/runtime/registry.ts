import { RltaskError } from '../errors.ts';
import type { Runtime } from './Runtime.ts';
import { runtimeNames } from './runtimeNames.ts';
import { pythonRuntime } from './python/pythonRuntime.ts';
import { typescriptRuntime } from './typescript/typescriptRuntime.ts';

const runtimes: ReadonlyMap<string, Runtime> = new Map([
  [typescriptRuntime.name, typescriptRuntime],
  [pythonRuntime.name, pythonRuntime],
]);

/** The runtime a task names (`runtime:` in its file). */
export function runtimeFor(name: string): Runtime {
  const runtime = runtimes.get(name);
  if (runtime === undefined) throw new RltaskError('E_SPEC', `unknown runtime "${name}"; expected one of ${runtimeNames.join(', ')}`);
  return runtime;
}
