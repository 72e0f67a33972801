"""Which sandbox mode runs the code, and exactly what each one enforces.

Modes:
- ``bwrap``: bubblewrap, unprivileged, in its own user namespace (as root, bwrap itself
  is started as the run's own unprivileged uid).
- ``namespaces``: the same isolation built directly on the kernel's namespaces (user,
  mount, PID, network, IPC, UTS, cgroup) by a small setup step (``_nsinit``), for
  machines without bubblewrap.
- ``none``: no isolation at all, only resource limits; never chosen automatically, and
  every run start logs a warning.
- ``auto`` (the default, or ``$CODESTEER_SANDBOX``): the strongest safe mode that works
  here: ``bwrap``, else ``namespaces``. When neither works it is an error naming the fix,
  never a silent fallback; a mode asked for by name that does not work is an error too.
"""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass, field

from codesteer_cli.errors import UserError

MODES = ("bwrap", "namespaces", "none")
ENV_VAR = "CODESTEER_SANDBOX"
_FIX = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) or allow unprivileged "
    "user namespaces (sysctl kernel.unprivileged_userns_clone=1; Ubuntu: "
    "kernel.apparmor_restrict_unprivileged_userns=0)"
)


@dataclass(frozen=True)
class Isolation:
    """The mode in force and what it does and does not enforce."""

    mode: str
    reason: str  # one line: why this mode and what it gives
    enforced: tuple[str, ...] = ()
    not_enforced: tuple[str, ...] = ()
    cgroups: str | None = None  # "v1"/"v2" when aggregate limits are enforced
    bwrap: str | None = None
    setpriv: str | None = None
    packages: tuple[str, ...] = field(default=())

    @property
    def safe(self) -> bool:
        return self.mode != "none"

    @property
    def description(self) -> str:
        """Everything in one paragraph, for logs."""
        text = f"{self.mode}: {self.reason}. Enforced: " + "; ".join(self.enforced)
        if self.not_enforced:
            text += ". NOT enforced: " + "; ".join(self.not_enforced)
        return text


def requested_mode(mode: str | None = None) -> str:
    """The mode asked for: `mode`, else $CODESTEER_SANDBOX, else auto."""
    m = (mode or os.environ.get(ENV_VAR) or "auto").strip().lower()
    if m not in ("auto", *MODES):
        raise UserError(f"unknown sandbox mode {m!r}: choose auto, {', '.join(MODES)}")
    return m


def choose_isolation(mode: str | None = None) -> Isolation:
    """The isolation to run code with, for `mode` (None: $CODESTEER_SANDBOX or auto).

    Raises UserError (one line, naming the fix) when that mode cannot run safely here.
    The CLI calls this before any work starts.
    """
    m = requested_mode(mode)
    if m != "auto":
        iso, why = _candidate(m)
        if iso is None:
            fix = "" if "not installed" in why or m == "none" else f"; to fix it, {_FIX}"
            raise UserError(f"sandbox mode {m} is unavailable here: {why}{fix}")
        return iso
    whys = []
    for m in ("bwrap", "namespaces"):
        iso, why = _candidate(m)
        if iso is not None:
            return iso
        whys.append(f"{m}: {why}")
    raise UserError(
        f"no safe sandbox for model code here ({'; '.join(whys)}): {_FIX}, or pass "
        f"--sandbox none ({ENV_VAR}=none) to run it unsandboxed"
    )


def probe_all() -> dict[str, tuple[Isolation | None, str]]:
    """Every safe mode with its isolation (None when unavailable) and the reason; mode
    none is listed without running it (it works anywhere, unsafely)."""
    out: dict[str, tuple[Isolation | None, str]] = {m: _candidate(m) for m in MODES[:-1]}
    out["none"] = (None, "no isolation; only when asked for by name")
    return out


@functools.cache
def _candidate(mode: str) -> tuple[Isolation | None, str]:
    """Build the isolation for `mode` and prove it with a real run (cached)."""
    from codesteer_cli.sandbox import cgroups
    from codesteer_cli.sandbox.view import python_view

    root = os.geteuid() == 0
    cg = cgroups.support()
    bw = sp = None
    if mode == "bwrap":
        bw = shutil.which("bwrap")
        if bw is None:
            return None, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
        if root:
            sp = shutil.which("setpriv")
            if sp is None:
                return None, "setpriv (util-linux) is needed to start bwrap without root"
    if mode != "none":
        try:
            view = python_view()
        except OSError as exc:
            return None, f"could not build the interpreter view: {exc}"
        packages = view.packages
    else:
        packages = ()
    iso = Isolation(
        mode,
        _reason(mode, root),
        _enforced(mode, root, cg, packages),
        _not_enforced(mode, root, cg),
        cg.version,
        bw,
        sp,
        packages,
    )
    ok, why = _prove(iso)
    if not ok:
        return None, why
    return iso, "ok"


