"""Run model-written Python in a fresh directory with limits, and isolation where possible.

Isolation modes, strongest first (detected once per process):
- ``bwrap``: bubblewrap namespaces: no network, read-only file system except the run's
  own directory, private /tmp, own PID namespace (nothing outlives the run), home
  folders hidden. As root, the code itself runs as an unprivileged per-slot uid.
- ``unshare``: util-linux ``unshare`` network namespace: no network; files as the host.
- ``rlimits``: a plain subprocess with resource limits and process-group cleanup.
Every mode applies the same limits: wall time, CPU time, address space, file size, open
files, processes, and capped output capture.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

log = logging.getLogger("codesteer.sandbox")

MODES = ("bwrap", "unshare", "rlimits")
_INSIDE = "/tmp/work"  # the run's directory as the code sees it under bwrap
_SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Limits:
    """Resource limits for one run."""

    wall_s: float = 30.0
    cpu_s: int | None = None  # default: wall time rounded up
    memory_mb: int = 2048  # address space
    file_mb: int = 64  # largest file the code may write
    open_files: int = 256
    processes: int = 64
    output_bytes: int = 20_000  # kept per stream; the rest is counted, not kept


@dataclass
class ExecResult:
    """What a run produced. Never raised: every failure of the code comes back here."""

    stdout: str
    stderr: str
    exit_status: int | None
    timed_out: bool
    duration_s: float
    isolation: str
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    signal: str | None = None  # e.g. SIGKILL, SIGXFSZ when a signal ended the code
    error: str | None = None  # the executor itself could not run the code

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and not self.timed_out and self.error is None

    def limit_hit(self) -> str | None:
        """Which limit stopped the code, when one did."""
        if self.timed_out:
            return "wall_time"
        by_signal = {"SIGXCPU": "cpu_time", "SIGXFSZ": "file_size"}.get(self.signal or "")
        tail = self.stderr[-2000:]
        if by_signal:
            return by_signal
        if "MemoryError" in tail:
            return "memory"
        if "File too large" in tail:  # Python ignores SIGXFSZ, so writes fail with EFBIG
            return "file_size"
        return None


@dataclass(frozen=True)
class Isolation:
    mode: str
    reason: str
    drop_uid: bool  # run the code as an unprivileged per-slot uid
    masks: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())


# --- detection -------------------------------------------------------------------
def _hidden_dirs() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Folders to hide under bwrap (homes and /tmp), with the interpreter paths inside
    them that must stay visible (a pyenv Python under /root, a venv under /tmp)."""
    hidden = {str(Path.home()), "/root", "/tmp"}
    keep = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    keep |= {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)}
    out = []
    for top in sorted(d for d in hidden if os.path.isdir(d) and d != "/"):
        inner = sorted(k for k in keep if k.startswith(top + "/"))
        # keep only outermost paths
        inner = [k for k in inner if not any(k.startswith(o + "/") for o in inner if o != k)]
        out.append((top, tuple(inner)))
    return tuple(out)


def _probe(argv: list[str], user: int | None = None) -> bool:
    code = "import socket\ntry:\n socket.create_connection(('1.1.1.1', 53), timeout=0.5)\n"
    code += "except OSError:\n print('isolated')\nelse:\n print('open')"
    try:
        out = subprocess.run(
            [*argv, sys.executable, "-I", "-c", code],
            capture_output=True,
            text=True,
            timeout=20,
            env={"PATH": _SAFE_PATH},
            user=user,
            cwd="/",
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and out.stdout.strip() in ("isolated", "open")


@functools.cache
def detect_isolation(prefer: str = "auto") -> Isolation:
    """The strongest isolation this machine allows (cached per process)."""
    root = os.geteuid() == 0
    masks = _hidden_dirs()
    tried: list[str] = []
    if prefer in ("auto", "bwrap"):
        bwrap = shutil.which("bwrap")
        if bwrap:
            argv = _bwrap_argv(bwrap, "/", masks, uid=None)
            drop = root and _setpriv_ok()
            if _probe(argv + (_setpriv_argv(61000) if drop else [])):
                return Isolation("bwrap", "bubblewrap namespaces", drop, masks)
            tried.append("bwrap did not start (user namespaces blocked?)")
        else:
            tried.append("bwrap not installed (Debian: bubblewrap)")
    if prefer in ("auto", "bwrap", "unshare"):
        unshare = shutil.which("unshare")
        if unshare:
            argv = [unshare, "-n", "--"] if root else [unshare, "-rn", "--"]
            if _probe(argv):
                return Isolation("unshare", _why("network namespace only", tried), False)
            tried.append("unshare -n failed")
        else:
            tried.append("unshare not installed")
    drop = root and _probe([], user=61000)
    return Isolation("rlimits", _why("resource limits only", tried), drop)


def _why(what: str, tried: list[str]) -> str:
    return f"{what}; {'; '.join(tried)}" if tried else f"{what} (as requested)"


@functools.cache
def _setpriv_ok() -> bool:
    return shutil.which("setpriv") is not None


def _setpriv_argv(uid: int) -> list[str]:
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
    ]


def _bwrap_argv(bwrap: str, workdir: str, masks, uid: int | None) -> list[str]:  # type: ignore[no-untyped-def]
    argv = [
        bwrap,
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
    ]
    for top, keep in masks:
        argv += ["--perms", "0755", "--tmpfs", top]
        made: set[str] = set()
        for k in keep:
            # bwrap would create the folders between `top` and `k` as 0700, which the
            # unprivileged uid could not traverse.
            parts = Path(k).relative_to(top).parts[:-1]
            for i in range(1, len(parts) + 1):
                d = str(Path(top, *parts[:i]))
                if d not in made:
                    made.add(d)
                    argv += ["--perms", "0755", "--dir", d]
            argv += ["--ro-bind", k, k]
    argv += ["--bind", workdir, _INSIDE, "--chdir", _INSIDE, "--"]
    return argv


