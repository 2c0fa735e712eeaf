import { readdirSync, readFileSync } from 'node:fs';
import type { Sandbox, SandboxOptions } from '../src/sandbox/Sandbox.ts';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time (user + system, ms) used so far by process `pid` and all its live descendants, from /proc. The
 * sandbox's node runs in its own PID namespace under `unshare`, so when it is killed its CPU time is never
 * added to ours (it is reaped by init): read it before killing the child.
 */
export function treeCpuMs(pid: number): number {
  let total = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(' ')) {
        if (child !== '') total += treeCpuMs(Number(child));
      }
    }
  } catch {
    // The process ended meanwhile: count what we could read.
  }
  return total;
}

/** CPU time (ms) used by this process so far. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Wraps a sandbox start function so that each child's CPU time is read just before it is disposed (after that
 * it is gone from /proc). Bench-only instrumentation: the instance's `dispose` is replaced.
 */
export function recordChildCpu(start: (options: SandboxOptions) => Promise<Sandbox>): { start: (options: SandboxOptions) => Promise<Sandbox>; samples: number[] } {
  const samples: number[] = [];
  return {
    samples,
    start: async (options) => {
      const s = await start(options);
      const dispose = s.dispose.bind(s);
      Object.defineProperty(s, 'dispose', {
        value: async () => {
          if (s.pid !== undefined) samples.push(treeCpuMs(s.pid));
          await dispose();
        },
      });
      return s;
    },
  };
}
