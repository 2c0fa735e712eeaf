/**
 * "Behaviour unchanged" (issue #14 item 9): grades the same workspaces with this tree's CLI and with another
 * revision's, at several seeds, and reports every grade result that differs.
 *
 *   node --import tsx scripts/compareGrades.ts --against <git-rev> [--seeds 1,2,3] [--only ID] [--keep DIR]
 *   node --import tsx scripts/compareGrades.ts --self [--seeds …] [--only ID] [--keep DIR]
 *
 * The workspaces are materialized once, from this tree: for every task in tasks/ the bug (the task's files as
 * given), the reference (solution edits applied) and every decoy that has edits; and every hostile case of
 * spec/hostile/cases/, as spec/hostile/submissions.spec.ts grades them: the case as the dropout task's
 * dropout.ts, its placeholders filled in, graded with the dropout task's limits replaced by the hostile ones.
 * Both sides grade these same directories, so every path in their output is the same. Each side grades with
 * its own tree's task YAML (the hostile variant is made from each side's own dropout task, written to one path
 * that the cases know as __TASK_FILE__) and runs its own `src/run.ts` through tsx, one `grade … --json --seed N`
 * call per (task, seed) with all of that task's workspaces. `--against` checks the revision out in a temporary
 * `git worktree add --detach` (node_modules symlinked), removed at the end, on failure and on SIGINT/SIGTERM
 * too. `--self` grades twice with this tree: a sanity run, and a test of run-to-run determinism.
 *
 * Results are matched by their `workspace` field (JSON Lines come in completion order) and compared as JSON
 * values. Ignored: the top-level `durationMs` of each result (wall-clock time), and nothing else. The exit
 * codes of the two calls are compared too.
 *
 * Output (stdout): one line per differing grade (workspace, seed, first differing JSON path, both values
 * shortened, the other differing paths), per differing exit code and per failed grading call, then
 * `N grades compared, D differ`. Progress and wall time go to stderr.
 * Exit: 0 identical, 1 some differ, 2 bad usage (unknown option or revision), 3 grading failed (a call gave no
 * result for some workspace, e.g. a crash or a task file missing on one side), 130 interrupted.
 *
 * The materialization reads the task YAML and the hostile cases directly rather than through src/ (loadTask,
 * initWorkspace) or spec/hostile/_support.ts (which imports the sandbox and the grader): the grader's internals
 * are what this script checks a refactoring of, so it must keep working while they change.
 */
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { hostileCases } from '../spec/hostile/hostileCases.ts';
import { describeDifference, gradeDifferences, type GradeLine, parseGradeLines } from './_gradeDiff.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE = 'usage: node --import tsx scripts/compareGrades.ts (--against <git-rev> | --self) [--seeds 1,2,3] [--only TASKID|hostile] [--keep DIR]';
const HOSTILE = 'hostile';
/** The task the hostile cases are submissions for, and the file they replace (spec/hostile/submissions.spec.ts). */
const HOSTILE_TASK = 'variance-dropout.yaml';
const HOSTILE_FILE = 'dropout.ts';
/** spec/hostile/_support.ts's LIMITS: loops and bombs end within seconds. */
const HOSTILE_LIMITS = { timeMs: 8000, memoryMb: 256, outputBytes: 8192, fileBytes: 65536 };

const run = promisify(execFile);

class UsageError extends Error {}
class Interrupted extends Error {}

const edit = z.looseObject({ file: z.string(), find: z.string(), replace: z.string() });
// Only what materializing needs; the grader validates the rest.
const taskData = z.looseObject({
  id: z.string(),
  files: z.array(z.looseObject({ path: z.string(), content: z.string() })),
  solution: z.looseObject({ edits: z.array(edit) }),
  decoys: z.array(z.looseObject({ name: z.string(), edits: z.array(edit) })).default([]),
});
type TaskData = z.infer<typeof taskData>;

/** One tree whose CLI grades: this one, or the revision's temporary worktree. */
interface Side {
  readonly label: string;
  readonly root: string;
  readonly argv: readonly string[];
}

interface Workspace {
  /** `<task id>/<bug|reference|decoy name>` or `hostile/<case>`: what a difference line names. */
  readonly name: string;
  readonly dir: string;
}

/** The workspaces of one task, graded in one call per side and seed. */
interface Group {
  readonly id: string;
  readonly workspaces: readonly Workspace[];
  /** The task file this side grades with (written first when it is made from the side's own task). */
  taskFile(side: Side): Promise<string>;
}

interface Call {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

interface Options {
  readonly against: string | undefined;
  readonly seeds: readonly number[];
  readonly only: string | undefined;
  readonly keep: string | undefined;
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { against: { type: 'string' }, self: { type: 'boolean' }, seeds: { type: 'string' }, only: { type: 'string' }, keep: { type: 'string' } },
    }).values;
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

