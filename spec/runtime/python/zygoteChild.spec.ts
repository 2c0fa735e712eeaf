import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pythonLauncher, pythonZygote } from '../../../src/runtime/python/pythonZygote.ts';
import { InputFile } from '../../../src/sandbox/_inputFile.ts';
import { Oracle } from '../../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../../src/sandbox/Sandbox.ts';
import { markImmutable } from '../../../src/immutableArrays.ts';

// A Python sandbox is asked of the zygote over three connections of the grading process's own (request, channel,
// output): no process of the grader's starts it, and the zygote holds nothing of a request that never completes.

const OPTIONS = { memoryMb: 256, outputBytes: 65_536, cpuSeconds: 30 };

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The zygote's Python process: bubblewrap's, below its PID namespace's init. */
async function zygoteProcess(): Promise<number> {
  const bwrap = (await pythonZygote()).pid;
  const init = children(bwrap)[0];
  const python = init === undefined ? undefined : children(init)[0];
  assert.ok(python !== undefined, 'the zygote runs under bubblewrap');
  return python;
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** Wait until `f()` is `want` (the zygote handles connections in its own time); returns the last value. */
async function settle<T>(f: () => T, want: T, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  let got = f();
  while (got !== want && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
    got = f();
  }
  return got;
}

/** One connection to the zygote that sends `line` and returns everything it answers. */
function ask(name: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: `\0${name}` });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(answer));
    socket.write(line);
  });
}

/** Load a module into `sandbox` and call its `f(x)`, which doubles `x` (a number, or a sum of an array's). */
async function echo(sandbox: Sandbox, x: number | Float64Array = 21): Promise<unknown> {
  const source = 'def f(x):\n    return float(x.sum()) * 2 if hasattr(x, "sum") else x * 2\n';
  const loaded = await sandbox.load(JSON.stringify({ files: { 'm.py': source }, entry: 'm.py' }), 'm.py', 1, 30_000);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  const reply = await new Oracle(sandbox, performance.now() + 30_000).callExport('f', [x]);
  assert.ok(reply.ok, JSON.stringify(reply));
  return reply.value.type === 'number' ? reply.value.value : reply.value;
}

describe('the zygote starts sandboxed processes for the grading process itself', () => {
  let zygote: number;
  let baseline: number;

  before(async () => {
    // A first sandbox starts the zygote and has it import numpy.
    const first = await Sandbox.start(OPTIONS, pythonLauncher);
    await first.dispose();
    zygote = await zygoteProcess();
    // The sandbox's end reaches the grader as its namespace dies, which may be before the zygote has reaped it and
    // closed what it held for it: the baseline is taken once the zygote has no child and its count holds still.
    await settle(() => children(zygote).length, 0);
    baseline = openFds(zygote);
    for (let still = 0; still < 4; ) {
      await new Promise((r) => setTimeout(r, 25));
      const now = openFds(zygote);
      still = now === baseline ? still + 1 : 0;
      baseline = now;
    }
  });
  after(async () => {
    assert.equal(await settle(() => openFds(zygote), baseline), baseline, 'the zygote holds descriptors of requests that ended');
  });

  it('without a process of the grader\'s in between: the grader has no more children while a sandbox runs', async () => {
    const before = children(process.pid).length;
    const sandbox = await Sandbox.start(OPTIONS, pythonLauncher);
    try {
      assert.equal(await echo(sandbox), 42);
      assert.equal(children(process.pid).length, before);
      assert.equal(sandbox.pid, undefined);
    } finally {
      await sandbox.dispose();
    }
  });

  it('refuses a malformed request, saying why, and drops a request whose connections never all arrive', async () => {
    const { name } = await pythonZygote();
    assert.match(await ask(name, 'R{"program": "harness"\n'), /^error /);
    assert.match(await ask(name, `R${JSON.stringify({ program: 'harness', uid: 12345, addressSpace: 1 << 30, cpuSeconds: 5, nproc: 8, id: 'not an id' })}\n`), /^error refused id/);
    assert.match(await ask(name, 'Xwhat\n'), /^error unknown header/);
    // A channel and an output whose request never comes: the zygote lets go of both once their grader closes them.
    const id = 'ab'.repeat(16);
    const parts = [net.connect({ path: `\0${name}` }), net.connect({ path: `\0${name}` })];
    parts[0]!.write(`C${id}\n`);
    parts[1]!.write(`O${id}\n`);
    await settle(() => openFds(zygote), baseline + 2);
    assert.equal(openFds(zygote), baseline + 2);
    for (const p of parts) p.destroy();
    assert.equal(await settle(() => openFds(zygote), baseline), baseline);
    // …and goes on serving.
    const sandbox = await Sandbox.start(OPTIONS, pythonLauncher);
    try {
      assert.equal(await echo(sandbox), 42);
    } finally {
      await sandbox.dispose();
    }
  });

  it('holds a batch\'s input file from its first sandbox until the file is closed', async () => {
    const file = InputFile.open();
    assert.ok(file !== null);
    const x = markImmutable(new Float64Array([1, 2, 3.5]));
    for (let i = 0; i < 2; i++) {
      const sandbox = await Sandbox.start({ ...OPTIONS, inputFile: file }, pythonLauncher);
      try {
        // The array is read from the file (fd 4), not sent through the channel.
        assert.equal(await echo(sandbox, x), 13);
        assert.equal(file.size, x.byteLength);
      } finally {
        await sandbox.dispose();
      }
    }
    // Registered once, for both.
    assert.equal(await settle(() => openFds(zygote), baseline + 1), baseline + 1);
    file.close();
    assert.equal(await settle(() => openFds(zygote), baseline), baseline);
  });
});
