# The pre-forking parent of the Python sandboxes (src/runtime/python/pythonZygote.ts starts it): it runs inside
# bubblewrap like a sandbox child, imports numpy and the harness's modules once, and per submission forks a
# process that isolates itself again before any byte of the submission exists in it. Trusted code only: it never
# reads a submission; its clients are the grader's own processes (checked by SO_PEERCRED), which reach it at an
# abstract Unix socket named on its command line: the zygote shares the grader's network namespace for that,
# every sandboxed process gets a new one (where the name means nothing).
#
# A request comes one of two ways. The grading process itself (src/runtime/python/_zygoteChild.ts) opens three
# connections, each starting with a header line naming the same random id: the request ("R" + JSON), the
# channel ("C" + id) and the output ("O" + id); the channel and the output connections become the sandboxed
# process's fd 3 and its stdout and stderr, and an input file registered before (below) its fd 4. No process is
# started outside the sandbox for it. A client (src/runtime/python/_zygoteClient.py, for the tools, and once per
# batch to register its input file: {"op": "input", "id": ...}, forgotten on "F" + id) passes its stdio, channel
# and input file by SCM_RIGHTS instead. Then:
#   W2 (the zygote's child, made by clone(2) in new mount, PID, network, IPC and UTS namespaces: PID 1 of its
#      own): moves the passed descriptors to 0..k and closes every other; makes its mounts private, mounts its
#      own /tmp, /dev/shm and /proc; forks W3 and reaps every orphan until W3 ends, then reports W3's status to
#      the zygote through a pipe. Its namespace, and everything left in it, dies with it.
#   W3: its own session; rlimits (address space, CPU, processes, file size 0, no core); no supplementary groups,
#      the leased uid and gid (which clears every capability), an empty bounding and ambient set, no_new_privs;
#      checks all of that in /proc/self/status; then runs the program (the harness, or a tool) from its code
#      object, compiled once here.
# The zygote answers each request (on its request connection) with W3's end ("exit <code>" or "signal <n>";
# "error <why>" for a refused request); a request whose connection closes (the grader's kill: a timeout, the
# grade's end) has its W2 killed, and with it the namespace.
import ctypes
import errno
import fcntl
import gc
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import time

# What the harness and the tools import, paid once here instead of once per submission.
import ast  # noqa: F401
import builtins  # noqa: F401
import importlib.abc  # noqa: F401
import importlib.util  # noqa: F401
import linecache  # noqa: F401
import math  # noqa: F401
import random  # noqa: F401
import traceback  # noqa: F401
import types  # noqa: F401

sys.path.append('/opt/pylib')
# glibc read its malloc settings at this process's start (pythonSandbox.ts); its children inherit them, not the variable.
os.environ.pop('GLIBC_TUNABLES', None)


numpy_failed = None


def import_numpy():
    """numpy, once: before the first harness is forked, or as soon as the zygote is idle after its start. The
    tools (the task files' analysis, the mutator) do not need it and do not wait for it. A failed import refuses
    every harness, saying why."""
    global numpy_failed
    if 'numpy' in sys.modules or numpy_failed is not None:
        return
    try:
        import numpy  # noqa: F401
        # numpy imports numpy.random on first use: in every harness (it seeds it), and in nearly every submission.
        import numpy.random  # noqa: F401
    except BaseException as e:
        numpy_failed = f'numpy cannot be imported in the sandbox: {type(e).__name__}: {e}'

MAX_REQUEST = 4096
MAX_FDS = 5
ID_CHARS = frozenset('0123456789abcdef')
# A request whose three connections have not all arrived by then is dropped (its grader gave up long before).
GROUP_TIMEOUT_S = 30

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
# The host's transparent-huge-page settings, bound read-only into the zygote's view (pythonSandbox.ts) for glibc's
# malloc to read as the zygote starts, and gone from it before any sandboxed process exists (forget_thp_settings).
THP_SETTINGS = '/sys/kernel/mm/transparent_hugepage'
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