function parseOptions(argv: readonly string[]): Options {
  const values = parseFlags(argv);
  if ((values.against === undefined) === (values.self !== true)) throw new UsageError('give exactly one of --against <git-rev> and --self');
  const seedText = values.seeds ?? '1,2,3';
  const seeds = seedText.split(',').map((s) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN));
  if (seeds.some((s) => !Number.isSafeInteger(s) || s > 0x7fffffff)) throw new UsageError(`--seeds: expected comma-separated integers in [0, 2^31), got "${seedText}"`);
  return { against: values.against, seeds, only: values.only, keep: values.keep };
}

/** How a tree's CLI is started: its TypeScript source through tsx, or its bin when it has no src/run.ts. */
function cliArgv(root: string): string[] {
  if (existsSync(path.join(root, 'src/run.ts'))) return ['--import', 'tsx', path.join(root, 'src/run.ts')];
  if (existsSync(path.join(root, 'bin/rltask.js'))) return [path.join(root, 'bin/rltask.js')];
  throw new UsageError(`${root} has neither src/run.ts nor bin/rltask.js`);
}

async function git(args: readonly string[]): Promise<string> {
  return (await run('git', ['-C', ROOT, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
}

async function resolveRev(rev: string): Promise<string> {
  if (rev.startsWith('-')) throw new UsageError(`--against: "${rev}" is not a revision`);
  try {
    return await git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    throw new UsageError(`--against: unknown revision "${rev}"`);
  }
}

/** The revision in a detached temporary worktree; `remove` is idempotent and never throws. */
async function checkOut(sha: string): Promise<{ root: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'rltask-compare-rev-'));
  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    await git(['worktree', 'remove', '--force', root]).catch(() => undefined);
    // A worktree git could not remove (or never registered) still must not stay behind.
    await rm(root, { recursive: true, force: true });
    await git(['worktree', 'prune']).catch(() => undefined);
  };
  try {
    await git(['worktree', 'add', '--quiet', '--detach', root, sha]);
    await symlink(await realpath(path.join(ROOT, 'node_modules')), path.join(root, 'node_modules'));
  } catch (e) {
    await remove();
    throw e;
  }
  return { root, remove };
}

