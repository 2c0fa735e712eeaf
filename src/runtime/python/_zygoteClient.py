# One Python sandbox as the grader sees it (src/runtime/python/pythonZygote.ts): started outside the sandbox with
# the grade's stdio, channel (fd 3) and input file (fd 4, if any), it hands those descriptors to the zygote
# (src/runtime/python/_zygote.py) with SCM_RIGHTS and ends as the sandboxed process ended. Killing it (the grader
# kills its process group on a timeout or at the grade's end) closes its connection, and the zygote kills the
# sandboxed process's whole PID namespace. Usage: python3 -I -S -c <this> <zygote's socket name> <request JSON>
#
# It runs once per sandboxed process, so it imports only modules built into the interpreter (no `socket`, `json`
# or `signal`, whose imports cost more than the rest of it).
import _signal
import _socket
import posix
import sys


def open_fds():
    fds = []
    for fd in range(5):
        try:
            posix.fstat(fd)
        except OSError:
            break
        fds.append(fd)
    return fds


def fail(message):
    sys.stderr.write(f'rltask: {message}\n')
    posix._exit(71)


def main():
    name, request = sys.argv[1], sys.argv[2]
    # Before the socket exists: it takes the lowest free descriptor, which would otherwise look like fd 4.
    fds = open_fds()
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        # The zygote's address is the whole of sun_path, NUL-padded, as Node names an abstract socket.
        conn.connect(('\0' + name).encode().ljust(108, b'\0'))
        rights = b''.join(fd.to_bytes(4, sys.byteorder) for fd in fds)
        conn.sendmsg([request.encode('utf-8')], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])
    except OSError as e:
        fail(f'the Python sandboxes\' zygote is not reachable: {e}')
    # Only the sandboxed process holds the channel and the input file now.
    for fd in fds[3:]:
        posix.close(fd)
    answer = b''
    while True:
        try:
            chunk = conn.recv(4096)
        except OSError:
            chunk = b''
        if not chunk:
            break
        answer += chunk
    # The zygote's answer: "exit N", "signal N" or "error <why>".
    kind, _, value = answer.decode('utf-8', 'replace').partition(' ')
    if kind == 'signal' and value.isdigit():
        sig = int(value)
        # No core file from this process: it only mirrors how the sandboxed one ended.
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _signal.signal(sig, _signal.SIG_DFL)
        posix.kill(posix.getpid(), sig)
        posix._exit(128 + sig)
    if kind == 'exit' and value.isdigit():
        posix._exit(int(value))
    fail(f'the Python sandboxes\' zygote refused the sandbox: {value if kind == "error" else "it ended without an answer"}')


main()