libc = ctypes.CDLL(None, use_errno=True)
# fork(2) called with the GIL held (PyDLL), not os.fork(): CPython's after-fork work in the child (its runtime's
# locks, the threading and random modules' hooks) touches pages all over the interpreter's memory, each a
# copy-on-write fault, and costs a child several times what the fork itself does. This process is single-threaded
# (OpenBLAS with one thread, no threading), so that work has nothing to repair; every stream a child's program can
# draw from is seeded by the harness before the submission runs.
_fork = ctypes.PyDLL(None, use_errno=True).fork
_fork.restype = ctypes.c_int
_fork.argtypes = []
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def forget_thp_settings():
    """Unmount the settings glibc has read and remove the directories bubblewrap made for them: the view every
    sandboxed process inherits is again only the runtime, numpy and the system's libraries."""
    if not os.path.isdir(THP_SETTINGS):
        return
    check(libc.umount2(THP_SETTINGS.encode(), MNT_DETACH), f'umount {THP_SETTINGS}')
    for d in (THP_SETTINGS, '/sys/kernel/mm', '/sys/kernel', '/sys'):
        os.rmdir(d)


class CapHeader(ctypes.Structure):
    _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32), ('inheritable', ctypes.c_uint32)]


_LINUX_CAPABILITY_VERSION_3 = 0x20080522


# Made once here, like everything a sandboxed process's set-up can take ready-made: in a fresh fork, the first use
# of any part of the interpreter costs page faults.
_CAP_HEADER = CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
_NO_CAPS = (CapData * 2)()


def clear_capabilities():
    # The uid switch empties the permitted and effective sets, not the inheritable one bubblewrap filled.
    check(libc.capset(ctypes.byref(_CAP_HEADER), _NO_CAPS), 'capset')


# clone(2)'s system call number, for the architectures whose arguments after the flags may all be 0 (no new stack:
# the child returns on a copy of the caller's, as with fork).
_SYS_CLONE = {'x86_64': 56, 'aarch64': 220, 'riscv64': 220, 'ppc64le': 120}.get(os.uname().machine)
_syscall = ctypes.PyDLL(None, use_errno=True).syscall
_syscall.restype = ctypes.c_long
NEW_NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS


def clone_into_namespaces():
    """fork() into new namespaces, the child PID 1 of its own PID namespace: clone(2) called directly, with the
    GIL held, like fork() above (one process, where unshare() and a fork took two). glibc's wrapper is not used, so
    the child's record of its own thread id is the zygote's: W2 runs only this file's code, which never asks for it
    (no raise(), no thread), and its own fork gives W3 a correct one."""
    if _SYS_CLONE is None:
        raise OSError(errno.ENOSYS, f'no clone(2) calling convention known for {os.uname().machine}')
    pid = _syscall(ctypes.c_long(_SYS_CLONE), ctypes.c_ulong(NEW_NAMESPACES | signal.SIGCHLD), None, None, None, None)
    if pid < 0:
        err = ctypes.get_errno()
        raise OSError(err, f'clone: {os.strerror(err)}')
    return pid


def fork():
    pid = _fork()
    if pid < 0:
        err = ctypes.get_errno()
        raise OSError(err, f'fork: {os.strerror(err)}')
    return pid


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f'{what}: {os.strerror(err)}')


def mount(source, target, fstype, flags, data=None):
    check(libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags, data and data.encode()), f'mount {target}')


# ---- one worker --------------------------------------------------------------------------------------------

def fail(message, code=121):
    # Before the program runs, stderr is the grade's output pipe: the grader reports it as the sandbox's failure.
    try:
        os.write(2, f'rltask sandbox setup failed: {message}\n'.encode())
    finally:
        os._exit(code)


