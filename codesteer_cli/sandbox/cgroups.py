"""Aggregate limits for a run: one cgroup per run with memory and process caps.

cgroup v2 is used where this process's own group can give its children the memory and
pids controllers; otherwise cgroup v1 (the memory and pids hierarchies) where they are
writable, which needs root. A run's group sits under the process's own group, so any
limit the host already has still applies. Where neither works the caller says so:
memory is then limited per process only (address space), processes per user namespace.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PREFIX = "codesteer-run"
_lock = threading.Lock()


@dataclass(frozen=True)
class Support:
    """How aggregate limits can be enforced here."""

    version: str | None  # "v2", "v1" or None
    memory_parent: Path | None
    pids_parent: Path | None
    reason: str  # what is used, or why nothing is


def _mounts() -> dict[str, Path]:
    """cgroup mount points by controller ("unified" for cgroup2)."""
    out: dict[str, Path] = {}
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields, sup = pre.split(), post.split()
            if len(sup) < 3 or len(fields) < 5:
                continue
            if sup[0] == "cgroup2":
                out.setdefault("unified", Path(fields[4]))
            elif sup[0] == "cgroup":
                for opt in sup[2].split(","):
                    if opt in ("memory", "pids"):
                        out.setdefault(opt, Path(fields[4]))
    return out


def _own_groups() -> dict[str, str]:
    """This process's group path per controller ("unified" for v2)."""
    out: dict[str, str] = {}
    with contextlib.suppress(OSError), open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controllers == "":
                out["unified"] = path
            for c in controllers.split(","):
                if c in ("memory", "pids"):
                    out[c] = path
    return out


def _writable(d: Path) -> bool:
    return d.is_dir() and os.access(d, os.W_OK)


