import { execFile } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { z } from 'zod';
import { RltaskError } from '../../errors.ts';
import type { SandboxOptions } from '../../sandbox/Sandbox.ts';

/** Where the child sees the interpreter, and numpy (with the libraries its wheel bundles) beside it. */
const PY_ROOT = '/opt/python';
const PY_LIB = '/opt/pylib';
/** The interpreter and numpy reserve this much address space before the submission allocates anything. */
const PYTHON_BASELINE_MB = 1024;
/** Processes (threads count) of the child's uid, its own (sandboxUid.ts): a fork bomb stops here, and only itself. */
const NPROC = 512;

/** The host's Python as the probe reports it: the files the child needs, bound read-only. */
const probeSchema = z.strictObject({
  executable: z.string().min(1),
  version: z.string(),
  stdlib: z.string().min(1),
  libpython: z.string().nullable(),
  numpy: z.string().min(1),
  numpyLibs: z.string().nullable(),
});
export type PythonInstall = z.output<typeof probeSchema>;

// numpy is found, not imported: importing it would cost every cold grade its import a second time (the sandbox
// imports it anyway, and says so if that fails).
const PROBE = `
import json, os, sys, sysconfig, importlib.util
spec = importlib.util.find_spec('numpy')
if spec is None or spec.origin is None:
    raise ModuleNotFoundError("No module named 'numpy'")
lib = sysconfig.get_config_var('LIBDIR') or ''
so = sysconfig.get_config_var('INSTSONAME') or ''
libpython = os.path.join(lib, so) if sysconfig.get_config_var('Py_ENABLE_SHARED') and so and os.path.exists(os.path.join(lib, so)) else None
np_dir = os.path.dirname(os.path.realpath(spec.origin))
libs = os.path.join(os.path.dirname(np_dir), 'numpy.libs')
print(json.dumps({'executable': os.path.realpath(sys.executable), 'version': '%d.%d' % sys.version_info[:2],
  'stdlib': os.path.realpath(sysconfig.get_paths()['stdlib']), 'libpython': libpython and os.path.realpath(libpython),
  'numpy': np_dir, 'numpyLibs': libs if os.path.isdir(libs) else None}))
`;

function run(command: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: timeoutMs, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr, missing: error !== null && error.code === 'ENOENT' });
    });
  });
}

let install: Promise<PythonInstall> | undefined;
let chosen: string | undefined;

/**
 * Run Python tasks with `executable` (a path, or a name looked up on PATH) instead of `RLTASK_PYTHON` or
 * `python3`: the CLI's `--python PATH`. Takes effect for the Python children started after it (call it before
 * grading); the interpreter is checked when the first of them starts.
 *
 * @example
 * usePython('/usr/local/bin/python3.12');
 * const result = await gradeWorkspace(await loadTask('tasks/variance-dropout-py.yaml'), '/tmp/ws');
 */
export function usePython(executable: string): void {
  if (executable === '') throw new RltaskError('E_USAGE', 'the Python interpreter must be a path or a command name, not an empty string');
  if (executable !== chosen) install = undefined;
  chosen = executable;
}

/** `usePython`'s choice, else `RLTASK_PYTHON` (when not empty), else `python3`; and how a person changes it. */
function pythonChoice(): { readonly python: string; readonly change: string } {
  if (chosen !== undefined) return { python: chosen, change: 'pass --python a Python 3 with numpy' };
  const env = process.env['RLTASK_PYTHON'];
  return { python: env === undefined || env === '' ? 'python3' : env, change: 'set RLTASK_PYTHON, or pass --python, to a Python 3 with numpy' };
}

/**
 * The Python that runs submissions (see pythonChoice), checked once per process (numpy must be found), and
 * bubblewrap, without which no Python child is started (there is no weaker fallback).
 */
