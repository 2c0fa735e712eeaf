import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** USER_HZ is 100 on Linux: utime and stime count 10 ms ticks. */
const TICK_MS = 10;
const PAGE_KB = 4;

/** The fields of /proc/PID/stat after the command name (`fields[0]` is field 3, the state); undefined once gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A process of the tree at one moment. */
export interface TreeProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
}

/**
 * Every descendant of `root` (not itself), found as the brief of a leak check asks: every /proc/PID/stat whose
 * parent is the root or one of its descendants. A sandbox's node runs in a PID namespace of its own under
 * `unshare`, but /proc shows it here with its global pid and `unshare` as its parent.
 */
export function descendants(root: number): TreeProcess[] {
  const all: TreeProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      all.push({ pid: Number(name), ppid, comm });
    } catch {
      // Gone meanwhile.
    }
  }
  const byParent = new Map<number, TreeProcess[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: TreeProcess[] = [];
  const walk = (pid: number): void => {
    for (const c of byParent.get(pid) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(root);
  return out;
}

/** VmRSS of a process in KB (0 once gone). */
export function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** The open file descriptors of a process, by kind (socket, pipe, anon_inode:…, file), and their number. */
export function openFds(pid: number): { count: number; kinds: Record<string, number> } {
  const kinds: Record<string, number> = {};
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let kind = 'gone';
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      kind = target.startsWith('socket:') ? 'socket' : target.startsWith('pipe:') ? 'pipe' : target.startsWith('anon_inode:') ? target : target.startsWith('/dev/') ? target : 'file';
    } catch {
      continue;
    }
    count++;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return { count, kinds };
}

/** The direct children of `pid`, from /proc/PID/task/TID/children (cheaper than a scan of /proc, for polling). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(' ')) if (c !== '') out.push(Number(c));
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    // The process ended meanwhile.
  }
  return out;
}

/**
 * CPU time (ms) and resident memory of a process tree over an interval, by polling /proc every `intervalMs`
 * (25 ms by default: the polls cost this process ≈ 1 ms each, on the cores the tree runs on).
 *
 * A sandbox child is killed with its process group and, being in a PID namespace under `unshare --kill-child`, is
 * reaped by init: its CPU never reaches its parent's cutime, so it can only be read while it lives. Each process
 * (pid and start time) counts the CPU it used between its first and last sighting in the interval (all of it if
 * it started within the interval); what it used after the last poll is lost, so the figure is a lower bound, by up
 * to one interval's worth per short-lived child.
 */
export class TreeMeter {
  readonly #root: number;
  readonly #intervalMs: number;
  readonly #first = new Map<string, number>();
  readonly #last = new Map<string, number>();
  /** The root's main thread (its JavaScript, for Node): first and last ticks. */
  #main: { first: number; last: number } | undefined;
  #rootKey: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #peakRssKb = 0;
  #polls = 0;

  constructor(root: number, intervalMs = 25) {
    this.#root = root;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#poll(true);
    this.#timer = setInterval(() => this.#poll(false), this.#intervalMs);
  }

  /**
   * Stop polling. CPU used meanwhile (ms): by the whole tree, by the root process (all its threads) and by the
   * root's main thread; the largest sum of RSS seen (KB); how many polls.
   */
  stop(): { cpuMs: number; rootCpuMs: number; mainThreadCpuMs: number; peakRssKb: number; polls: number } {
    clearInterval(this.#timer);
    this.#poll(false);
    let ticks = 0;
    for (const [key, last] of this.#last) ticks += last - (this.#first.get(key) ?? 0);
    const k = this.#rootKey;
    const root = k === undefined ? 0 : (this.#last.get(k) ?? 0) - (this.#first.get(k) ?? 0);
    const main = this.#main === undefined ? 0 : this.#main.last - this.#main.first;
    return { cpuMs: ticks * TICK_MS, rootCpuMs: root * TICK_MS, mainThreadCpuMs: main * TICK_MS, peakRssKb: this.#peakRssKb, polls: this.#polls };
  }

  #poll(initial: boolean): void {
    this.#polls++;
    let rss = 0;
    const visit = (pid: number): void => {
      const f = statFields(pid);
      if (f === undefined) return;
      const key = `${pid}/${f[19]}`;
      if (pid === this.#root) this.#rootKey = key;
      const ticks = Number(f[11]) + Number(f[12]);
      if (initial) this.#first.set(key, ticks);
      this.#last.set(key, ticks);
      rss += Number(f[21]) * PAGE_KB;
      for (const c of childrenOf(pid)) visit(c);
    };
    visit(this.#root);
    try {
      const stat = readFileSync(`/proc/${this.#root}/task/${this.#root}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]);
      this.#main = this.#main === undefined ? { first: initial ? ticks : 0, last: ticks } : { first: this.#main.first, last: ticks };
    } catch {
      // The root ended.
    }
    this.#peakRssKb = Math.max(this.#peakRssKb, rss);
  }
}