def place_fds(fds):
    """Move the passed descriptors to 0..k (in order) and close every other descriptor."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in fds]
    for i, fd in enumerate(high):
        os.dup2(fd, i, inheritable=True)
    os.closerange(len(high), 1 << 20)
    # The programs read with blocking reads; a passed socket may be non-blocking (the flag belongs to the open
    # socket, shared with every copy of its descriptor: the zygote's own are).
    for fd in range(len(high)):
        os.set_blocking(fd, True)


def w2(fds, request, code, status_w):
    # The request's descriptors become 0..k-1 and W3's status pipe k: from here on, fd 2 is the grade's output.
    place_fds([*fds, status_w])
    status_w = len(fds)
    try:
        # Should the zygote die before this line, its PID namespace's end takes this one with it.
        check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), 'prctl(PDEATHSIG)')
        mount(None, '/', None, MS_REC | MS_PRIVATE)
        mount('tmpfs', '/tmp', 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777')
        if os.path.isdir('/dev/shm'):
            mount('tmpfs', '/dev/shm', 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=1777')
        mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError as e:
        fail(str(e))
    pid = fork()
    if pid == 0:
        os.close(status_w)
        w3(request, code)
    status = 125 << 8
    while True:
        try:
            done, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if done == pid:
            status = st
            break
    os.write(status_w, struct.pack('<i', status))
    os._exit(0)


def w3(request, code):
    uid = request['uid']
    try:
        os.setsid()
        os.chdir('/tmp')
        for res, value in ((resource.RLIMIT_AS, request['addressSpace']), (resource.RLIMIT_CPU, request['cpuSeconds']),
                           (resource.RLIMIT_NPROC, request['nproc']), (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(res, (value, value))
        for cap in range(LAST_CAP + 1):
            check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), 'prctl(CAPBSET_DROP)')
        check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), 'prctl(CAP_AMBIENT)')
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        clear_capabilities()
        check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'prctl(NO_NEW_PRIVS)')
        verify(uid)
    except OSError as e:
        fail(str(e))
    main = types.ModuleType('__main__')
    sys.modules['__main__'] = main
    if request['program'] == 'harness':
        # The harness answers `analyze` with it, before the submission's code exists in the process.
        main.__dict__['_rltask_analyzer'] = programs['analyze']
    # The cycle collector leaves what the zygote made alone: a full collection in the program would otherwise
    # walk the interpreter's and numpy's objects too (all alive for the process's whole life), at every grade.
    gc.freeze()
    status = 0
    try:
        exec(code, main.__dict__)
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            status = e.code or 0
        else:
            sys.stderr.write(f'{e.code}\n')
            status = 1
    except BaseException:
        traceback.print_exc()
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(status & 0xFF)


def read_proc(path):
    # os.read, not open(): a text file object is several objects and a codec lookup, each a first use here.
    fd = os.open(path, os.O_RDONLY)
    try:
        data = b''
        while chunk := os.read(fd, 65536):
            data += chunk
    finally:
        os.close(fd)
    return data.decode('ascii', 'replace')


LAST_CAP = int(read_proc('/proc/sys/kernel/cap_last_cap'))


def verify(uid):
    """What the kernel says this process is, before the program runs: anything else is a setup failure."""
    fields = dict(line.split(':', 1) for line in read_proc('/proc/self/status').splitlines() if ':' in line)
    ids = [int(v) for v in fields['Uid'].split()] + [int(v) for v in fields['Gid'].split()]
    if ids != [uid] * 8:
        fail(f'uid/gid not switched: {fields["Uid"].strip()} / {fields["Gid"].strip()}')
    for cap in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'):
        if int(fields[cap], 16) != 0:
            fail(f'{cap} is {fields[cap].strip()}')
    if fields['NoNewPrivs'].strip() != '1' or fields['Groups'].strip() != '':
        fail('no_new_privs or supplementary groups not set')


# ---- the zygote ----------------------------------------------------------------------------------------------

def abstract_address(name):
    return ('\0' + name).encode().ljust(108, b'\0')


def parse_id(value):
    if not isinstance(value, str) or len(value) != 32 or not set(value) <= ID_CHARS:
        raise ValueError(f'refused id {value!r}')
    return value


def parse_request(request, nfds):
    """A request as JSON parsed it, checked."""
    if not isinstance(request, dict):
        raise ValueError('a request is an object')
    if 'id' in request:
        parse_id(request['id'])
    if 'input' in request and request['input'] is not None:
        parse_id(request['input'])
    uid = request.get('uid')
    if not isinstance(uid, int) or not 0 < uid < 0xFFFFFFFF or uid == os.getuid():
        raise ValueError(f'refused uid {uid!r}')
    for key in ('addressSpace', 'cpuSeconds', 'nproc'):
        if not isinstance(request.get(key), int) or request[key] <= 0:
            raise ValueError(f'{key} must be a positive integer')
    if request.get('program') not in programs:
        raise ValueError(f'unknown program {request.get("program")!r}')
    if not 3 <= nfds <= MAX_FDS:
        raise ValueError(f'{nfds} descriptors passed')
    return request


def serve(name):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Node names an abstract socket with the whole of sun_path, NUL-padded (108 bytes): so does everyone here.
    listener.bind(abstract_address(name))
    listener.listen(64)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, ('accept', None))
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, ('stdin', None))
    state = State(sel)
    os.write(1, b'ready\n')
    while True:
        if 'numpy' not in sys.modules and numpy_failed is None:
            timeout = 0
        elif state.groups:
            timeout = max(0.0, min(g.created for g in state.groups.values()) + GROUP_TIMEOUT_S - time.monotonic())
        else:
            timeout = None
        events = sel.select(timeout=timeout)
        for group in [g for g in state.groups.values() if g.created + GROUP_TIMEOUT_S <= time.monotonic()]:
            state.drop(group)
        if not events:
            import_numpy()
            continue
        for key, _ in events:
            kind, data = key.data
            if kind == 'stdin':
                # The grader closed our stdin (or died): stop, taking every worker down.
                for worker in state.workers:
                    kill(worker.pid)
                os._exit(0)
            if kind == 'accept':
                accept(listener, state)
            elif kind == 'part':
                # A connection of a request still incomplete says nothing more: readable means its grader closed it.
                # (The record says whether it is still pending: this batch of events may have launched it.)
                if data.pending:
                    state.drop(data)
            elif kind == 'client':
                # A request's connection says nothing after its request: readable means it is gone (killed, or
                # finished). The record, not a descriptor number (reused once closed, even within one batch of
                # events), says which worker is its.
                worker = data
                if not worker.done:
                    kill(worker.pid)
                unregister(sel, worker.conn)
            elif kind == 'worker':
                worker = data
                if worker.done:
                    continue
                worker.done = True
                state.workers.discard(worker)
                sel.unregister(worker.pidfd)
                os.close(worker.pidfd)
                pid, conn = worker.pid, worker.conn
                _, status = os.waitpid(pid, 0)
                report = os.read(worker.status_r, 8)
                os.close(worker.status_r)
                if len(report) == 4:
                    # W3's end. Otherwise W2's own: killed, or a set-up that failed before W3 ran.
                    status = struct.unpack('<i', report)[0]
                answer = f'signal {os.WTERMSIG(status)}' if os.WIFSIGNALED(status) else f'exit {os.WEXITSTATUS(status)}'
                try:
                    conn.sendall(answer.encode())
                except OSError:
                    pass
                unregister(sel, conn)
                conn.close()


class State:
    def __init__(self, sel):
        self.sel = sel
        self.workers = set()
        # Requests from the grading process whose three connections have not all arrived, by id.
        self.groups = {}
        # Input files registered by a client, by id: each sandboxed process whose request names one gets it as fd 4.
        self.inputs = {}

    def drop(self, group):
        group.pending = False
        self.groups.pop(group.key, None)
        for conn in group.conns():
            unregister(self.sel, conn)
            conn.close()


class Group:
    """The connections of one request from the grading process, as they arrive."""

    def __init__(self, key):
        self.key = key
        self.created = time.monotonic()
        self.pending = True
        self.request = None
        self.control = None
        self.channel = None
        self.output = None

    def conns(self):
        return [c for c in (self.control, self.channel, self.output) if c is not None]


class Worker:
    def __init__(self, pid, pidfd, conn, status_r):
        self.pid = pid
        self.pidfd = pidfd
        self.conn = conn
        # W2 writes W3's wait status here just before it exits.
        self.status_r = status_r
        self.done = False


def unregister(sel, conn):
    try:
        sel.unregister(conn)
    except (KeyError, ValueError):
        pass


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def refuse(conn, fds, why):
    """Answer a request with `error <why>` and drop what it passed."""
    for fd in fds:
        os.close(fd)
    try:
        conn.sendall(f'error {why}'.encode())
    except OSError:
        pass
    conn.close()


def accept(listener, state):
    try:
        conn, _ = listener.accept()
    except (BlockingIOError, InterruptedError):
        return
    fds = []
    try:
        conn.settimeout(5)
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize('3i'))
        _, peer_uid, _ = struct.unpack('3i', creds)
        if peer_uid != os.getuid():
            raise ValueError(f'a client of uid {peer_uid}')
        data, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, MAX_FDS)
        if data.startswith(b'{'):
            request = json.loads(data.decode('utf-8'))
            if isinstance(request, dict) and request.get('op') == 'input':
                register_input(conn, request, fds, state)
                return
            request = parse_request(request, len(fds))
        else:
            if fds:
                raise ValueError('descriptors passed with a header')
            while not data.endswith(b'\n'):
                if len(data) > MAX_REQUEST:
                    raise ValueError('a header line longer than a request may be')
                more = conn.recv(MAX_REQUEST)
                if not more:
                    raise ValueError('the connection closed within its header')
                data += more
            header(conn, data[:-1], state)
            return
    except (OSError, ValueError) as e:
        refuse(conn, fds, str(e))
        return
    start(conn, request, fds, state)


def register_input(conn, request, fds, state):
    key = parse_id(request.get('id'))
    if len(fds) != 4 or key in state.inputs:
        raise ValueError('an input file is registered once, as fd 3')
    for fd in fds[:3]:
        os.close(fd)
    state.inputs[key] = fds[3]
    del fds[:]
    try:
        conn.sendall(b'exit 0')
    except OSError:
        pass
    conn.close()


def header(conn, line, state):
    """One of the grading process's connections: a request, its channel, its output, or an input file to forget."""
    kind, body = line[:1], line[1:]
    if kind == b'F':
        fd = state.inputs.pop(parse_id(body.decode('ascii')), None)
        if fd is not None:
            os.close(fd)
        conn.close()
        return
    if kind == b'R':
        request = parse_request(json.loads(body.decode('utf-8')), 4)
        key = parse_id(request.get('id'))
        part = 'control'
    elif kind in (b'C', b'O'):
        request = None
        key = parse_id(body.decode('ascii'))
        part = 'channel' if kind == b'C' else 'output'
    else:
        raise ValueError(f'unknown header {kind!r}')
    group = state.groups.get(key)
    if group is None:
        group = state.groups[key] = Group(key)
    if getattr(group, part) is not None:
        raise ValueError(f'a second {part} connection for request {key}')
    setattr(group, part, conn)
    if request is not None:
        group.request = request
    conn.setblocking(False)
    state.sel.register(conn, selectors.EVENT_READ, ('part', group))
    if group.control is not None and group.channel is not None and group.output is not None:
        launch(group, state)


