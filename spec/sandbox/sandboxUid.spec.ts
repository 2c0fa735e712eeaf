import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { leaseSandboxUid } from '../../src/sandbox/sandboxUid.ts';

/** Whether another process can bind the abstract socket that holds `uid` (what another grader would try). */
function otherProcessCanClaim(uid: number): Promise<boolean> {
  const script = `const s = require('node:net').createServer(); s.once('error', () => process.exit(1)); s.listen({ path: '\\0rltask-sandbox-uid-${uid}', exclusive: true }, () => process.exit(0));`;
  return new Promise((resolve) => execFile(process.execPath, ['-e', script], (error) => resolve(error === null)));
}

it('leases distinct uids, none of them root or nobody, held against other processes until released', async () => {
  const leases = await Promise.all(Array.from({ length: 50 }, () => leaseSandboxUid()));
  const uids = leases.map((l) => l.uid);
  assert.equal(new Set(uids).size, uids.length);
  for (const uid of uids) assert.ok(uid > 0 && uid !== 65534 && uid < 2 ** 32 - 1, String(uid));
  const first = leases[0]!;
  assert.equal(await otherProcessCanClaim(first.uid), false, 'another process could take a leased uid');
  for (const l of leases) l.release();
  first.release();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await otherProcessCanClaim(first.uid), true, 'a released uid stayed held');
});
