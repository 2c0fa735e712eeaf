import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { RltaskError } from '../errors.ts';

/**
 * A uid (and the gid of the same number) that one sandbox child runs as, its own while the child lives: the
 * process cap (`RLIMIT_NPROC`) counts every process of a uid, so with one uid per child a submission that fills
 * its cap (a fork bomb, a hoard of sleeping processes) stops only itself, never a neighbour's start.
 */
export interface UidLease {
  readonly uid: number;
  /** Give the uid back: call once the child's processes are all gone. Safe to call more than once. */
  release(): void;
}

/**
 * Where the uids come from, the first range the process's user namespace maps: a block in a range no
 * distribution or systemd allocates (above the container ranges of systemd-nspawn, below the values tools read as
 * negative), else the top of a 65,536-uid namespace (a container's), below `nobody`.
 */
const RANGES: readonly { readonly first: number; readonly count: number }[] = [
  { first: 0x70000000, count: 0x10000 },
  { first: 65534 - 4096, count: 4096 },
];
const FALLBACK_UID = 65534;
const NAME_PREFIX = '\0rltask-sandbox-uid-';

let range: { readonly first: number; readonly count: number } | null | undefined;

/** The first of {@link RANGES} that /proc/self/uid_map and gid_map map entirely, or null. */
function mappedRange(): { readonly first: number; readonly count: number } | null {
  const read = (file: string): [number, number][] => {
    try {
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/).map(Number))
        .filter((f) => f.length === 3 && f.every(Number.isFinite))
        .map((f) => [f[0]!, f[2]!]);
    } catch {
      // No /proc (not Linux): the runtimes switch uid only as root on Linux, where this file exists.
      return [[0, 2 ** 32 - 1]];
    }
  };
  const maps = [read('/proc/self/uid_map'), read('/proc/self/gid_map')];
  const covers = (r: { first: number; count: number }): boolean => maps.every((m) => m.some(([inside, n]) => inside <= r.first && r.first + r.count <= inside + n));
  return RANGES.find(covers) ?? null;
}

/** uids leased by this process, and the abstract socket that holds each against the other processes. */
const leased = new Map<number, Server>();

/** Bind `\0rltask-sandbox-uid-N`: an abstract socket is unique per network namespace and vanishes with its process. */
function claim(uid: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen({ path: `${NAME_PREFIX}${uid}`, exclusive: true }, () => {
      server.unref();
      resolve(server);
    });
  });
}

/**
 * Lease a uid for one sandbox child, from the range the user namespace maps, held against this process's other
 * children (a set) and against other grading processes on the machine (an abstract Unix socket bound for the
 * lease, which dies with its process if that crashes). Without a mapped range every child gets `nobody` (65534),
 * the shared cap of before. Throws E_INTERNAL when every uid of the range is taken.
 */
export async function leaseSandboxUid(): Promise<UidLease> {
  range ??= mappedRange();
  if (range === null) return { uid: FALLBACK_UID, release: () => undefined };
  const { first, count } = range;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const uid = first + ((start + i) % count);
    if (leased.has(uid)) continue;
    const server = await claim(uid);
    if (server === null || leased.has(uid)) {
      server?.close();
      continue;
    }
    leased.set(uid, server);
    let held = true;
    return {
      uid,
      release: () => {
        if (!held) return;
        held = false;
        leased.delete(uid);
        server.close();
      },
    };
  }
  throw new RltaskError('E_INTERNAL', `every sandbox uid (${first}–${first + count - 1}) is in use`);
}
