"""The worker that runs external scheduling units, started by the engine as ``python -I worker.py`` (standard
library only: it must not import the engine).

One worker serves one call at a time over a line protocol (JSON, one object a line) on its stdin and stdout. For
every call it forks a fresh child from its warm, pre-imported interpreter, so that no unit state survives
between calls (the scheduler proxy's rule) while nothing is started from scratch. The child runs the unit with
its stdout and stderr captured; the proxy's rules then decide what the result is (see the engine side,
:mod:`engine_api.scheduler.external.pool`).

When the engine runs as root, the worker first builds its sandbox:

- it moves its future children into a new PID namespace; the child that serves calls is PID 1 there and dies
  with the worker (``PR_SET_PDEATHSIG``), and when PID 1 dies the kernel kills every process in the namespace;
- that child takes a mount namespace in which every mount is read-only, ``/proc`` is the namespace's own, a
  small tmpfs (its scratch directory, emptied after every call) is mounted on ``/tmp``, and directories the
  unprivileged user could not traverse (such as ``/root`` holding the interpreter) are replaced by a tmpfs that
  shows only what Python needs;
- a network namespace with nothing but loopback; the engine's API is reachable through one port on loopback,
  forwarded by the worker (still in the engine's namespaces) to the engine's own address and nowhere else;
- it then drops to a uid and gid of its own (no groups, ``no_new_privs``) and sets resource limits:
  ``RLIMIT_AS`` (memory), ``RLIMIT_NPROC`` (processes of that uid: fork bombs), ``RLIMIT_FSIZE``,
  ``RLIMIT_NOFILE`` and ``RLIMIT_CORE``. After each call every other process in the namespace is killed.

Without root only the resource limits (not ``RLIMIT_NPROC``, which would count the engine user's processes), a
process group per call and a scratch working directory are applied; the ready message says what is enforced.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import time

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 0x4000, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
               "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
MAX_OUTPUT = 1 << 20  # bytes kept of a unit's stdout or stderr
SCRATCH = "/tmp"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _send(out: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(out, data):]


# ---------------------------------------------------------------- the sandbox (root only)


def _mounts() -> list[tuple[str, set[str]]]:
    """Mount points (deepest last) with their per-mount options, from ``/proc/self/mountinfo``."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            out.append((point, set(fields[5].split(","))))
    return out


def _blocked(path: str) -> str | None:
    """The highest ancestor of ``path`` that others may not traverse, or None."""
    parts = os.path.abspath(path).split("/")[1:]
    current = ""
    for part in parts:
        current += "/" + part
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return None
        if not mode & 0o001:
            return current
    return None


def _expose(paths: list[str]) -> None:
    """Make ``paths`` readable to the dropped user: an untraversable ancestor becomes a tmpfs that holds only
    bind mounts of them."""
    by_top: dict[str, list[tuple[str, int]]] = {}
    for path in paths:
        top = _blocked(path)
        if top is not None and os.path.isdir(path):
            by_top.setdefault(top, []).append((path, os.open(path, os.O_PATH | os.O_DIRECTORY)))
    for top, items in by_top.items():
        _mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        for path, fd in items:
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            os.close(fd)


def _read_only() -> list[str]:
    """Remount every mount read-only (keeping its other flags); the mount points that refused."""
    refused = []
    for point, opts in _mounts():
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY
        for name, bit in MOUNT_FLAGS.items():
            if name in opts:
                flags |= bit
        try:
            _mount(None, point, None, flags)
        except OSError:
            refused.append(point)
    return refused


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, ifreq))[1]  # SIOCGIFFLAGS
        fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 0x1 | 0x40))  # SIOCSIFFLAGS: UP, RUNNING


def _sandbox(cfg: dict, bridge: socket.socket) -> list[str]:
    """Run in PID 1 of the new PID namespace, as root: build the sandbox and drop privileges."""
    enforced = ["pid namespace"]
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _expose(cfg["read_paths"])
    refused = _read_only()
    enforced.append("read-only mounts" + (f" (except {', '.join(refused)})" if refused else ""))
    uid, gid = cfg["uid"], cfg["gid"]
    _mount("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV,
           f"mode=0700,uid={uid},gid={gid},size={cfg['scratch_bytes']}")
    enforced.append(f"scratch tmpfs {SCRATCH} of {cfg['scratch_bytes']} bytes")
    _loopback_up()
    enforced.append("network namespace (loopback only)")
    if cfg.get("api_port"):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", cfg["api_port"]))
        listener.listen(16)
        socket.send_fds(bridge, [b"L"], [listener.fileno()])
        listener.close()
        enforced.append(f"engine API forwarded on 127.0.0.1:{cfg['api_port']}")
    bridge.close()
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "dumpable")  # its calls may not ptrace it
    enforced.append(f"uid {uid} gid {gid}, no groups, no_new_privs")
    resource.setrlimit(resource.RLIMIT_NPROC, (cfg["nproc"], cfg["nproc"]))
    enforced.append(f"RLIMIT_NPROC {cfg['nproc']}")
    return enforced


