import { spawn, spawnSync } from 'node:child_process';

/** What this machine lets us add around the child, detected once per process. */
export interface Isolation {
  /**
   * The switch to an unprivileged uid/gid works (only when we are root), so the child cannot signal us: probed
   * with `nobody`; each child runs as a uid of its own (sandboxUid.ts), `nobody` unless its caller says.
   */
  readonly user: { readonly uid: number; readonly gid: number } | null;
  /** A fresh network namespace with no interfaces (`unshare --net`), when permitted. */
  readonly netns: boolean;
  /**
   * A fresh PID namespace too (`unshare --pid --kill-child`): every child runs as the same unprivileged uid, so
   * without it a child that escaped its JS sandbox could signal the other submissions' children.
   */
  readonly pidns: boolean;
  /** `prlimit` for address space, CPU time, file size and core dumps. */
  readonly prlimit: boolean;
  /**
   * `unshare` itself can switch to `user` (`--setuid`/`--setgid`, which also drop supplementary groups; not in
   * older util-linux, hence a probe): one exec fewer per child than `unshare … setpriv …`.
   */
  readonly unshareSetuid: boolean;
}

const NOBODY = 65534;
let detected: Isolation | undefined;

function works(cmd: string, args: readonly string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}

const PROBES = {
  setpriv: ['setpriv', '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--', 'true'],
  netns: ['unshare', '--net', '--', 'true'],
  pidns: ['unshare', '--net', '--pid', '--kill-child', '--', 'true'],
  prlimit: ['prlimit', '--as=4294967296', '--', 'true'],
  unshareSetuid: ['unshare', '--net', `--setuid=${NOBODY}`, `--setgid=${NOBODY}`, '--', 'true'],
} as const;
type Probe = keyof typeof PROBES;

/** Everything at once, as the child will be started on a machine that has it all (tried first, as root). */
const FULL_PROBE = ['unshare', '--net', '--pid', '--kill-child', `--setuid=${NOBODY}`, `--setgid=${NOBODY}`, '--', 'true'] as const;

function fromProbes(root: boolean, ok: Readonly<Record<Probe, boolean>>): Isolation {
  const user = root && (ok.setpriv || ok.unshareSetuid) ? { uid: NOBODY, gid: NOBODY } : null;
  return { user, netns: ok.netns, pidns: ok.pidns, prlimit: ok.prlimit, unshareSetuid: user !== null && ok.netns && ok.unshareSetuid };
}

/** The probes to run one by one when the full one failed (or we are not root). */
function separateProbes(root: boolean): Probe[] {
  return root ? ['setpriv', 'netns', 'pidns', 'prlimit', 'unshareSetuid'] : ['netns', 'pidns', 'prlimit'];
}

/** What the probes' results mean; `full` stands for every unshare/user probe at once. */
function decide(root: boolean, full: boolean, results: Partial<Record<Probe, boolean>>): Isolation {
  const ok = (k: Probe): boolean => results[k] ?? false;
  if (full) return fromProbes(root, { setpriv: false, netns: true, pidns: true, prlimit: ok('prlimit'), unshareSetuid: true });
  return fromProbes(root, { setpriv: ok('setpriv'), netns: ok('netns'), pidns: ok('pidns'), prlimit: ok('prlimit'), unshareSetuid: ok('unshareSetuid') });
}

export function isolation(): Isolation {
  if (detected !== undefined) return detected;
  const root = process.getuid?.() === 0;
  const run = (argv: readonly string[]): boolean => works(argv[0]!, argv.slice(1));
  const full = root && run(FULL_PROBE);
  const probes: Probe[] = full ? ['prlimit'] : separateProbes(root);
  detected = decide(root, full, Object.fromEntries(probes.map((k) => [k, run(PROBES[k])])));
  return detected;
}

function worksAsync(argv: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 5000 });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

let detecting: Promise<Isolation> | undefined;

/**
 * `isolation()` with the probes run in parallel and without blocking (`Sandbox.start` awaits this first, so the
 * probes are on a cold grade's path: as root, one probe for every namespace and user layer and one for prlimit,
 * and the separate probes only when that fails).
 */
export function detectIsolation(): Promise<Isolation> {
  if (detected !== undefined) return Promise.resolve(detected);
  const root = process.getuid?.() === 0;
  detecting ??= (async () => {
    const [full, prlimit] = await Promise.all([root ? worksAsync(FULL_PROBE) : false, worksAsync(PROBES.prlimit)]);
    const probes = full ? [] : separateProbes(root).filter((k) => k !== 'prlimit');
    const results = await Promise.all(probes.map((k) => worksAsync(PROBES[k])));
    detected ??= decide(root, full, { prlimit, ...Object.fromEntries(probes.map((k, i) => [k, results[i]!])) });
    return detected;
  })();
  return detecting;
}

/** Node reserves this much address space before the submission allocates anything (measured: ~700 MiB). */
const NODE_BASELINE_MB = 900;

export interface ChildLimits {
  readonly memoryMb: number;
  readonly cpuSeconds: number;
}

/**
 * Processes (threads count) of a child's uid, when it has a uid of its own: Node needs a dozen threads; an escaped
 * child that forks stops here, and only itself, since the cap counts its own uid's processes.
 */
const NPROC = 256;

/**
 * The argv that starts `node` under every layer this machine supports, as `uid` (and the gid of that number) when
 * the machine lets us switch: a uid leased for this child alone (sandboxUid.ts), which also gets a process cap.
 */
export function childCommand(nodeArgs: readonly string[], limits: ChildLimits, uid: number = NOBODY): { command: string; args: string[] } {
  const iso = isolation();
  const chain: string[] = [];
  // --kill-child: unshare stays as the namespace's parent and takes its child down with it if it is killed alone.
  // unshareSetuid implies a user and a network namespace (fromProbes), so unshare is in the chain to switch.
  const setuid = iso.unshareSetuid && iso.user !== null ? [`--setuid=${uid}`, `--setgid=${uid}`] : [];
  if (iso.pidns) chain.push('unshare', '--net', '--pid', '--kill-child', ...setuid, '--');
  else if (iso.netns) chain.push('unshare', '--net', ...setuid, '--');
  if (iso.user !== null && setuid.length === 0) chain.push('setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--');
  if (iso.prlimit) {
    const as = (limits.memoryMb + NODE_BASELINE_MB) * 1024 * 1024;
    // The cap counts every process of the uid: only a uid of the child's own may have one (never `nobody`, shared).
    const nproc = iso.user !== null && uid !== NOBODY ? [`--nproc=${NPROC}`] : [];
    chain.push('prlimit', `--as=${as}`, `--cpu=${limits.cpuSeconds}`, ...nproc, '--fsize=0', '--core=0', '--');
  }
  chain.push(process.execPath, ...nodeArgs);
  const [command, ...args] = chain;
  return { command: command!, args };
}
