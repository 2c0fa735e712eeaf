import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { RltaskError } from '../../errors.ts';
import { registerSandboxOwner, type ChildLauncher } from '../../sandbox/Sandbox.ts';
import { pythonInstall, sandboxLimits, zygoteBwrapArgs, type PythonInstall } from './pythonSandbox.ts';
import { pythonSource } from './pythonSources.ts';
import { clientCommand, registerInputFile, startZygoteChild, type ZygoteProgram } from './_zygoteChild.ts';

export type { ZygoteProgram } from './_zygoteChild.ts';

const START_TIMEOUT_MS = 60_000;

/**
 * The running zygote: a bubblewrap sandbox whose Python imported numpy once and forks, per sandboxed process, a
 * child that takes namespaces, limits and a uid of its own before the program runs (src/runtime/python/_zygote.py
 * says how). This process (_zygoteChild.ts) and clients it spawns (_zygoteClient.py, which pass descriptors) reach it
 at an abstract Unix socket in this process's network namespace.
 */
export interface PythonZygote {
  /** The abstract socket's name (without its leading NUL). */
  readonly name: string;
  /** bubblewrap's process id (the zygote runs under it): diagnostics and tests. */
  readonly pid: number;
  readonly python: PythonInstall;
  readonly client: string;
}

interface Running extends PythonZygote {
  readonly child: ChildProcessWithoutNullStreams;
  alive: boolean;
}

let current: Promise<Running> | undefined;
let unregister: (() => void) | undefined;

function start(): Promise<Running> {
  return (async () => {
    const [py, zygote, client, harness, analyze, mutate] = await Promise.all([
      pythonInstall(),
      pythonSource('zygote'),
      pythonSource('zygoteClient'),
      pythonSource('harness'),
      pythonSource('analyze'),
      pythonSource('mutate'),
    ]);
    const name = `rltask-zygote-${process.pid}-${randomBytes(8).toString('hex')}`;
    const child = spawn('bwrap', [...zygoteBwrapArgs(py), '-c', zygote, name], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      cwd: '/',
    });
    const running: Running = { name, pid: child.pid ?? -1, python: py, client, child, alive: true };
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (log.length < 8000) log += chunk.toString('utf8');
    });
    child.stdin.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        kill(child);
        reject(new RltaskError('E_INTERNAL', `the Python sandboxes' zygote did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      let out = '';
      const onData = (chunk: Buffer): void => {
        out += chunk.toString('utf8');
        if (!out.includes('ready\n')) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      };
      child.stdout.on('data', onData);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new RltaskError('E_INTERNAL', `could not start the Python sandboxes' zygote: ${e.message}`, { cause: e }));
      });
      child.once('exit', (code, signal) => {
        running.alive = false;
        clearTimeout(timer);
        // After 'ready' this settles nothing: the next sandbox's prepare() starts a new zygote.
        reject(new RltaskError('E_INTERNAL', `the Python sandboxes' zygote ended (${signal ?? `exit code ${code}`}): ${log.trim().split('\n').slice(-3).join(' | ')}`));
      });
      child.stdin.write(`${JSON.stringify({ harness, analyze, mutate })}\n`);
    });
    // The zygote lives as long as this process needs it, never keeping it alive: bubblewrap dies with its parent.
    child.stdout.resume();
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void }).unref?.();
    return running;
  })();
}

function kill(child: ChildProcessWithoutNullStreams): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * The zygote of this process, started on first use and again if it has died (its start, the import of numpy
 * included, is paid once per zygote instead of once per sandboxed process). Throws E_INTERNAL when Python, numpy
 * or bubblewrap is missing (pythonInstall) or the zygote cannot start.
 */
export async function pythonZygote(): Promise<PythonZygote> {
  const running = current === undefined ? undefined : await current.catch(() => undefined);
  if (running?.alive === true) return running;
  current = start();
  current.catch(() => undefined);
  unregister ??= registerSandboxOwner({ stop: () => void stopPythonZygote() });
  return current;
}

/**
 * Stop the zygote: it kills every sandboxed process it forked and exits (killAllSandboxes calls this too). A later
 * sandbox starts a new one.
 */
export async function stopPythonZygote(): Promise<void> {
  const pending = current;
  current = undefined;
  const running = pending === undefined ? undefined : await pending.catch(() => undefined);
  if (running === undefined || !running.alive) return;
  const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()));
  running.child.stdin.end();
  const timer = setTimeout(() => kill(running.child), 2000);
  await exited;
  clearTimeout(timer);
}

/**
 * The argv of one sandboxed process started through a client (a tool's: runPythonTool.ts): the zygote's client with
 * the request (the program, the leased `uid`, the limits). Its stdio, fd 3 and fd 4 become the sandboxed
 * process's; it ends as that process ends.
 */
export function zygoteCommand(zygote: PythonZygote, program: ZygoteProgram, limits: ReturnType<typeof sandboxLimits>, uid: number): { command: string; args: string[] } {
  return clientCommand(zygote, { program, uid, ...limits });
}

let ready: PythonZygote | undefined;

/**
 * Starts Python children with the harness (src/runtime/python/_harness.py): each is forked by the zygote into
 * namespaces and a uid of its own, asked for over three connections of this process's (_zygoteChild.ts), with no
 * process of this one's in between.
 */
export const pythonLauncher: ChildLauncher = {
  kind: 'start',
  prepare: async () => {
    ready = await pythonZygote();
  },
  start: async (options, uid, sink) => {
    const zygote = ready;
    if (zygote === undefined) throw new RltaskError('E_INTERNAL', 'the Python launcher was used before it was prepared');
    const input = options.inputFile === undefined ? undefined : await registerInputFile(zygote, options.inputFile);
    return startZygoteChild(zygote, { program: 'harness', uid, ...sandboxLimits(options) }, sink, input);
  },
};