# --- running ---------------------------------------------------------------------
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


class Executor:
    """Runs code strings; thread-safe; at most `workers` runs at once."""

    def __init__(
        self,
        limits: Limits | None = None,
        workers: int | None = None,
        isolation: str = "auto",
        python: str | None = None,
    ) -> None:
        if isolation not in ("auto", *MODES):
            raise ValueError(f"isolation must be auto or one of {MODES}")
        self.limits = limits or Limits()
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.isolation = detect_isolation(isolation)
        if isolation not in ("auto", self.isolation.mode):
            log.warning(
                "sandbox: %s isolation unavailable, using %s", isolation, self.isolation.mode
            )
        _warn_once(self.isolation)
        self.python = python or sys.executable
        self._slots: list[int] = list(range(self.workers))
        self._lock = threading.Lock()
        self._sem = threading.BoundedSemaphore(self.workers)
        # Per-slot uids, distinct per process so two runs never share a uid.
        self._uid_base = 61000 + (os.getpid() % 4000) * 16

    def run(self, code: str, stdin: str = "", limits: Limits | None = None) -> ExecResult:
        lim = limits or self.limits
        with self._sem:
            with self._lock:
                slot = self._slots.pop()
            try:
                return self._run(code, stdin, lim, self._uid_base + slot)
            finally:
                with self._lock:
                    self._slots.append(slot)

    def _run(self, code: str, stdin: str, lim: Limits, uid: int) -> ExecResult:
        iso = self.isolation
        workdir = tempfile.mkdtemp(prefix="codesteer-run-")
        try:
            Path(workdir, "main.py").write_text(code, encoding="utf-8", errors="replace")
            if iso.drop_uid:
                os.chown(workdir, uid, uid)
                os.chown(Path(workdir, "main.py"), uid, uid)
            inside = _INSIDE if iso.mode == "bwrap" else workdir
            argv, user = self._argv(workdir, uid, lim)
            env = {
                "PATH": _SAFE_PATH,
                "HOME": inside,
                "TMPDIR": inside,
                "LANG": "C.UTF-8",
                "PYTHONIOENCODING": "utf-8",
                "PYTHONDONTWRITEBYTECODE": "1",
                "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
                "MPLBACKEND": "Agg",
            }
            return self._spawn(argv, env, workdir, user, stdin, lim, uid)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _argv(self, workdir: str, uid: int, lim: Limits) -> tuple[list[str], int | None]:
        iso = self.isolation
        cpu = lim.cpu_s or int(lim.wall_s) + 1
        prlimit = [
            "prlimit",
            f"--as={lim.memory_mb * 2**20}",
            f"--cpu={cpu}",
            f"--fsize={lim.file_mb * 2**20}",
            f"--nofile={lim.open_files}",
            f"--nproc={lim.processes}",
            "--core=0",
            "--",
        ]
        py = [self.python, "-I", "main.py"]
        if iso.mode == "bwrap":
            drop = _setpriv_argv(uid) if iso.drop_uid else []
            return [*prlimit, *_bwrap_argv("bwrap", workdir, iso.masks, uid), *drop, *py], None
        pre = ["unshare", "-n", "--"] if os.geteuid() == 0 else ["unshare", "-rn", "--"]
        pre = pre if iso.mode == "unshare" else []
        return [*pre, *prlimit, *py], (uid if iso.drop_uid else None)

    def _spawn(self, argv, env, cwd, user, stdin, lim, uid) -> ExecResult:  # type: ignore[no-untyped-def]
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                user=user,
                start_new_session=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            return ExecResult(
                "",
                "",
                None,
                False,
                0.0,
                self.isolation.mode,
                error=f"could not start the sandbox: {exc}",
            )
        out = _Capture(proc.stdout, lim.output_bytes)  # type: ignore[arg-type]
        err = _Capture(proc.stderr, lim.output_bytes)  # type: ignore[arg-type]
        out.start()
        err.start()
        try:
            proc.stdin.write(stdin.encode("utf-8", errors="replace"))  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        timed_out = False
        try:
            proc.wait(timeout=lim.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        duration = time.monotonic() - start
        self._kill_all(proc, uid)
        proc.wait()
        out.join(timeout=5)
        err.join(timeout=5)
        rc = proc.returncode
        sig = None
        if rc is not None and rc < 0:
            sig = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
        elif rc is not None and rc > 128 and self.isolation.mode == "bwrap":
            # bwrap reports a signal-killed child as 128 + signal number
            n = rc - 128
            sig = signal.Signals(n).name if n in signal.valid_signals() else None
        return ExecResult(
            out.text(),
            err.text(),
            None if timed_out else rc,
            timed_out,
            duration,
            self.isolation.mode,
            out.total > len(out.buf),
            err.total > len(err.buf),
            out.total,
            err.total,
            sig,
        )

    def _kill_all(self, proc: subprocess.Popen[bytes], uid: int) -> None:
        """Kill the run's process group, and anything left running as its uid."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if self.isolation.drop_uid and self.isolation.mode != "bwrap":
            # Code may have left its process group (setsid); its uid is its own.
            subprocess.run(
                ["pkill", "-KILL", "-U", str(uid)],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


_WARNED: set[str] = set()


def _warn_once(iso: Isolation) -> None:
    if iso.mode != "bwrap" and iso.mode not in _WARNED:
        _WARNED.add(iso.mode)
        log.warning("sandbox: %s isolation in force (%s)", iso.mode, iso.reason)


@functools.cache
def default_executor() -> Executor:
    """A process-wide executor shared by every episode."""
    return Executor()
