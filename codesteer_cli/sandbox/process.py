"""Start one program in a given isolation, with limits, and collect what it did.

See ``isolation`` for the modes and what each enforces, ``view`` for the file system the
code sees, ``cgroups`` for run-wide limits. In every mode the same launcher
(``_launcher``) starts the program, so exit statuses mean the same everywhere:
``exit_status`` is what the program gave (``sys.exit(153)`` is 153), and ``signal`` is
set only when a signal really ended it (then ``exit_status`` is minus its number).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import marshal
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from codesteer_cli.sandbox import cgroups
from codesteer_cli.sandbox.view import INSIDE_UID, WORKDIR, plan, python_view

log = logging.getLogger("codesteer.sandbox")

__all__ = ["ExecResult", "Limits", "execute"]

if TYPE_CHECKING:
    from codesteer_cli.sandbox.isolation import Isolation

_HERE = Path(__file__).parent
_UID_BASE = 200_000  # root: run i of process p runs as uid _UID_BASE + (p % 2000) * 256 + i
_EXTRA_PIDS = 4  # the sandbox's own processes (setup, bwrap, launcher)


@functools.cache
def _source(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Limits:
    """Resource limits for one run."""

    wall_s: float = 30.0
    cpu_s: int | None = None  # default: wall time rounded up
    memory_mb: int = 2048  # per process (address space), and for the whole run (cgroup)
    file_mb: int = 64  # largest file the code may write
    disk_mb: int = 256  # the run folder and /tmp together (a tmpfs)
    shm_mb: int = 64  # /dev/shm (a tmpfs)
    open_files: int = 256
    processes: int = 64  # per run (threads count too)
    output_bytes: int = 20_000  # kept per stream; the rest is counted, not kept


@dataclass
class ExecResult:
    """What a run produced. Never raised: every failure of the code comes back here."""

    stdout: str
    stderr: str
    exit_status: int | None  # the program's exit code, or -N when signal N ended it
    timed_out: bool
    duration_s: float
    isolation: str
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    signal: str | None = None  # e.g. SIGKILL, only when a signal really ended the code
    error: str | None = None  # the executor itself could not run the code
    events: tuple[str, ...] = ()  # run-wide limits hit: "oom_kill", "pids_max"

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and not self.timed_out and self.error is None

    def limit_hit(self) -> str | None:
        """Which limit stopped the code, when one did."""
        if self.timed_out:
            return "wall_time"
        by_signal = {"SIGXCPU": "cpu_time", "SIGXFSZ": "file_size"}.get(self.signal or "")
        if by_signal:
            return by_signal
        if "oom_kill" in self.events:
            return "memory"
        tail = self.stderr[-2000:]
        if "MemoryError" in tail:
            return "memory"
        if "File too large" in tail:  # Python ignores SIGXFSZ, so writes fail with EFBIG
            return "file_size"
        if "No space left on device" in tail:
            return "disk"
        if "pids_max" in self.events or "Resource temporarily unavailable" in tail:
            return "processes"
        return None


class _Capture(threading.Thread):
    """Drain a pipe, keeping the first `keep` bytes and counting the rest."""

    def __init__(self, pipe: IO[bytes], keep: int) -> None:
        super().__init__(daemon=True)
        self.pipe, self.keep = pipe, keep
        self.buf = bytearray()
        self.total = 0

    def run(self) -> None:
        try:
            while chunk := self.pipe.read1(65536):  # type: ignore[attr-defined]
                self.total += len(chunk)
                room = self.keep - len(self.buf)
                if room > 0:
                    self.buf += chunk[:room]
        except (OSError, ValueError):
            pass

    def text(self) -> str:
        return bytes(self.buf).decode("utf-8", errors="replace").replace("\x00", "\\x00")


def _env(home: str, path: str) -> dict[str, str]:
    return {
        "PATH": path,
        "HOME": home,
        "TMPDIR": "/tmp" if home == WORKDIR else home,
        "USER": "sandbox",
        "LOGNAME": "sandbox",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


def _rlimits(lim: Limits) -> dict[str, tuple[int, int]]:
    """(soft, hard) per limit. The CPU hard limit is a second above the soft one, so the
    code gets SIGXCPU (reported as the CPU limit), not a bare SIGKILL."""
    cpu = lim.cpu_s or int(lim.wall_s) + 1
    same = {
        "RLIMIT_AS": lim.memory_mb * 2**20,
        "RLIMIT_FSIZE": lim.file_mb * 2**20,
        "RLIMIT_NOFILE": lim.open_files,
        "RLIMIT_NPROC": lim.processes + 1,
        "RLIMIT_CORE": 0,
    }
    return {"RLIMIT_CPU": (cpu, cpu + 1)} | {k: (v, v) for k, v in same.items()}


def _uid_for(slot: int) -> int:
    return _UID_BASE + (os.getpid() % 2000) * 256 + slot


def _bwrap_argv(iso: Isolation, steps: list[dict], env: dict[str, str]) -> list[str]:  # type: ignore[type-arg]
    argv = [
        iso.bwrap or "bwrap",
        "--unshare-user",
        "--disable-userns",
        "--uid",
        str(INSIDE_UID),
        "--gid",
        str(INSIDE_UID),
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--clearenv",
    ]
    for k, v in env.items():
        argv += ["--setenv", k, v]
    for s in steps:
        op, dest = s["op"], s["dest"]
        if op == "bind":
            argv += ["--ro-bind", s["src"], dest]
        elif op == "symlink":
            argv += ["--symlink", s["target"], dest]
        elif op == "dir":
            argv += ["--perms", s.get("mode", "755"), "--dir", dest]
        elif op == "tmpfs":
            if s.get("size"):
                argv += ["--size", str(s["size"])]
            argv += ["--perms", s.get("mode", "755"), "--tmpfs", dest]
        elif op == "remount-ro":
            argv += ["--remount-ro", dest]
        elif op == "file":
            argv += ["--perms", s.get("mode", "644"), "--file", str(s["fd"]), dest]
        elif op == "dev":
            argv += ["--dev", dest]
        elif op == "proc":
            argv += ["--proc", dest]
    argv += ["--remount-ro", "/", "--chdir", WORKDIR]
    return argv


def _read_status(fd: int, wait_s: float = 2.0) -> str:
    """What the launcher (or the setup step) wrote on the status pipe, up to EOF."""
    out = b""
    deadline = time.monotonic() + wait_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        out += chunk
    return out.decode("utf-8", errors="replace")


def _pack(cfg: dict) -> str:  # type: ignore[type-arg]
    """A config for the launcher or setup step: marshal (a builtin module, so free to
    import there, unlike json) as hex, for one argv entry."""
    return marshal.dumps(cfg).hex()


def _memfd(code: str) -> int:
    fd = os.memfd_create("main.py", 0)
    data = code.encode("utf-8", errors="replace")
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def execute(iso: Isolation, code: str, stdin: str, lim: Limits, slot: int) -> ExecResult:
    """Run `code` once in `iso` (the Executor's worker; also used to probe a mode)."""
    if iso.mode == "none":
        log.warning(
            "sandbox: mode none: model code runs UNSANDBOXED as uid %d, with this "
            "machine's files, network and processes",
            os.geteuid(),
        )
    root = os.geteuid() == 0
    try:
        group = cgroups.group_for(slot)
        if group:
            group.empty()  # a run that went wrong may have left something
            group.set_limits(lim.memory_mb * 2**20, lim.processes + _EXTRA_PIDS)
    except OSError as exc:
        return _failed(iso, f"could not set up the run's cgroup: {exc}")
    status_r, status_w = os.pipe()
    owned = [status_w]  # fds to pass to the sandbox; closed once it has them
    tmpdir = None
    launcher_cfg = {
        "status_fd": status_w,
        "main": f"{WORKDIR}/main.py",
        "cwd": WORKDIR,
        "rlimits": _rlimits(lim),
    }
    try:
        if iso.mode == "none":
            tmpdir = tempfile.mkdtemp(prefix="codesteer-run-")
            Path(tmpdir, "main.py").write_text(code, encoding="utf-8", errors="replace")
            launcher_cfg.update(main=f"{tmpdir}/main.py", cwd=tmpdir)
            launcher_cfg["cgroups"] = group.procs_files if group else []
            env = _env(tmpdir, "/usr/local/bin:/usr/bin:/bin")
            argv = [sys.executable, "-I", "-c", _source("_launcher.py"), _pack(launcher_cfg)]
        else:
            view = python_view()
            code_fd = _memfd(code)
            owned.append(code_fd)
            steps = plan(view, lim.disk_mb * 2**20, lim.shm_mb * 2**20, code_fd)
            env = _env(WORKDIR, f"{view.prefix}/bin:/usr/bin:/bin")
            py = [view.python, "-I", "-c", _source("_launcher.py"), _pack(launcher_cfg)]
            if iso.mode == "bwrap":
                argv = _bwrap_argv(iso, steps, env) + ["--", *py]
                if root:
                    uid = _uid_for(slot)
                    argv = [
                        iso.setpriv or "setpriv",
                        f"--reuid={uid}",
                        f"--regid={uid}",
                        "--clear-groups",
                        "--no-new-privs",
                        "--",
                        *argv,
                    ]
                if group:
                    files = group.procs_files
                    join = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 126;'
                    join += ' shift; n=$((n-1)); done; exec "$@"'
                    argv = ["/bin/sh", "-c", join, "sh", str(len(files)), *files, *argv]
                env = {"PATH": "/usr/bin:/bin"}
            else:
                cfg = {
                    "host_pid": os.getpid(),
                    "status_fd": status_w,
                    "cgroups": group.procs_files if group else [],
                    "uid": _uid_for(slot) if root else None,
                    "inside_uid": INSIDE_UID,
                    "plan": steps,
                    "cwd": WORKDIR,
                    "python": view.python,
                    "launcher": _source("_launcher.py"),
                    "launcher_cfg": _pack(launcher_cfg),
                    "env": env,
                }
                argv = [view.python, "-I", "-S", "-c", _source("_nsinit.py"), _pack(cfg)]
                env = {"LANG": "C.UTF-8"}
        return _spawn(iso, argv, env, tmpdir or "/", owned, stdin, lim, status_r, group)
    finally:
        for fd in owned:  # what _spawn did not close already (never close an fd twice)
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            os.close(status_r)
        if group:
            group.empty()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _failed(iso: Isolation, why: str) -> ExecResult:
    return ExecResult("", "", None, False, 0.0, iso.mode, error=why)


def _spawn(  # type: ignore[no-untyped-def]
    iso: Isolation, argv, env, cwd, owned: list[int], stdin, lim: Limits, status_r, group
) -> ExecResult:
    """Start the sandbox with the fds in `owned`, close them here, and collect the run."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            start_new_session=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=tuple(owned),
        )
    except OSError as exc:
        return _failed(iso, f"could not start the sandbox: {exc}")
    while owned:  # the sandbox has its copies; ours would keep the status pipe open
        os.close(owned.pop())
    out = _Capture(proc.stdout, lim.output_bytes)  # type: ignore[arg-type]
    err = _Capture(proc.stderr, lim.output_bytes)  # type: ignore[arg-type]
    out.start()
    err.start()
    feed = threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True)
    feed.start()  # in a thread: a program that never reads must not block us past the limit
    before = group.counters() if group else (0, 0)
    timed_out = not _wait(proc, lim.wall_s)
    duration = time.monotonic() - start
    status = "" if timed_out else _read_status(status_r)
    _kill_all(proc, group)
    proc.wait()
    out.join(timeout=5)
    err.join(timeout=5)
    events = group.events_since(before) if group else ()
    rc, sig, error = None, None, None
    for line in status.splitlines():
        word, _, rest = line.partition(" ")
        if word == "status":
            rc = os.waitstatus_to_exitcode(int(rest))
            if rc < 0:
                sig = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
        elif word == "setup-error":
            error = f"the sandbox could not start: {rest}"
    if not timed_out and rc is None and error is None:
        got = proc.returncode
        error = f"the sandbox ended without reporting the program's status (exit {got})"
        if err.total and not out.total:
            error += f": {err.text().strip()[-300:]}"
    return ExecResult(
        out.text(),
        err.text(),
        None if timed_out else rc,
        timed_out,
        duration,
        iso.mode,
        out.total > len(out.buf),
        err.total > len(err.buf),
        out.total,
        err.total,
        sig,
        error,
        events,
    )


def _feed(pipe: IO[bytes], text: str) -> None:
    try:
        pipe.write(text.encode("utf-8", errors="replace"))
        pipe.close()
    except OSError:
        pass


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for `proc` up to `timeout`; False when it is still running. A pidfd wakes us
    the moment it exits (Popen.wait(timeout) polls, adding up to 50 ms a run)."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        if not select.select([fd], [], [], timeout)[0]:
            return False
    finally:
        os.close(fd)
    proc.wait()
    return True


def _kill_all(proc: subprocess.Popen[bytes], group: cgroups.RunGroup | None) -> None:
    """Kill everything the run started: its cgroup where there is one, and its session
    (in bwrap and namespaces, ending the first process tears the PID namespace down)."""
    if group:
        group.kill_all()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


_slot_lock = threading.Lock()
_free_slots = list(range(255, -1, -1))  # process-wide: a slot is a uid and a cgroup


def _take_slot() -> int:
    with _slot_lock:
        if not _free_slots:
            raise RuntimeError("more than 256 sandboxed runs at once in one process")
        return _free_slots.pop()


def _give_slot(slot: int) -> None:
    with _slot_lock:
        _free_slots.append(slot)
        _free_slots.sort(reverse=True)  # reuse low slots: their cgroups exist already
