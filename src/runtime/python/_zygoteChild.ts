import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net, { type Socket } from 'node:net';
import { constants } from 'node:os';
import { PassThrough } from 'node:stream';
import { RltaskError } from '../../errors.ts';
import type { ChannelSink, SandboxOptions, SandboxProcess } from '../../sandbox/Sandbox.ts';
import type { sandboxLimits } from './pythonSandbox.ts';

type InputFile = NonNullable<SandboxOptions['inputFile']>;

/** The programs the zygote runs in its sandboxed processes, compiled once when it starts. */
export type ZygoteProgram = 'harness' | 'analyze' | 'mutate';

/** What the zygote is asked for (src/runtime/python/_zygote.py checks each field). */
export interface ZygoteRequest extends ReturnType<typeof sandboxLimits> {
  readonly program: ZygoteProgram;
  readonly uid: number;
}

/** Where the zygote listens, and how to start its client (pythonZygote.ts's PythonZygote). */
interface ZygoteAddress {
  readonly name: string;
  readonly python: { readonly executable: string };
  readonly client: string;
}

/**
 * A process the zygote forked for this one, seen as a child process: its end comes as the zygote's answer on the
 * request's connection, its stdout and stderr are one connection, and killing it closes the request's connection
 * (the zygote then kills it, and its PID namespace with it). It has no process id here: it lives in the zygote's
 * PID namespace.
 */
class ZygoteChild extends EventEmitter implements SandboxProcess {
  readonly pid = undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdout: Socket;
  /** What the zygote says about a request it refused (the sandboxed process writes to `stdout`). */
  readonly stderr = new PassThrough();
  readonly #control: Socket;
  #killed = false;

  constructor(control: Socket, output: Socket) {
    super();
    this.#control = control;
    this.stdout = output;
    control.on('error', () => undefined);
    output.on('error', () => undefined);
    let answer = '';
    control.setEncoding('utf8');
    control.on('data', (chunk: string) => {
      if (answer.length < 4096) answer += chunk;
    });
    // Its output ends when every process of its namespace that held it is gone: then it has closed.
    const outputClosed = new Promise<void>((resolve) => output.once('close', () => resolve()));
    control.once('close', () => {
      this.#exit(answer);
      void outputClosed.then(() => {
        this.stderr.end();
        this.emit('close');
      });
    });
  }

  #exit(answer: string): void {
    const space = answer.indexOf(' ');
    const kind = space < 0 ? answer : answer.slice(0, space);
    const value = space < 0 ? '' : answer.slice(space + 1);
    const signal = kind === 'signal' && /^\d+$/.test(value) ? signalName(Number(value)) : undefined;
    if (kind === 'exit' && /^\d+$/.test(value)) this.exitCode = Number(value);
    else if (signal !== undefined) this.signalCode = signal;
    else if (this.#killed) this.signalCode = 'SIGKILL';
    else {
      this.stderr.write(`rltask: the Python sandboxes' zygote refused the sandbox: ${kind === 'error' ? value : 'it ended without an answer'}\n`);
      this.exitCode = 71;
    }
    this.emit('exit', this.exitCode, this.signalCode);
  }

  kill(): boolean {
    if (this.exitCode !== null || this.signalCode !== null) return false;
    this.#killed = true;
    this.#control.destroy();
    return true;
  }
}

function isSignal(name: string): name is NodeJS.Signals {
  return Object.hasOwn(constants.signals, name);
}

function signalName(n: number): NodeJS.Signals | undefined {
  for (const [name, value] of Object.entries(constants.signals)) if (value === n && isSignal(name)) return name;
  return undefined;
}

/** The argv of the zygote's client (_zygoteClient.py) passing `request`, with its stdio, fd 3 and fd 4, to the zygote. */
export function clientCommand(zygote: ZygoteAddress, request: object): { command: string; args: string[] } {
  return { command: zygote.python.executable, args: ['-I', '-S', '-c', zygote.client, zygote.name, JSON.stringify(request)] };
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
}

/**
 * Have the zygote fork a sandboxed process for this request, without a process of this one's in between (no
 * spawn, which forks this process, and no client interpreter): three connections to the zygote's socket — the
 * request, the channel (whose reads go to `sink`) and the output — each opening with a header line that names
 * the same random id. `input` is an input file registered with `registerInputFile`, the process's fd 4.
 */
export async function startZygoteChild(
  zygote: ZygoteAddress,
  request: ZygoteRequest,
  sink: ChannelSink,
  input?: string,
): Promise<{ process: SandboxProcess; channel: Socket }> {
  const id = randomBytes(16).toString('hex');
  const path = `\0${zygote.name}`;
  const channel = net.connect({ path, onread: { buffer: () => sink.target(), callback: (bytes, into) => (sink.received(bytes, into), true) } });
  const output = net.connect({ path });
  const control = net.connect({ path });
  const all = [channel, output, control];
  // Written as soon as each connects: the zygote forks once all three are there, whatever their order.
  channel.write(`C${id}\n`);
  output.write(`O${id}\n`);
  control.write(`R${JSON.stringify({ ...request, id, ...(input === undefined ? {} : { input }) })}\n`);
  try {
    await Promise.all(all.map(connected));
  } catch (e) {
    for (const socket of all) socket.destroy();
    throw new RltaskError('E_INTERNAL', `the Python sandboxes' zygote is not reachable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  // Errors after the connection (the sandboxed process gone) are reported by the sandbox as the child's end.
  channel.on('error', () => undefined);
  return { process: new ZygoteChild(control, output), channel };
}

const registered = new WeakMap<InputFile, { readonly zygote: string; readonly id: Promise<string> }>();

/**
 * The id under which the zygote holds a batch's input file, registering it on first use: a client process
 * (_zygoteClient.py) passes the file's read-only descriptor once per batch and zygote, and the zygote lets go of
 * it when the file is closed.
 */
export function registerInputFile(zygote: ZygoteAddress, file: InputFile): Promise<string> {
  const known = registered.get(file);
  if (known !== undefined && known.zygote === zygote.name) return known.id;
  const id = randomBytes(16).toString('hex');
  const done = new Promise<string>((resolve, reject) => {
    const { command, args } = clientCommand(zygote, { op: 'input', id });
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe', file.childFd],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      cwd: '/',
    });
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (err.length < 4000) err += chunk.toString('utf8');
    });
    child.once('error', (e) => reject(new RltaskError('E_INTERNAL', `could not hand the batch's input file to the Python sandboxes' zygote: ${e.message}`, { cause: e })));
    child.once('close', (code) => {
      if (code === 0) resolve(id);
      else reject(new RltaskError('E_INTERNAL', `could not hand the batch's input file to the Python sandboxes' zygote (exit code ${code}): ${err.trim()}`));
    });
  });
  registered.set(file, { zygote: zygote.name, id: done });
  done.catch(() => registered.delete(file));
  file.onClose(() => {
    void done.then(
      () => {
        const forget = net.connect({ path: `\0${zygote.name}` });
        forget.on('error', () => undefined);
        forget.end(`F${id}\n`);
        forget.unref();
      },
      () => undefined,
    );
  });
  return done;
}