export function pythonInstall(): Promise<PythonInstall> {
  install ??= (async () => {
    const { python, change } = pythonChoice();
    const [bwrap, probe] = await Promise.all([run('bwrap', ['--version'], 10_000), run(python, ['-I', '-c', PROBE], 30_000)]);
    if (bwrap.code !== 0) {
      throw new RltaskError('E_INTERNAL', 'runtime python needs bubblewrap to sandbox submissions and `bwrap` was not found: apt-get install bubblewrap (or your distribution\'s bubblewrap package)');
    }
    if (probe.missing) throw new RltaskError('E_INTERNAL', `runtime python: ${python} was not found (${change})`);
    if (probe.code !== 0) {
      const why = /No module named '?numpy/.test(probe.stderr) ? 'numpy is not importable' : probe.stderr.trim().split('\n').slice(-1)[0] ?? `exit code ${probe.code}`;
      throw new RltaskError('E_INTERNAL', `runtime python: ${python} cannot run submissions: ${why} (${change})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(probe.stdout);
    } catch {
      throw new RltaskError('E_INTERNAL', `runtime python: ${python} printed no description of itself`);
    }
    const result = probeSchema.safeParse(parsed);
    if (!result.success) throw new RltaskError('E_INTERNAL', `runtime python: ${python} described itself unexpectedly: ${result.error.message}`);
    return result.data;
  })();
  install.catch(() => undefined);
  return install;
}

/** `/lib`-like top-level directories: symlinked as on the host (usr-merged systems) or bound read-only. */
function systemLibraries(): string[] {
  const args: string[] = ['--ro-bind', '/usr/lib', '/usr/lib'];
  if (existsSync('/usr/lib64')) args.push('--ro-bind', '/usr/lib64', '/usr/lib64');
  for (const dir of ['/lib', '/lib64', '/lib32']) {
    if (!existsSync(dir)) continue;
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) args.push('--symlink', `usr${dir}`, dir);
    else args.push('--ro-bind', dir, dir);
  }
  return args;
}

/**
 * bubblewrap's arguments for the zygote (pythonZygote.ts): fresh pid, ipc, uts (and cgroup) namespaces, a root
 * holding only the system's shared libraries, the interpreter with its standard library and numpy (all
 * read-only), a private tmpfs /tmp and a clean environment. The zygote keeps the grader's network namespace (its
 * clients reach it at an abstract socket there) and, as the grader's root, the capabilities it needs to isolate
 * each sandboxed process further (new namespaces, its own uid): nothing else is in the sandbox's view.
 */
export function zygoteBwrapArgs(py: PythonInstall): string[] {
  const stdlibInside = `${PY_ROOT}/lib/python${py.version}`;
  return [
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--setenv', 'PATH', '/usr/bin:/bin',
    '--setenv', 'LD_LIBRARY_PATH', `${PY_ROOT}/lib`,
    '--setenv', 'OPENBLAS_NUM_THREADS', '1',
    '--setenv', 'OMP_NUM_THREADS', '1',
    '--setenv', 'MKL_NUM_THREADS', '1',
    '--setenv', 'PYTHONHASHSEED', '0',
    // malloc keeps freed memory for reuse instead of returning it at once (large arrays were mapped and unmapped
    // on every call, a page fault per page each time), and backs its heap with transparent huge pages where the
    // host allows them on request (a fresh fork takes one page fault per 2 MB of new heap instead of one per
    // 4 KB; numpy's own request covered only the 2 MB-aligned middle of each large array). Read by glibc when the
    // zygote starts, inherited by every fork, and removed from the environment by the zygote (its children's
    // environment stays the list above).
    '--setenv', 'GLIBC_TUNABLES', 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456:glibc.malloc.hugetlb=1',
    '--hostname', 'sandbox',
    // Only what the zygote uses to isolate its children: mount (/tmp, /proc), setuid/setgid, drop the bounding set.
    ...['CAP_SYS_ADMIN', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP'].flatMap((cap) => ['--cap-add', cap]),
    // bwrap makes a bind's missing parents with its source's parents' modes (0700 under a home directory).
    ...['/usr', '/opt', `${PY_ROOT}`, `${PY_ROOT}/bin`, `${PY_ROOT}/lib`, PY_LIB].flatMap((dir) => ['--perms', '0755', '--dir', dir]),
    ...systemLibraries(),
    '--ro-bind', py.executable, `${PY_ROOT}/bin/python3`,
    '--ro-bind', py.stdlib, stdlibInside,
    // The standard library's own site-packages (the host's installed packages, .pth files) is hidden.
    '--tmpfs', `${stdlibInside}/site-packages`,
    ...(py.libpython === null ? [] : ['--ro-bind', py.libpython, `${PY_ROOT}/lib/${py.libpython.split('/').pop() ?? 'libpython.so'}`]),
    '--ro-bind', py.numpy, `${PY_LIB}/numpy`,
    ...(py.numpyLibs === null ? [] : ['--ro-bind', py.numpyLibs, `${PY_LIB}/numpy.libs`]),
    // Where glibc reads whether the host has transparent huge pages (without it, `hugetlb=1` above does nothing).
    // Read-only, and unmounted by the zygote as it starts (_zygote.py), before any sandboxed process exists.
    '--ro-bind-try', '/sys/kernel/mm/transparent_hugepage', '/sys/kernel/mm/transparent_hugepage',
    '--proc', '/proc',
    '--dev', '/dev',
    '--perms', '1777', '--tmpfs', '/tmp',
    '--chdir', '/tmp',
    '--',
    `${PY_ROOT}/bin/python3`,
    '-I',
    '-S',
    '-B',
    '-u',
  ];
}

/** What a sandboxed process may use: address space on top of the interpreter's and numpy's, CPU time, processes. */
export function sandboxLimits(options: Pick<SandboxOptions, 'memoryMb' | 'cpuSeconds'>): { addressSpace: number; cpuSeconds: number; nproc: number } {
  return { addressSpace: (options.memoryMb + PYTHON_BASELINE_MB) * 1024 * 1024, cpuSeconds: options.cpuSeconds, nproc: NPROC };
}
