import { spawnSync } from 'node:child_process';

/** What this machine lets us add around the child, detected once per process. */
export interface Isolation {
  /** Run as this unprivileged uid/gid (only when we are root), so the child cannot signal us. */
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
}

const NOBODY = 65534;
let detected: Isolation | undefined;

function works(cmd: string, args: readonly string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}

export function isolation(): Isolation {
  if (detected !== undefined) return detected;
  const root = process.getuid?.() === 0;
  const setpriv = root && works('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--', 'true']);
  detected = {
    user: setpriv ? { uid: NOBODY, gid: NOBODY } : null,
    netns: works('unshare', ['--net', '--', 'true']),
    pidns: works('unshare', ['--net', '--pid', '--kill-child', '--', 'true']),
    prlimit: works('prlimit', ['--as=4294967296', '--', 'true']),
  };
  return detected;
}

/** Node reserves this much address space before the submission allocates anything (measured: ~700 MiB). */
const NODE_BASELINE_MB = 900;

export interface ChildLimits {
  readonly memoryMb: number;
  readonly cpuSeconds: number;
}

/** The argv that starts `node` under every layer this machine supports. */
export function childCommand(nodeArgs: readonly string[], limits: ChildLimits): { command: string; args: string[] } {
  const iso = isolation();
  const chain: string[] = [];
  // --kill-child: unshare stays as the namespace's parent and takes its child down with it if it is killed alone.
  if (iso.pidns) chain.push('unshare', '--net', '--pid', '--kill-child', '--');
  else if (iso.netns) chain.push('unshare', '--net', '--');
  if (iso.user !== null) chain.push('setpriv', `--reuid=${iso.user.uid}`, `--regid=${iso.user.gid}`, '--clear-groups', '--');
  if (iso.prlimit) {
    const as = (limits.memoryMb + NODE_BASELINE_MB) * 1024 * 1024;
    chain.push('prlimit', `--as=${as}`, `--cpu=${limits.cpuSeconds}`, '--fsize=0', '--core=0', '--');
  }
  chain.push(process.execPath, ...nodeArgs);
  const [command, ...args] = chain;
  return { command: command!, args };
}
