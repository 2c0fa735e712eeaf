/**
 * Defense in depth, below the JS sandbox: code run as plain Node under the sandbox's process chain
 * (`childCommand`: unshare --net --pid, setpriv to nobody, prlimit, Node's permission model) — i.e. as if a
 * submission had escaped the vm context and held `process` and `require` — still cannot read or write files,
 * spawn, load native code, open an inspector, start workers, reach the network or signal the grader or another
 * sandbox. The layers this machine cannot provide (no root → no setpriv; no user namespaces → no unshare) are
 * reported, and their assertions are skipped with the reason.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { childCommand, isolation } from '../../src/sandbox/_isolation.ts';
import { Scratch, settledProcesses, snapshot } from './_support.ts';

const PROBE = `
const out = {};
const t = (k, f) => { try { out[k] = 'allowed: ' + String(f()).slice(0, 60); } catch (e) { out[k] = 'refused: ' + String(e.code || e.message).slice(0, 80); } };
const [sentinel, pwned, parentPid, siblingPid, port] = process.argv.slice(1);
t('read', () => require('fs').readFileSync(sentinel, 'utf8'));
t('write', () => require('fs').writeFileSync(pwned, 'x'));
t('overwrite', () => require('fs').writeFileSync(sentinel, 'x'));
t('spawn', () => require('child_process').spawnSync('touch', [pwned]).status);
t('signal-parent', () => process.kill(Number(parentPid), 0));
t('signal-sibling', () => process.kill(Number(siblingPid), 0));
t('binding', () => process.binding('fs'));
t('dlopen', () => process.dlopen({ exports: {} }, 'libc.so.6'));
t('inspector', () => require('inspector').open(0));
t('worker', () => new (require('worker_threads').Worker)('1', { eval: true }));
out.ids = JSON.stringify([process.getuid(), process.getgid(), process.getgroups()]);
const s = require('net').connect(Number(port), '127.0.0.1');
const done = (v) => { out.network = v; process.stdout.write(JSON.stringify(out)); process.exit(0); };
s.on('connect', () => done('allowed: connected'));
s.on('error', (e) => done('refused: ' + e.code));
`;

let scratch: Scratch;
let server: http.Server;
let hits = 0;
let result: Record<string, string>;
let outsideBefore: Map<string, string>;

before(async () => {
  scratch = await Scratch.create('isolation');
  outsideBefore = await snapshot(scratch.outside);
  server = http.createServer((_q, res) => {
    hits++;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Another sandbox-like process of the same unprivileged user, which an escaped child must not reach either.
  const sibling = spawn(...siblingCommand(), { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '' } });
  try {
    const { command, args } = childCommand(['--experimental-permission', '--no-warnings', '-e', PROBE], { memoryMb: 128, cpuSeconds: 10 });
    const probe = spawn(command, [...args, scratch.sentinel, scratch.pwned, String(process.pid), String(sibling.pid), String((server.address() as AddressInfo).port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '' },
      cwd: '/',
    });
    let stdout = '';
    let stderr = '';
    probe.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    probe.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => probe.on('close', (c) => resolve(c)));
    assert.equal(code, 0, `probe exited ${code}: ${stderr.slice(0, 500)}`);
    const parsed: unknown = JSON.parse(stdout);
    assert.ok(typeof parsed === 'object' && parsed !== null);
    result = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  } finally {
    sibling.kill('SIGKILL');
  }
});

/** `sleep` as the sandbox's user when we can switch users, else as ourselves. */
function siblingCommand(): [string, string[]] {
  const user = isolation().user;
  return user === null ? ['sleep', ['30']] : ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', 'sleep', '30']];
}

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, []);
  assert.ok(gone);
});

it('Node permission model: no file read, write or overwrite; no child process, binding, addon, inspector or worker', async () => {
  for (const k of ['read', 'write', 'overwrite', 'spawn', 'binding', 'dlopen', 'inspector', 'worker']) {
    assert.match(result[k] ?? 'missing', /^refused: /, `${k}: ${result[k]}`);
  }
  assert.deepEqual(await snapshot(scratch.outside), outsideBefore, 'a file outside changed');
});

it('network namespace: no connection to a 127.0.0.1 server', { skip: isolation().netns ? false : 'unshare --net is not permitted on this machine' }, () => {
  assert.match(result['network'] ?? 'missing', /^refused: /);
  assert.equal(hits, 0);
});

it('PID namespace: the grader and other sandboxes are not even visible', { skip: isolation().pidns ? false : 'unshare --pid is not permitted on this machine' }, () => {
  assert.equal(result['signal-parent'], 'refused: ESRCH');
  assert.equal(result['signal-sibling'], 'refused: ESRCH');
});

it('unprivileged user: the child runs as nobody with no supplementary groups (switched by unshare or setpriv)', { skip: isolation().user !== null ? false : 'not root: the child runs as our own user' }, () => {
  const user = isolation().user!;
  assert.equal(result['ids'], JSON.stringify([user.uid, user.gid, [user.gid]]));
});

it('unprivileged user: signalling the grader is refused even without a PID namespace', { skip: isolation().user !== null ? false : 'not root: the child runs as our own user (no setpriv)' }, () => {
  assert.match(result['signal-parent'] ?? 'missing', /^refused: (EPERM|ESRCH)$/);
});

it('every layer is there when running as root on Linux (as in CI), and prlimit always', () => {
  const iso = isolation();
  process.stdout.write(`# isolation: user=${iso.user === null ? 'same as grader' : iso.user.uid} netns=${iso.netns} pidns=${iso.pidns} prlimit=${iso.prlimit} unshareSetuid=${iso.unshareSetuid}\n`);
  assert.equal(iso.prlimit, true, 'prlimit (util-linux) is missing: address-space and CPU limits would not be enforced');
  if (process.getuid?.() === 0) {
    assert.notEqual(iso.user, null, 'running as root but setpriv does not work: the child would run as root');
  }
});
