import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { dropoutTask } from '../_helpers.ts';
import { call, dropoutFiles, TOKEN } from '../server/_server.ts';
import { spawnCli, until } from './_spawnCli.ts';

const env = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e['RLTASK_API_TOKEN'];
  return { ...e, ...extra };
};

/** Every process whose parent chain leads to `root` (read from /proc). */
async function descendants(root: number): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // Exited meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

describe('rltask serve', () => {
  it('prints exactly one line when listening; SIGTERM answers the grades in flight, kills every child and exits 0', async () => {
    const spec = await dropoutTask();
    const server = spawnCli(['serve', '--port', '0', '--concurrency', '2', '--drain-seconds', '60'], 120_000, env({ RLTASK_API_TOKEN: TOKEN }));
    assert.ok(await until(() => server.output().stdout.includes('\n'), 30_000), server.output().stderr);
    const { stdout } = server.output();
    assert.match(stdout, /^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    const url = stdout.trim().replace('listening on ', '');
    const bodies = [dropoutFiles(spec, 'reference'), dropoutFiles(spec, 'bug'), dropoutFiles(spec, 'reference')].map((files) => ({ task: 'variance-dropout', files }));
    const inFlight = bodies.map((b) => call(`${url}/v1/grade`, 'POST', b));
    // Grading has started: children of the server exist.
    const seen = new Set<number>();
    assert.ok(
      await until(async () => {
        for (const p of await descendants(server.pid)) seen.add(p);
        return seen.size > 0;
      }, 30_000),
      'no sandbox child appeared',
    );
    server.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    assert.deepEqual(answers.map((a) => [a.status, (a.json() as { status: string }).status]), [[200, 'passed'], [200, 'failed'], [200, 'passed']]);
    const exited = await server.exited;
    assert.equal(exited.code, 0, exited.stderr);
    assert.equal(exited.stdout, stdout, 'nothing else on stdout');
    assert.match(exited.stderr, /rltask serve: draining \(up to 60 s\)/);
    // JSON log lines on stderr, one per request.
    assert.equal(exited.stderr.split('\n').filter((l) => l.includes('"msg":"request"') && l.includes('"url":"/v1/grade"')).length, 3);
    for (const p of seen) assert.equal(await alive(p), false, `child ${p} outlived the server`);
  });

  it('exit 2 without a token, and for --no-auth on a non-loopback host', async () => {
    const noToken = spawnCli(['serve', '--port', '0'], 30_000, env());
    const a = await noToken.exited;
    assert.equal(a.code, 2);
    assert.match(a.stderr, /RLTASK_API_TOKEN is not set/);
    const open = spawnCli(['serve', '--port', '0', '--host', '0.0.0.0', '--no-auth'], 30_000, env());
    const b = await open.exited;
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--host 0\.0\.0\.0: serving without a token is only allowed on a loopback address/);
    const badTasks = spawnCli(['serve', '--port', '0', '--no-auth', '--tasks', 'spec'], 30_000, env());
    const c = await badTasks.exited;
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--tasks spec: no task files/);
  });

  it('serves without auth on loopback with --no-auth', async () => {
    const server = spawnCli(['serve', '--port', '0', '--no-auth'], 60_000, env());
    try {
      assert.ok(await until(() => server.output().stdout.includes('\n'), 30_000), server.output().stderr);
      const url = server.output().stdout.trim().replace('listening on ', '');
      const r = await call(`${url}/v1/tasks`, 'GET', undefined, { token: null });
      assert.equal(r.status, 200);
    } finally {
      server.kill('SIGTERM');
      assert.equal((await server.exited).code, 0);
    }
  });
});
