// Serve the stand-in Messages API until killed, for trying `rltask calibrate` by hand (no network, no key needed
// beyond any non-empty ANTHROPIC_API_KEY):
//   node --import tsx spec/calibration/_serveStandIn.ts [port] [policy,policy,…]   # prints its base URL
// Conversation n follows the ((n − 1) mod k)-th of the k policies given; by default `fix` when n % 4 == 1, else
// `keep-bug` (even n) or `edit-tests` (odd n).
import { loadTask } from '../../src/task/loadTask.ts';
import { DROPOUT_YAML } from '../_helpers.ts';
import { type Policy, policies, startStandIn } from './_standIn.ts';

const [port, list] = process.argv.slice(2);
const chosen = list?.split(',').map((p) => {
  const policy = policies.find((q) => q === p);
  if (policy === undefined) throw new Error(`unknown policy "${p}"; the stand-in knows ${policies.join(', ')}`);
  return policy;
});
const byDefault = (a: number): Policy => (a % 4 === 1 ? 'fix' : a % 2 === 0 ? 'keep-bug' : 'edit-tests');
const server = await startStandIn({
  spec: await loadTask(DROPOUT_YAML),
  policyFor: (a) => (chosen === undefined ? byDefault(a) : (chosen[(a - 1) % chosen.length] ?? 'keep-bug')),
  ...(port === undefined || port === '0' ? {} : { port: Number(port) }),
});
console.log(server.url);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