def _reason(mode: str, root: bool) -> str:
    if mode == "bwrap":
        return "bubblewrap, unprivileged, in its own user namespace"
    if mode == "namespaces":
        return "kernel namespaces set up directly (no bubblewrap)"
    who = "root" if root else f"uid {os.geteuid()}"
    return f"NO ISOLATION: model code runs as {who} with this machine's files and network"


def _enforced(mode: str, root: bool, cg: object, packages: tuple[str, ...]) -> tuple[str, ...]:
    from codesteer_cli.sandbox import cgroups

    assert isinstance(cg, cgroups.Support)
    limits = "per process: CPU time, address space, file size, open files"
    if mode == "none":
        out = [limits, "environment scrubbed (no API keys)", "run folder removed after the run"]
        if cg.version:
            out.append(f"run-wide memory and process caps ({cg.reason})")
        return tuple(out)
    uid = "a per-run unprivileged uid" if root else f"your uid ({os.geteuid()})"
    out = [
        f"never root, no capabilities: uid 1000 in its own user namespace, {uid} outside",
        "nested user namespaces disabled",
        "own PID namespace: nothing outlives the run; parent and host processes invisible",
        "no network (own network namespace), own IPC and UTS namespaces",
        "file system: the interpreter with the allowed packages only ("
        + (", ".join(packages) or "none installed")
        + "), read-only; no project, store, virtual environment or home folders; fresh /proc",
        "private size-limited tmpfs for the run folder and /tmp, and for /dev/shm; both "
        "vanish with the run even if the owner is killed",
        limits,
        "process count per run (RLIMIT_NPROC in the run's user namespace)",
    ]
    if cg.version:
        out.append(f"run-wide memory and process caps across all its processes ({cg.reason})")
    return tuple(out)


def _not_enforced(mode: str, root: bool, cg: object) -> tuple[str, ...]:
    from codesteer_cli.sandbox import cgroups

    assert isinstance(cg, cgroups.Support)
    if mode == "none":
        return (
            "no isolation: the code can read and write every file this user can (store, "
            "project, .env, home), use the network, and see and signal other processes",
            "processes that leave the process group may outlive the run"
            + ("" if cg.version else "; memory is capped per process only"),
        )
    out = [
        "no seccomp system-call filter (system calls run without any capability)",
        "/usr (the system's programs and libraries) is visible, read-only",
    ]
    if not cg.version:
        out.append(
            "run-wide memory cap (memory is limited per process only: "
            f"{cg.reason}; run as root or in a delegated cgroup v2 to enforce it)"
        )
    return tuple(out)


_PROBE = """\
import os, socket, sys
cap = [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('CapEff')][0]
names = sorted(n for _, n in socket.if_nameindex())
import sympy, numpy
print(os.getuid(), int(cap, 16), os.getppid(), ','.join(names), len(sys.path))
"""


def _prove(iso: Isolation) -> tuple[bool, str]:
    """Run a probe program in `iso` and check the isolation is what it claims."""
    from codesteer_cli.sandbox.process import Limits, _give_slot, _take_slot, execute

    slot = _take_slot()
    try:
        r = execute(iso, _PROBE, "", Limits(wall_s=30), slot)
    finally:
        _give_slot(slot)
    if r.error:
        return False, r.error
    if r.exit_status != 0:
        return False, f"the probe program failed: {r.stderr.strip()[-300:] or r.exit_status}"
    if iso.mode == "none":
        return True, "ok"
    try:
        uid, cap, ppid, names, _ = r.stdout.split()
    except ValueError:
        return False, f"unexpected probe output {r.stdout[:200]!r}"
    if uid == "0" or cap != "0" or ppid != "1" or names != "lo":
        return False, f"isolation check failed (uid {uid}, caps {cap}, ppid {ppid}, nets {names})"
    return True, "ok"
