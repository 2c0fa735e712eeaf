import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pythonLauncher, pythonZygote } from '../../../src/runtime/python/pythonZygote.ts';
import { Oracle } from '../../../src/sandbox/Oracle.ts';
import type { OracleReply } from '../../../src/sandbox/protocol.ts';
import { Sandbox } from '../../../src/sandbox/Sandbox.ts';
import { isRunning } from '../../sandbox/_processes.ts';

/** Running processes whose real uid is `uid`. */
function processesOf(uid: number): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return /^Uid:\s+(\d+)/m.exec(status)?.[1] === String(uid) && isRunning(pid);
      } catch {
        return false;
      }
    });
}

// The sandbox alone, with code loaded straight into it (no static policy in front): what the submission could do
// if it got past the policy. Every probe returns a string the test reads.

const PROBES = `
import os, socket, sys

def uid():
    return f"{os.getuid()} {os.getgid()} {os.getgroups()}"

def net():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(("1.1.1.1", 53))
        return "connected"
    except OSError as e:
        return f"refused: {e}"

def read(p):
    try:
        with open(p, "rb") as f:
            return "read " + str(len(f.read()))
    except OSError as e:
        return f"denied: {type(e).__name__}"

def listdir(p):
    try:
        return ",".join(sorted(os.listdir(p)))
    except OSError as e:
        return f"denied: {type(e).__name__}"

def write(p):
    try:
        with open(p, "w") as f:
            f.write("x")
        return "wrote"
    except OSError as e:
        return f"denied: {type(e).__name__}"

def env():
    return ",".join(sorted(os.environ))

def caps():
    return [l for l in open("/proc/self/status").read().splitlines() if l.startswith(("Cap", "NoNewPrivs"))]

def touch(p):
    try:
        os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o666))
        return "created"
    except OSError as e:
        return f"denied: {type(e).__name__}"

def pids():
    return ",".join(sorted(n for n in os.listdir("/proc") if n.isdigit()))

def unix_sockets():
    return ",".join(l.split()[-1] for l in open("/proc/net/unix").read().splitlines()[1:] if len(l.split()) > 7)

def connect_abstract(name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(("\\0" + name).encode().ljust(108, b"\\0"))
        return "connected"
    except OSError as e:
        return f"refused: {type(e).__name__}"

def spin():
    while True:
        pass

def fork_spin():
    if os.fork() == 0:
        while True:
            pass
    while True:
        pass
`;

const program = (files: Record<string, string>, entry: string): string => JSON.stringify({ files, entry });

async function started(source: string): Promise<Sandbox> {
  const sandbox = await Sandbox.start({ memoryMb: 256, outputBytes: 65_536, cpuSeconds: 30 }, pythonLauncher);
  const loaded = await sandbox.load(program({ 'probes.py': source }, 'probes.py'), 'probes.py', 1, 30_000);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  return sandbox;
}

function value(r: OracleReply): unknown {
  assert.ok(r.ok, JSON.stringify(r));
  const v = r.value;
  if (v.type === 'string' || v.type === 'number' || v.type === 'boolean') return v.value;
  if (v.type === 'array') return v.items.map((i) => (i.type === 'string' ? i.value : i.type));
  return v;
}

