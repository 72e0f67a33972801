"""The namespaces sandbox without bubblewrap: kernel namespaces set up with ctypes.

Executed as ``python -I -S -c <this source> <config>`` on the host; standard
library only. Steps:

1. die with the host process (PR_SET_PDEATHSIG), join the run's cgroups, and, when
   started as root, become the run's unprivileged uid for good (groups cleared);
2. unshare user, mount, PID, network, IPC, UTS and cgroup namespaces at once, and map
   the inside uid 1000 to that unprivileged uid (the only uid mapped: no inside root);
3. fork PID 1 of the new namespace, which builds a fresh root on a tmpfs from the plan
   (read-only binds of /usr and the interpreter view, private sized tmpfs for /tmp and
   /dev/shm, a minimal /dev, a new /proc), pivots into it, drops the old root, and execs
   the launcher. Exec as a non-root uid leaves no capability at all.

Every failure is written to the status pipe as ``setup-error <what>`` (exit 126).
"""

from __future__ import annotations

import _ctypes
import marshal
import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
SIGKILL = 9  # not signal.SIGKILL: importing signal (and enum) costs milliseconds
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
DEVICES = ("null", "zero", "full", "random", "urandom")
STAGE = "/tmp"  # the new root is built on a tmpfs mounted here (private to this namespace)


def _libc(*names: str):  # type: ignore[no-untyped-def]
    """libc functions through _ctypes alone (returning int, errno kept): importing the
    ctypes package costs ~3 ms a run, _ctypes 0.4 ms."""
    import _ctypes

    class c_int(_ctypes._SimpleCData):  # type: ignore[name-defined,misc]
        _type_ = "i"

    class Func(_ctypes.CFuncPtr):  # type: ignore[name-defined,misc]
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = c_int

    class Lib:
        _handle = _ctypes.dlopen(None, 0)

    return [Func((n, Lib)) for n in names]


_mount_c, _umount2, _unshare, _prctl, _syscall, _sethostname = _libc(
    "mount", "umount2", "unshare", "prctl", "syscall", "sethostname"
)


class SetupError(Exception):
    pass


def _check(rc: int, what: str) -> None:
    if rc != 0:
        raise SetupError(f"{what}: {os.strerror(_ctypes.get_errno())}")


def _mount(src: str | None, dest: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = [None if x is None else x.encode() for x in (src, dest, fstype, data or None)]
    _check(_mount_c(enc[0], enc[1], enc[2], flags, enc[3]), f"mount {fstype or src} on {dest}")


def _remount_ro(dest: str, device: bool = False) -> None:
    """Make a bind mount read-only, keeping the flags the kernel locked on it."""
    st = os.statvfs(dest).f_flag
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | (0 if device else MS_NODEV)
    flags |= MS_NOEXEC if st & os.ST_NOEXEC else 0
    flags |= MS_NODIRATIME if st & os.ST_NODIRATIME else 0
    if st & os.ST_NOATIME:
        flags |= MS_NOATIME
    elif st & os.ST_RELATIME:
        flags |= MS_RELATIME
    else:
        flags |= MS_STRICTATIME
    _mount(None, dest, None, flags)


def _die_with(parent: int) -> None:
    _check(_prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl")
    if os.getppid() != parent:
        os._exit(125)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as exc:
        raise SetupError(f"write {path}: {exc.strerror}") from exc


def _mkdirs(path: str, mode: int = 0o755) -> None:
    if not os.path.isdir(path):
        _mkdirs(os.path.dirname(path), mode)
        os.mkdir(path, mode)
        os.chmod(path, mode)


def _touch(path: str) -> None:
    _mkdirs(os.path.dirname(path))
    if not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))


