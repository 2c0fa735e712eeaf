import { readdirSync, readFileSync } from 'node:fs';

/** A process exists and is not a zombie (a zombie has exited and only waits to be reaped). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** `pid` and all its live descendants (the sandbox's node runs one level down, under `unshare`). */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(' ')) {
        if (child !== '') out.push(...processTree(Number(child)));
      }
    }
  } catch {
    // Gone meanwhile.
  }
  return out;
}

/** Command line of a process ('' when it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** This process's sandbox children (started through unshare/setpriv/prlimit or directly as a permission-model node) and their descendants. */
export function sandboxProcesses(root: number = process.pid): number[] {
  return processTree(root)
    .slice(1)
    .filter((pid) => /--experimental-permission|^unshare |^setpriv |^prlimit /.test(commandLine(pid)));
}

/** Wait until none of `pids` is running (SIGKILLed children take a moment to be reaped); returns the survivors. */
export async function survivors(pids: readonly number[], waitMs = 5000): Promise<number[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    const left = pids.filter(isRunning);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** This process's direct children that are sandboxes: one per sandbox, whatever runs below it. */
export function sandboxChildren(): number[] {
  return processTree(process.pid)
    .filter((pid) => parentOf(pid) === process.pid)
    .filter((pid) => /--experimental-permission|^unshare |^setpriv |^prlimit /.test(commandLine(pid)));
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}
