// Serve the stand-in Messages API until killed, for trying `rltask calibrate` by hand (no network, no key needed
// beyond any non-empty ANTHROPIC_API_KEY):
//   node --import tsx spec/calibration/_serveStandIn.ts [port]   # prints its base URL
// Conversation n follows `fix` when n % 4 == 1, else `keep-bug` (even n) or `edit-tests` (odd n).
import { loadTask } from '../../src/task/loadTask.ts';
import { DROPOUT_YAML } from '../_helpers.ts';
import { startStandIn } from './_standIn.ts';

const server = await startStandIn({
  spec: await loadTask(DROPOUT_YAML),
  policyFor: (a) => (a % 4 === 1 ? 'fix' : a % 2 === 0 ? 'keep-bug' : 'edit-tests'),
  ...(process.argv[2] === undefined ? {} : { port: Number(process.argv[2]) }),
});
console.log(server.url);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