describe('the Python sandbox', () => {
  let sandbox: Sandbox;
  let oracle: Oracle;
  let hostDir: string;
  const call = async (target: string, ...args: string[]): Promise<unknown> => value(await oracle.callExport(target, args));

  before(async () => {
    hostDir = mkdtempSync(path.join(tmpdir(), 'rltask-py-host-'));
    writeFileSync(path.join(hostDir, 'secret.txt'), 'secret');
    sandbox = await started(PROBES);
    oracle = new Oracle(sandbox, performance.now() + 120_000);
  });
  after(async () => {
    await sandbox.dispose();
    rmSync(hostDir, { recursive: true, force: true });
  });

  it('runs as a uid and gid of its own (not another live sandbox\'s, not nobody, not root), no supplementary groups, no capabilities, no_new_privs', async () => {
    const mine = String(await call('uid'));
    const [uid, gid, groups] = mine.split(' ');
    assert.equal(gid, uid);
    assert.equal(groups, '[]');
    assert.ok(Number(uid) > 0 && Number(uid) !== 65534, mine);
    const none = '0000000000000000';
    assert.deepEqual(await call('caps'), [`CapInh:\t${none}`, `CapPrm:\t${none}`, `CapEff:\t${none}`, `CapBnd:\t${none}`, `CapAmb:\t${none}`, 'NoNewPrivs:\t1']);
    const other = await started(PROBES);
    try {
      const theirs = String(value(await new Oracle(other, performance.now() + 30_000).callExport('uid', [])));
      assert.notEqual(theirs, mine);
    } finally {
      await other.dispose();
    }
  });

  it('has no network', async () => {
    assert.match(String(await call('net')), /^refused: /);
  });

  it('sees neither /work, nor the host /tmp, nor a home directory, nor the grader', async () => {
    assert.equal(await call('listdir', '/'), 'dev,lib,lib64,opt,proc,tmp,usr');
    assert.equal(await call('read', path.join(hostDir, 'secret.txt')), 'denied: FileNotFoundError');
    assert.equal(await call('listdir', '/work'), 'denied: FileNotFoundError');
    assert.equal(await call('listdir', '/tmp'), '');
    assert.equal(await call('listdir', '/root'), 'denied: FileNotFoundError');
    assert.equal(await call('listdir', '/opt/pylib'), 'numpy,numpy.libs');
  });

  it('cannot write anywhere: read-only binds, and a file size limit of 0 in its own tmpfs', async () => {
    assert.equal(await call('write', '/usr/lib/x'), 'denied: OSError');
    assert.equal(await call('write', '/opt/pylib/numpy/x'), 'denied: OSError');
    // Its own tmpfs too: RLIMIT_FSIZE is 0 (Python ignores SIGXFSZ, so the write fails with EFBIG instead).
    assert.equal(await call('write', '/tmp/x'), 'denied: OSError');
    assert.equal(await call('listdir', '/tmp'), 'x');
  });

  it('has a clean environment with single-threaded BLAS', async () => {
    assert.equal(await call('env'), 'LC_CTYPE,LD_LIBRARY_PATH,MKL_NUM_THREADS,OMP_NUM_THREADS,OPENBLAS_NUM_THREADS,PATH,PWD,PYTHONHASHSEED');
  });

  it('shares nothing with another sandbox: its own /tmp, /dev/shm and PID namespace, and not the zygote\'s socket', async () => {
    const other = await started(PROBES);
    try {
      const theirs = new Oracle(other, performance.now() + 30_000);
      const their = async (target: string, ...args: string[]): Promise<unknown> => value(await theirs.callExport(target, args));
      assert.equal(await their('touch', '/tmp/left-by-the-other'), 'created');
      assert.equal(await their('touch', '/dev/shm/left-by-the-other'), 'created');
      assert.equal(await call('listdir', '/dev/shm'), '');
      assert.ok(!String(await call('listdir', '/tmp')).includes('left-by-the-other'));
      // Its namespace's init and itself: no zygote, no other sandbox.
      assert.equal(await call('pids'), '1,2');
      assert.equal(await call('unix_sockets'), '');
      const zygote = await pythonZygote();
      assert.equal(await call('connect_abstract', zygote.name), 'refused: ConnectionRefusedError');
    } finally {
      await other.dispose();
    }
  });

  it('a child that spins (and forks) past its deadline is killed with its whole process tree', async () => {
    const spinner = await started(PROBES);
    const uid = Number(String(value(await new Oracle(spinner, performance.now() + 30_000).callExport('uid', []))).split(' ')[0]);
    try {
      await assert.rejects(new Oracle(spinner, performance.now() + 1500).callExport('fork_spin', []), { name: 'SubmissionFault' });
    } finally {
      await spinner.dispose();
    }
    // The sandboxed processes are the zygote's descendants, not the client's: found by their uid, their own.
    const deadline = Date.now() + 5000;
    while (processesOf(uid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(processesOf(uid), []);
  });
});