def launch(group, state):
    """All of a request's connections are here: its sandboxed process gets them (and its input file) as 0..4."""
    group.pending = False
    del state.groups[group.key]
    for conn in group.conns():
        unregister(state.sel, conn)
    fds = []
    try:
        fds.append(os.open('/dev/null', os.O_RDWR))
        fds.append(os.dup(group.output.fileno()))
        fds.append(os.dup(group.output.fileno()))
        fds.append(os.dup(group.channel.fileno()))
        key = group.request.get('input')
        if key is not None:
            if key not in state.inputs:
                raise ValueError(f'no input file {key} is registered')
            fds.append(os.dup(state.inputs[key]))
    except (OSError, ValueError) as e:
        group.channel.close()
        group.output.close()
        refuse(group.control, fds, str(e))
        return
    group.channel.close()
    group.output.close()
    start(group.control, group.request, fds, state)


def start(conn, request, fds, state):
    """Fork the worker of a request; `fds` (closed here either way) become its descriptors 0..k, and `conn` gets
    its end."""
    if request['program'] == 'harness':
        import_numpy()
        if numpy_failed is not None:
            refuse(conn, fds, numpy_failed)
            return
    code = programs[request['program']]
    status_r, status_w = os.pipe()
    try:
        pid = clone_into_namespaces()
    except OSError as e:
        os.close(status_r)
        os.close(status_w)
        refuse(conn, fds, f'the zygote could not start a sandboxed process: {e}')
        return
    if pid == 0:
        try:
            os.close(status_r)
            w2(fds, request, code, status_w)
        finally:
            os._exit(126)
    os.close(status_w)
    for fd in fds:
        os.close(fd)
    worker = Worker(pid, os.pidfd_open(pid), conn, status_r)
    state.workers.add(worker)
    conn.setblocking(False)
    state.sel.register(worker.pidfd, selectors.EVENT_READ, ('worker', worker))
    state.sel.register(conn, selectors.EVENT_READ, ('client', worker))


def read_programs():
    raw = b''
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            raise SystemExit('the programs were not sent')
        raw += chunk
        if raw.endswith(b'\n'):
            break
    sources = json.loads(raw.decode('utf-8'))
    return {name: compile(source, f'<rltask {name}>', 'exec', dont_inherit=True) for name, source in sources.items()}


forget_thp_settings()
programs = read_programs()
serve(sys.argv[1])
