import { detectIsolation } from './_isolation.ts';

/**
 * The OS isolation layers a sandboxed child gets on this machine, as detected (the runtime's own restrictions,
 * the static policy and the killed process group are always there and are named by the caller): what a grade's
 * provenance reports, so a verdict says under which isolation it was reached.
 *
 * @example
 * await isolationInForce(); // ['unprivileged-uid', 'network-namespace', 'pid-namespace', 'rlimits']
 */
export async function isolationInForce(): Promise<string[]> {
  const i = await detectIsolation();
  return [
    ...(i.user === null ? [] : ['unprivileged-uid']),
    ...(i.netns ? ['network-namespace'] : []),
    ...(i.pidns ? ['pid-namespace'] : []),
    ...(i.prlimit ? ['rlimits'] : []),
  ];
}