async function readTask(file: string): Promise<TaskData> {
  const parsed = taskData.safeParse(parseYaml(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function applyEdits(files: ReadonlyMap<string, string>, edits: TaskData['solution']['edits'], what: string): Map<string, string> {
  const out = new Map(files);
  for (const e of edits) {
    const text = out.get(e.file);
    const at = text?.indexOf(e.find) ?? -1;
    if (text === undefined || at < 0 || text.indexOf(e.find, at + 1) >= 0) throw new Error(`${what}: the edit of ${e.file} does not apply (its find text must occur exactly once)`);
    out.set(e.file, text.slice(0, at) + e.replace + text.slice(at + e.find.length));
  }
  return out;
}

async function writeWorkspace(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  for (const [rel, content] of files) {
    const target = path.resolve(dir, rel);
    if (!target.startsWith(dir + path.sep)) throw new Error(`${rel} escapes its workspace`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content, { flag: 'wx', mode: 0o644 });
  }
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '_');
}

/** The task's bug, reference and decoys with edits, as workspaces under `root`. */
async function taskGroup(root: string, yamlName: string): Promise<Group> {
  const task = await readTask(path.join(ROOT, 'tasks', yamlName));
  const files = new Map(task.files.map((f) => [f.path, f.content]));
  const variants: [string, Map<string, string>][] = [
    ['bug', files],
    ['reference', applyEdits(files, task.solution.edits, `${yamlName} solution`)],
    // A decoy without edits is the bug again.
    ...task.decoys.filter((d) => d.edits.length > 0).map((d): [string, Map<string, string>] => [`decoy-${d.name}`, applyEdits(files, d.edits, `${yamlName} decoy ${d.name}`)]),
  ];
  const workspaces: Workspace[] = [];
  for (const [variant, contents] of variants) {
    const dir = path.join(root, safeName(task.id), safeName(variant));
    await writeWorkspace(dir, contents);
    workspaces.push({ name: `${task.id}/${variant}`, dir });
  }
  return { id: task.id, workspaces, taskFile: (side) => Promise.resolve(path.join(side.root, 'tasks', yamlName)) };
}

/** The dropout task's YAML with its `limits` block replaced, as spec/hostile/_support.ts's variantYaml does. */
function hostileVariant(text: string): string {
  const block = /^limits:\n(?: {2}.*\n)+/m;
  if (!block.test(text)) throw new Error(`${HOSTILE_TASK} has no limits block to replace`);
  const l = HOSTILE_LIMITS;
  return text.replace(block, `limits:\n  timeMs: ${l.timeMs}\n  memoryMb: ${l.memoryMb}\n  outputBytes: ${l.outputBytes}\n  fileBytes: ${l.fileBytes}\n`);
}

/** Every hostile case as the dropout task's workspace, placeholders filled in (spec/hostile/_support.ts). */
async function hostileGroup(root: string, port: number): Promise<Group> {
  const outside = path.join(root, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'sentinel.txt'), 'sentinel: must never change\n');
  const taskFile = path.join(outside, 'task.yaml');
  const task = await readTask(path.join(ROOT, 'tasks', HOSTILE_TASK));
  const files = new Map(task.files.map((f) => [f.path, f.content]));
  const workspaces: Workspace[] = [];
  for (const c of await hostileCases()) {
    const dir = path.join(root, HOSTILE, safeName(c.name));
    const source = c.source
      .replaceAll('__SENTINEL__', JSON.stringify(path.join(outside, 'sentinel.txt')))
      .replaceAll('__PWNED__', JSON.stringify(path.join(outside, 'pwned')))
      .replaceAll('__WORKSPACE__', JSON.stringify(dir))
      .replaceAll('__TASK_FILE__', JSON.stringify(taskFile))
      // The grader's parent, as in the spec: this process.
      .replaceAll('__PARENT_PID__', String(process.pid))
      .replaceAll('__PORT__', String(port));
    // A placeholder added to the cases but not here would silently turn a case into a syntax error.
    const left = [...source.matchAll(/__[A-Z][A-Z_]*__/g)].map((m) => m[0]).filter((p) => p !== '__LIKE_THIS__');
    if (left.length > 0) throw new Error(`hostile case ${c.name}: placeholder ${left[0]} is not filled in by this script`);
    await writeWorkspace(dir, new Map(files).set(HOSTILE_FILE, source));
    workspaces.push({ name: `${HOSTILE}/${c.name}`, dir });
  }
  return {
    id: HOSTILE,
    workspaces,
    async taskFile(side) {
      await writeFile(taskFile, hostileVariant(await readFile(path.join(side.root, 'tasks', HOSTILE_TASK), 'utf8')));
      return taskFile;
    },
  };
}

/** One `grade --json` call; a child killed by a signal reports the signal's name as its code. */
function grade(side: Side, taskFile: string, dirs: readonly string[], seed: number, signal: AbortSignal): Promise<Call> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...side.argv, 'grade', taskFile, ...dirs, '--json', '--seed', String(seed)], { cwd: side.root, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let failure: Error | undefined;
    child.on('error', (e) => {
      failure = e;
    });
    // 'close' comes after 'error' too: waiting for it means an interrupted grader has finished killing its
    // sandboxes before the workspaces are removed.
    child.on('close', (code, sig) => {
      if (signal.aborted) reject(new Interrupted());
      else if (failure !== undefined) reject(failure);
      else resolve({ code: code ?? sig ?? 'unknown', stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - started });
    });
  });
}