def _try_v2(mount: Path, own: str) -> Support | None:
    here = mount / own.lstrip("/")
    try:
        available = (here / "cgroup.controllers").read_text().split()
    except OSError:
        return None
    if not {"memory", "pids"} <= set(available) or not _writable(here):
        return None
    parent = here / f"{_PREFIX}s-{os.getpid()}"
    try:
        enabled = (here / "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            (here / "cgroup.subtree_control").write_text("+memory +pids")
        parent.mkdir(exist_ok=True)
        (parent / "cgroup.subtree_control").write_text("+memory +pids")
    except OSError:
        with contextlib.suppress(OSError):
            parent.rmdir()
        return None
    return Support("v2", parent, parent, f"cgroup v2 under {here}")


@functools.cache
def support() -> Support:
    """Detect once per process what aggregate limits this machine allows."""
    mounts, own = _mounts(), _own_groups()
    if "unified" in mounts and "unified" in own:
        v2 = _try_v2(mounts["unified"], own["unified"])
        if v2 is not None:
            _reap_stale(v2.memory_parent.parent)  # type: ignore[union-attr]
            return v2
    if "memory" in mounts and "pids" in mounts:
        mem = mounts["memory"] / own.get("memory", "/").lstrip("/")
        pids = mounts["pids"] / own.get("pids", "/").lstrip("/")
        if _writable(mem) and _writable(pids):
            _reap_stale(mem)
            _reap_stale(pids)
            return Support("v1", mem, pids, "cgroup v1 memory and pids")
        why = "cgroup v1 groups are not writable (needs root)"
    else:
        why = "no usable cgroup v2 controllers and no cgroup v1 memory/pids hierarchy"
    return Support(None, None, None, why)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap_stale(parent: Path) -> None:
    """Remove empty run groups left by codesteer processes that were killed."""
    with contextlib.suppress(OSError):
        for d in parent.iterdir():
            name = d.name
            if not d.is_dir() or not name.startswith(_PREFIX):
                continue
            try:
                owner = int(name.split("-")[2])
            except (IndexError, ValueError):
                continue
            if owner != os.getpid() and not _pid_alive(owner):
                with contextlib.suppress(OSError):
                    for sub in d.iterdir():
                        if sub.is_dir():
                            sub.rmdir()
                    d.rmdir()


class RunGroup:
    """The cgroup(s) of one sandbox slot, reused run after run: the first process of a
    run joins it; between runs it is empty (the run's namespaces are gone). Reuse
    matters: a process's first move into a new memory cgroup costs 5-20 ms, a move into
    one used before 0.3 ms. Event counters are cumulative, so runs compare snapshots."""

    def __init__(self, sup: Support, slot: int) -> None:
        self.sup = sup
        name = f"{_PREFIX}-{os.getpid()}-{slot}"
        assert sup.memory_parent is not None and sup.pids_parent is not None
        if sup.version == "v2":
            self.dirs = [sup.memory_parent / name]
        else:
            self.dirs = [sup.memory_parent / name, sup.pids_parent / name]
        for d in self.dirs:
            d.mkdir(exist_ok=True)
        self._limits: tuple[int, int] | None = None

    def set_limits(self, memory_bytes: int, max_pids: int) -> None:
        if self._limits == (memory_bytes, max_pids):
            return
        if self.sup.version == "v2":
            d = self.dirs[0]
            (d / "memory.max").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                (d / "memory.swap.max").write_text("0")
            (d / "pids.max").write_text(str(max_pids))
        else:
            mem, pids = self.dirs
            # memsw must stay >= the memory limit: order the two writes accordingly
            files = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
            if self._limits is not None and memory_bytes > self._limits[0]:
                files.reverse()
            for f in files:
                with contextlib.suppress(FileNotFoundError):  # memsw: only with swap accounting
                    (mem / f).write_text(str(memory_bytes))
            (pids / "pids.max").write_text(str(max_pids))
        self._limits = (memory_bytes, max_pids)

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def pids(self) -> set[int]:
        out: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError):
                out |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
        return out

    def kill_all(self) -> None:
        """SIGKILL every process of the run, wherever it moved in its namespaces."""
        if self.sup.version == "v2":
            with contextlib.suppress(OSError):
                (self.dirs[0] / "cgroup.kill").write_text("1")
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def counters(self) -> tuple[int, int]:
        """(memory OOM kills, refused forks) so far."""
        if self.sup.version == "v2":
            mem = _counters(self.dirs[0] / "memory.events")
            pids = _counters(self.dirs[0] / "pids.events")
        else:
            mem = _counters(self.dirs[0] / "memory.oom_control")
            pids = _counters(self.dirs[1] / "pids.events")
        return mem.get("oom_kill", 0), pids.get("max", 0)

    def events_since(self, before: tuple[int, int]) -> tuple[str, ...]:
        """Run-wide limits hit since `before`: "oom_kill" (memory), "pids_max"."""
        oom, pids = self.counters()
        return tuple(
            name
            for name, hit in (("oom_kill", oom > before[0]), ("pids_max", pids > before[1]))
            if hit
        )

    def empty(self, wait_s: float = 5.0) -> None:
        """Kill what is left of a run and wait until the group is empty."""
        deadline = time.monotonic() + wait_s
        while self.pids() and time.monotonic() < deadline:
            self.kill_all()
            time.sleep(0.005)

    def remove(self) -> None:
        self.empty()
        for d in self.dirs:
            with contextlib.suppress(OSError):
                d.rmdir()


_groups: dict[int, RunGroup] = {}


def group_for(slot: int) -> RunGroup | None:
    """The reusable group of sandbox slot `slot`, or None without cgroup support."""
    sup = support()
    if sup.version is None:
        return None
    with _lock:
        g = _groups.get(slot)
        if g is None:
            g = _groups[slot] = RunGroup(sup, slot)
            if len(_groups) == 1:
                atexit.register(_remove_all)
        return g


def _remove_all() -> None:
    for g in list(_groups.values()):
        g.remove()
    if support().version == "v2" and support().memory_parent is not None:
        with contextlib.suppress(OSError):
            support().memory_parent.rmdir()  # type: ignore[union-attr]


def _counters(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            k, _, v = line.partition(" ")
            with contextlib.suppress(ValueError):
                out[k] = int(v)
    return out