def _op(op: dict, root: str, fds: dict[str, int]) -> None:  # type: ignore[type-arg]
    kind = op["op"]
    dest = root + op["dest"]
    if kind == "bind":
        src = f"/proc/self/fd/{fds[op['src']]}"
        if os.path.isdir(src):
            _mkdirs(dest)
            _mount(src, dest, None, MS_BIND | MS_REC)
        else:
            _touch(dest)
            _mount(src, dest, None, MS_BIND)
        if op.get("ro", True):
            _remount_ro(dest)
    elif kind == "symlink":
        _mkdirs(os.path.dirname(dest))
        os.symlink(op["target"], dest)
    elif kind == "dir":
        _mkdirs(dest, int(op.get("mode", "755"), 8))
    elif kind == "tmpfs":
        _mkdirs(dest)
        data = f"mode={op.get('mode', '755')}"
        if op.get("size"):
            data += f",size={op['size']}"
        _mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NODEV, data)
    elif kind == "remount-ro":
        st = os.statvfs(dest).f_flag
        flags = MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
        _mount(None, dest, None, flags | (MS_NOEXEC if st & os.ST_NOEXEC else 0))
    elif kind == "file":
        _mkdirs(os.path.dirname(dest))
        with os.fdopen(op["fd"], "rb") as src_f, open(dest, "wb") as out:
            out.write(src_f.read())
        os.chmod(dest, int(op.get("mode", "644"), 8))
    elif kind == "dev":
        _mkdirs(dest)
        _mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k")
        for name in DEVICES:
            _touch(f"{dest}/{name}")
            _mount(f"/proc/self/fd/{fds['/dev/' + name]}", f"{dest}/{name}", None, MS_BIND)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
            os.symlink(target, f"{dest}/{name}")
        os.symlink("/proc/self/fd/1", f"{dest}/stdout")
        os.symlink("/proc/self/fd/2", f"{dest}/stderr")
        os.mkdir(f"{dest}/shm", 0o755)
        _mount(None, dest, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=755")
    elif kind == "proc":
        _mkdirs(dest)
        _mount("proc", dest, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    else:
        raise SetupError(f"unknown step {kind}")


def _build_root(cfg: dict) -> None:  # type: ignore[type-arg]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    fds = _sources(cfg)  # in this mount namespace (binds from another one are refused)
    _mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m")
    for op in cfg["plan"]:
        _op(op, STAGE, fds)
    os.chdir(STAGE)
    nr = SYS_PIVOT_ROOT.get(os.uname().machine)
    if nr is None:
        raise SetupError(f"pivot_root: unsupported machine {os.uname().machine}")
    _check(_syscall(nr, b".", b"."), "pivot_root")
    _check(_umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _sethostname(b"sandbox", 7)
    _write("/proc/sys/user/max_user_namespaces", "0")  # no nested user namespaces
    for fd in fds.values():
        os.close(fd)


def _sources(cfg: dict) -> dict[str, int]:  # type: ignore[type-arg]
    """Open every bind source as the run's uid, before anything is mounted over them."""
    paths = {op["src"] for op in cfg["plan"] if op["op"] == "bind"}
    if any(op["op"] == "dev" for op in cfg["plan"]):
        paths |= {f"/dev/{d}" for d in DEVICES}
    out = {}
    for p in sorted(paths):
        try:
            out[p] = os.open(p, os.O_PATH | os.O_CLOEXEC)
        except OSError as exc:
            raise SetupError(f"open {p}: {exc.strerror}") from exc
    return out


def main() -> None:
    cfg = marshal.loads(bytes.fromhex(sys.argv[1]))  # marshal: json costs 25 ms to import
    status_fd = cfg["status_fd"]
    try:
        _die_with(cfg["host_pid"])
        for f in cfg.get("cgroups", []):
            _write(f, str(os.getpid()))
        uid, gid = os.geteuid(), os.getegid()
        if cfg.get("uid") is not None:  # root: become the run's own unprivileged uid
            uid = gid = cfg["uid"]
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            _die_with(cfg["host_pid"])  # a change of uid clears the parent-death signal
            # ... and makes us undumpable, which would lock us out of /proc/self/uid_map
            _check(_prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl")
        if uid == 0:
            raise SetupError("refusing to run code as root")
        flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
        _check(_unshare(flags | CLONE_NEWUTS | CLONE_NEWCGROUP), "unshare")
        inside = cfg["inside_uid"]
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{inside} {uid} 1")
        _write("/proc/self/gid_map", f"{inside} {gid} 1")
    except (OSError, SetupError) as exc:
        os.write(status_fd, f"setup-error namespaces: {exc}\n".encode())
        os._exit(126)
    pid = os.fork()
    if pid:
        os.close(status_fd)
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    try:
        _die_with(0)  # our parent is outside our PID namespace: it shows as 0
        _build_root(cfg)
        os.chdir(cfg["cwd"])
    except (OSError, SetupError) as exc:
        os.write(status_fd, f"setup-error namespaces: {exc}\n".encode())
        os._exit(126)
    argv = [cfg["python"], "-I", "-c", cfg["launcher"], cfg["launcher_cfg"]]
    os.set_inheritable(status_fd, True)
    try:
        os.execve(cfg["python"], argv, cfg["env"])
    except OSError as exc:
        os.write(status_fd, f"setup-error namespaces: exec {cfg['python']}: {exc}\n".encode())
        os._exit(126)


if __name__ == "__main__":
    main()