/** The call's result for every workspace, or why there is none to compare. */
function resultsOf(call: Call, workspaces: readonly Workspace[]): Map<string, GradeLine> | string {
  let results: Map<string, GradeLine>;
  try {
    results = parseGradeLines(call.stdout);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const missing = workspaces.filter((w) => !results.has(w.dir));
  const extra = [...results.keys()].filter((k) => !workspaces.some((w) => w.dir === k));
  if (missing.length > 0) return `no result for ${missing.length} of ${workspaces.length} workspaces (${missing[0]!.name}…)`;
  if (extra.length > 0) return `a result for an unknown workspace ${extra[0]}`;
  return results;
}

function oneLine(text: string, max = 300): string {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `…${flat.slice(-max)}`;
}

async function prepareRoot(keep: string | undefined): Promise<string> {
  if (keep === undefined) return mkdtemp(path.join(tmpdir(), 'rltask-compare-'));
  const root = path.resolve(keep);
  const entries = await readdir(root).catch(() => []);
  if (entries.length > 0) throw new UsageError(`--keep: ${root} is not empty`);
  await mkdir(root, { recursive: true });
  return root;
}

async function main(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const options = parseOptions(argv);
  const yamls = (await readdir(path.join(ROOT, 'tasks'))).filter((f) => f.endsWith('.yaml')).sort();
  const ids = new Map<string, string>();
  for (const y of yamls) ids.set((await readTask(path.join(ROOT, 'tasks', y))).id, y);
  if (options.only !== undefined && options.only !== HOSTILE && !ids.has(options.only)) {
    throw new UsageError(`--only: no task "${options.only}"; one of ${[...ids.keys(), HOSTILE].join(', ')}`);
  }
  const sha = options.against === undefined ? undefined : await resolveRev(options.against);

  const started = performance.now();
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const current: Side = { label: 'current', root: ROOT, argv: cliArgv(ROOT) };
    let other: Side;
    if (sha === undefined) other = { label: 'again', root: ROOT, argv: current.argv };
    else {
      const tree = await checkOut(sha);
      cleanups.push(tree.remove);
      other = { label: `${options.against ?? ''}@${sha.slice(0, 9)}`, root: tree.root, argv: cliArgv(tree.root) };
    }

    const root = await prepareRoot(options.keep);
    if (options.keep === undefined) cleanups.push(() => rm(root, { recursive: true, force: true }));
    // The network case phones this server; like the hostile spec, it must never be reached.
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('pwned');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    const groups: Group[] = [];
    for (const [id, y] of ids) if (options.only === undefined || options.only === id) groups.push(await taskGroup(root, y));
    if (options.only === undefined || options.only === HOSTILE) groups.push(await hostileGroup(root, port));

    const status = (await git(['status', '--porcelain', '--untracked-files=no'])).split('\n').filter((l) => l !== '').length;
    const head = (await git(['rev-parse', '--short=9', 'HEAD'])) + (status > 0 ? ` + ${status} uncommitted changes` : '');
    process.stderr.write(
      `comparing ${ROOT} (${head}) with ${sha === undefined ? 'itself' : `${other.label} in ${other.root}`}\n` +
        `${groups.reduce((n, g) => n + g.workspaces.length, 0)} workspaces in ${root} (${groups.map((g) => `${g.id} ${g.workspaces.length}`).join(', ')}); seeds ${options.seeds.join(', ')}\n`,
    );

    let compared = 0;
    let differ = 0;
    let codesDiffer = 0;
    let failed = 0;
    let step = 0;
    const total = groups.length * options.seeds.length;
    for (const group of groups) {
      const dirs = group.workspaces.map((w) => w.dir);
      for (const seed of options.seeds) {
        step++;
        const calls: Call[] = [];
        // The two sides grade back to back, so that a change in the machine's load hits both alike.
        for (const side of [current, other]) calls.push(await grade(side, await group.taskFile(side), dirs, seed, signal));
        const [a, b] = [calls[0]!, calls[1]!];
        process.stderr.write(
          `[${step}/${total}] ${group.id} seed ${seed}: ${dirs.length} workspaces — ${current.label} ${(a.ms / 1000).toFixed(1)} s (exit ${a.code}), ${other.label} ${(b.ms / 1000).toFixed(1)} s (exit ${b.code})\n`,
        );
        if (a.code !== b.code) {
          codesDiffer++;
          process.stdout.write(`${group.id} seed ${seed}: exit code ${current.label} ${a.code} ≠ ${other.label} ${b.code}\n`);
        }
        const left = resultsOf(a, group.workspaces);
        const right = resultsOf(b, group.workspaces);
        let usable = true;
        for (const [side, call, r] of [[current, a, left], [other, b, right]] as const) {
          if (typeof r !== 'string') continue;
          usable = false;
          failed++;
          process.stdout.write(`${group.id} seed ${seed}: grading failed on ${side.label} (exit ${call.code}): ${r}; stderr: ${oneLine(call.stderr)}\n`);
        }
        if (!usable || typeof left === 'string' || typeof right === 'string') continue;
        for (const w of group.workspaces) {
          compared++;
          const [d, ...more] = gradeDifferences(left.get(w.dir)!, right.get(w.dir)!);
          if (d === undefined) continue;
          differ++;
          // Only the first difference is shown in full; naming the others shows how far a change spread.
          const rest = more.length === 0 ? '' : ` (+${more.length} more: ${more.slice(0, 3).map((m) => m.path).join(', ')}${more.length > 3 ? ', …' : ''})`;
          process.stdout.write(`${w.name} seed ${seed} ${describeDifference(d, { left: current.label, right: other.label })}${rest}\n`);
        }
      }
    }
    // Not a difference between the sides, but what the hostile spec exists to catch: never let it pass quietly.
    if (hits > 0) process.stdout.write(`the 127.0.0.1 server of the network case got ${hits} request(s): a sandbox escape\n`);
    process.stderr.write(`wall time ${((performance.now() - started) / 1000).toFixed(1)} s${options.keep === undefined ? '' : `; workspaces kept in ${root}`}\n`);
    process.stdout.write(`${compared} grades compared, ${differ} differ\n`);
    if (failed > 0) return 3;
    return differ > 0 || codesDiffer > 0 ? 1 : 0;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // A second signal means "now": the temporary worktree may stay (`git worktree prune` removes its record).
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`compareGrades: ${sig}, stopping the grade and removing the temporary files\n`);
    controller.abort();
  });
}

main(process.argv.slice(2), controller.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof Interrupted || controller.signal.aborted) process.exitCode = 130;
    else if (e instanceof UsageError) {
      process.stderr.write(`compareGrades: ${e.message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`compareGrades: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 3;
    }
  },
);