def _forward(listener: socket.socket, target: tuple[str, int], child: int) -> int:
    """In the engine's namespaces: pump connections from the sandbox's loopback port to the engine's API only,
    until the sandbox's PID 1 exits; its exit status."""
    listener.setblocking(False)
    peers: dict[socket.socket, socket.socket] = {}
    while True:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            return os.waitstatus_to_exitcode(status)
        ready, _, _ = select.select([listener, *peers], [], [], 0.2)
        for s in ready:
            if s is listener:
                try:
                    inner, _ = listener.accept()
                except BlockingIOError:
                    continue
                try:
                    outer = socket.create_connection(target, timeout=5)
                except OSError:
                    inner.close()
                    continue
                inner.setblocking(True)
                outer.setblocking(True)
                peers[inner], peers[outer] = outer, inner
                continue
            other = peers.get(s)
            if other is None:
                continue
            try:
                data = s.recv(65536)
                if data:
                    other.sendall(data)
                    continue
            except OSError:
                pass
            for x in (s, other):
                peers.pop(x, None)
                x.close()


# ---------------------------------------------------------------- calls


def _limits(cfg: dict) -> list[str]:
    resource.setrlimit(resource.RLIMIT_AS, (cfg["memory_bytes"], cfg["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (cfg["scratch_bytes"], cfg["scratch_bytes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return [f"RLIMIT_AS {cfg['memory_bytes']}", f"RLIMIT_FSIZE {cfg['scratch_bytes']}", "RLIMIT_NOFILE 256",
            "RLIMIT_CORE 0"]


def _load(source: str, module: str):
    import types

    mod = types.ModuleType(module)
    mod.__file__ = f"{module}.py"
    sys.modules[module] = mod
    exec(compile(source, f"{module}.py", "exec"), mod.__dict__)
    return mod


KINDS = (("do_filter", "filter"), ("do_score", "weight"), ("do_balance", "load_balancing"))


def _analyse(req: dict, result_fd: int) -> None:
    """Every class of the module with ``do_filter``, ``do_score`` or ``do_balance`` (as the proxy's loader: the
    module's own classes and those it imports), its method's docstring and ``properties_validation``."""
    import inspect

    try:
        compile(req["source"], f"{req['module']}.py", "exec")
    except SyntaxError as e:
        os.write(result_fd, json.dumps({"error": f"syntax error at line {e.lineno}: {e.msg}", "line": e.lineno})
                 .encode())
        return
    mod = _load(req["source"], req["module"])
    units = []
    for name, obj in sorted(vars(mod).items()):
        if not isinstance(obj, type):
            continue
        for method, kind in KINDS:
            fn = getattr(obj, method, None)
            if not callable(fn):
                continue
            props = getattr(obj, "properties_validation", "")
            units.append({"class": name, "type": kind, "description": inspect.getdoc(fn) or "",
                          "properties_validation": props if isinstance(props, str) else repr(props),
                          "properties_type": type(props).__name__})
    os.write(result_fd, json.dumps({"units": units}).encode())


def _invoke(req: dict) -> None:
    mod = _load(req["source"], req["module"])
    unit = getattr(mod, req["class"])()
    getattr(unit, req["method"])(*req["args"])


def _child(req: dict, out_w: int, err_w: int, res_w: int) -> None:
    os.setsid()
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.closerange(3, res_w)
    os.closerange(res_w + 1, 1024)
    os.environ.clear()
    os.environ.update(req.get("env") or {})
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    code = 0
    try:
        if req["op"] == "analyse":
            _analyse(req, res_w)
        else:
            _invoke(req)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, int) and e.code is not None:
            print(e.code, file=sys.stderr)
    except BaseException:  # the unit's failure is its stderr and exit code
        import traceback

        try:
            traceback.print_exc()
        except BaseException:
            os.write(2, b"the unit failed\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        code = code or 1
    os._exit(code)


def _call(req: dict, sandboxed: bool) -> dict:
    pipes = [os.pipe() for _ in range(3)]
    deadline = time.monotonic() + float(req.get("timeout", 30))
    try:
        pid = os.fork()
    except OSError as e:  # out of processes (RLIMIT_NPROC): this call fails, the worker lives on
        for r, w in pipes:
            os.close(r)
            os.close(w)
        return {"rc": 1, "timeout": False, "overflow": False, "stdout": "", "result": "",
                "stderr": f"the worker could not start the call: {e}"}
    if pid == 0:
        for r, _ in pipes:
            os.close(r)
        _child(req, pipes[0][1], pipes[1][1], pipes[2][1])
    for _, w in pipes:
        os.close(w)
    bufs = {r: bytearray() for r, _ in pipes}
    open_fds = set(bufs)
    status: int | None = None
    timed_out = overflow = False
    while True:
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
        left = deadline - time.monotonic()
        if left <= 0 and status is None:
            timed_out = True
            break
        if not open_fds:
            if status is not None:
                break
            time.sleep(min(0.005, max(left, 0)))
            continue
        ready, _, _ = select.select(list(open_fds), [], [], 0 if status is not None else min(left, 0.05))
        if not ready and status is not None:
            break  # the unit exited; what its leftovers still hold open is not waited for
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                open_fds.discard(fd)
                continue
            bufs[fd] += data
            if len(bufs[fd]) > MAX_OUTPUT:
                overflow = True
        if overflow:
            break
    if status is None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
    _clean(sandboxed, pid)
    for fd in bufs:
        os.close(fd)
    out, err, res = (bytes(bufs[r]) for r, _ in pipes)
    return {"rc": os.waitstatus_to_exitcode(status), "timeout": timed_out, "overflow": overflow,
            "stdout": out[:MAX_OUTPUT].decode("utf-8", "replace"),
            "stderr": err[:MAX_OUTPUT].decode("utf-8", "replace"),
            "result": res.decode("utf-8", "replace")}


def _clean(sandboxed: bool, pid: int) -> None:
    """Kill whatever the call left running, reap it and empty the scratch directory."""
    if sandboxed:
        try:
            os.kill(-1, signal.SIGKILL)  # PID 1 of its own namespace: every other process in it
        except ProcessLookupError:
            pass
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    for name in os.listdir("."):
        path = os.path.join(".", name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass


def _serve(proto_in: int, proto_out: int, sandboxed: bool) -> None:
    reader = os.fdopen(proto_in, "rb")
    for line in reader:
        try:
            req = json.loads(line)
        except ValueError:
            _send(proto_out, {"error": "malformed request"})
            continue
        if req.get("op") == "ping":
            _send(proto_out, {"pong": True})
            continue
        _send(proto_out, _call(req, sandboxed))


def _preload(names: list[str]) -> None:
    """Import ``names`` (``package.*``: the package and every module in it)."""
    import importlib
    import pkgutil

    for name in names:
        whole = name.endswith(".*")
        try:
            module = importlib.import_module(name.removesuffix(".*"))
        except Exception:  # a module the unit never uses is no reason to fail
            continue
        for info in pkgutil.walk_packages(getattr(module, "__path__", []) if whole else [], module.__name__ + "."):
            try:
                importlib.import_module(info.name)
            except Exception:
                pass


def main() -> None:
    cfg = json.loads(sys.stdin.buffer.readline())
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    if not cfg.get("sandbox"):
        os.chdir(cfg["scratch_dir"])
        _preload(cfg.get("preload") or [])
        enforced = _limits(cfg) + [f"process group per call, scratch directory {cfg['scratch_dir']}"]
        _send(proto_out, {"ready": True, "enforced": enforced, "pid": os.getpid()})
        _serve(proto_in, proto_out, False)
        return
    _check(_libc.unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    child = os.fork()
    if child == 0:
        ours.close()
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
        try:
            # the libraries units use are imported first, while every path is still visible: an installation
            # under /tmp would be hidden by the scratch tmpfs mounted there
            _preload(cfg.get("preload") or [])
            enforced = _sandbox(cfg, theirs)
            os.chdir(SCRATCH)
            os.environ.clear()
            enforced += _limits(cfg)
        except BaseException as e:  # say why, then stop: the engine replaces the worker
            _send(proto_out, {"ready": False, "error": f"{type(e).__name__}: {e}"})
            os._exit(1)
        _send(proto_out, {"ready": True, "enforced": enforced, "pid": os.getpid()})
        _serve(proto_in, proto_out, True)
        os._exit(0)
    theirs.close()
    os.close(proto_in)
    os.close(proto_out)
    listener = None
    if cfg.get("api_port"):
        ours.settimeout(30)
        try:
            _, fds, _, _ = socket.recv_fds(ours, 1, 1)
            listener = socket.socket(fileno=fds[0]) if fds else None
        except OSError:
            listener = None
    ours.close()
    if listener is None:
        _, status = os.waitpid(child, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    sys.exit(_forward(listener, (cfg["api_host"], cfg["api_target_port"]), child))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(errno.EINTR)
