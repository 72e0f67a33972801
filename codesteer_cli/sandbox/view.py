"""What the sandboxed code sees: the interpreter, the allowed packages, and nothing else.

The view is a folder in a cache (hard links where the file system allows, copies
otherwise), built once per interpreter and package set:

- ``prefix/``: the base interpreter's prefix (its executable, ``lib*.so*`` and the
  standard library, without its test suite), with ``site-packages`` replaced by the
  allowed distributions only (sympy, numpy, ...; see ``ALLOWED``) and their
  requirements. No ``.pth`` file, no editable install, no project folder: inside,
  ``import codesteer_cli`` and ``import symbench`` fail.
- For an interpreter that lives in ``/usr`` (a distribution's python), only
  ``site-packages/``, mounted over the first site folder under ``/usr/local``; the
  other site folders are hidden.

The view sits in one neutral folder, so ``/proc/self/mountinfo`` inside names that folder,
``/usr`` and ``/etc/ld.so.cache``, never the project, the virtual environment or a home.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import shutil
import site
import sys
import sysconfig
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

log = logging.getLogger("codesteer.sandbox")

# Distributions the code may import (where installed), with their requirements.
ALLOWED = (
    "sympy",
    "mpmath",
    "numpy",
    "scipy",
    "python-constraint",
    "python-constraint2",
    "networkx",
    "gmpy2",
)
_NEVER = {"tests", "test", "docs", "__pycache__", "codesteer_cli", "symbench"}
_FORMAT = 1  # bump when the layout of a view changes
INSIDE_UID = 1000
WORKDIR = "/tmp/work"  # the run folder as the code sees it


@dataclass(frozen=True)
class PythonView:
    """A built view: where it is and how to mount it."""

    root: Path  # the cache folder holding prefix/ or site-packages/
    prefix: str  # the interpreter's prefix, as the code sees it (same path as the host's)
    python: str  # the interpreter's executable inside (same path as the host's)
    site_dest: str  # where the allowed packages appear inside
    hidden_sites: tuple[str, ...]  # other site folders, hidden with an empty tmpfs
    packages: tuple[str, ...]  # "name version" of what is inside


def cache_root() -> Path:
    """Where views are kept: $CODESTEER_SANDBOX_CACHE, else /var/cache/codesteer/sandbox
    for root (a path the run's unprivileged uid can traverse), else ~/.cache."""
    env = os.environ.get("CODESTEER_SANDBOX_CACHE")
    if env:
        return Path(env)
    if os.geteuid() == 0:
        return Path("/var/cache/codesteer/sandbox")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "codesteer", "sandbox")


def _distributions() -> list[metadata.Distribution]:
    """The allowed distributions installed for this interpreter, with their (non-extra)
    requirements, transitively."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(ALLOWED)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[name] = dist
        for req in dist.requires or []:
            if "extra" in req.partition(";")[2]:
                continue
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
            if m:
                todo.append(m.group(1))
    return sorted(found.values(), key=lambda d: d.metadata["Name"].lower())


def _top_levels(dist: metadata.Distribution) -> tuple[Path, list[str]]:
    """The folder a distribution is installed in and its top-level entries there."""
    where = Path(str(dist.locate_file(""))).resolve()
    tops: set[str] = set()
    for f in dist.files or []:
        parts = Path(str(f)).parts
        if parts and parts[0] != ".." and not parts[0].endswith(".pth"):
            tops.add(parts[0])
    info = getattr(dist, "_path", None)  # the .dist-info folder
    if info is not None:
        tops.add(Path(str(info)).name)
    return where, sorted(t for t in tops if t not in _NEVER and (where / t).exists())


def _link_tree(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` with hard links where possible (same file system)."""
    if src.is_file() or src.is_symlink():
        _link_file(src, dest)
        return
    for dirpath, dirnames, filenames in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        dirnames[:] = [d for d in dirnames if not (rel == Path(".") and d in _NEVER - {"tests"})]
        out = dest / rel
        out.mkdir(parents=True, exist_ok=True)
        out.chmod(0o755)
        for name in filenames:
            _link_file(Path(dirpath, name), out / name)
        for name in list(dirnames):
            p = Path(dirpath, name)
            if p.is_symlink():
                os.symlink(os.readlink(p), out / name)
                dirnames.remove(name)


def _link_file(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        os.symlink(os.readlink(src), dest)
        return
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)
        dest.chmod(src.stat().st_mode & 0o755 | 0o444)


def _stdlib_dirs() -> tuple[str, str, str]:
    """(prefix, stdlib folder, purelib) of the base interpreter."""
    prefix = os.path.realpath(sys.base_prefix)
    vars_ = {"base": prefix, "platbase": prefix, "installed_base": prefix}
    paths = sysconfig.get_paths(vars=vars_)
    return prefix, os.path.realpath(paths["stdlib"]), paths["purelib"]


def _key(dists: list[metadata.Distribution]) -> str:
    exe = os.path.realpath(sys.executable)
    parts: list[object] = [_FORMAT, exe, sys.version, os.stat(exe).st_mtime_ns]
    for d in dists:
        where, tops = _top_levels(d)
        stamps = [(t, (where / t).stat().st_mtime_ns) for t in tops]
        parts.append([d.metadata["Name"], d.version, str(where), stamps])
    raw = json.dumps(parts, sort_keys=True, default=str).encode()
    return f"py{sys.version_info[0]}{sys.version_info[1]}-" + hashlib.sha256(raw).hexdigest()[:16]


def _build(dest: Path, dists: list[metadata.Distribution], prefix: str, stdlib: str) -> None:
    usr = prefix == "/usr" or prefix.startswith("/usr/") and not prefix.startswith("/usr/local")
    if usr:
        site_dir = dest / "site-packages"
    else:
        root = dest / "prefix"
        exe = Path(os.path.realpath(sys.executable))
        _link_file(exe, root / exe.relative_to(prefix))
        for alias in ("python3", "python"):
            link = root / "bin" / alias
            if not link.exists():
                os.symlink(exe.name, link)
        for f in Path(prefix, "lib").iterdir():  # libpython and friends
            if f.is_file() or (f.is_symlink() and not f.is_dir()):
                _link_file(f, root / "lib" / f.name)
        zipped = Path(prefix, "lib", f"python{sys.version_info[0]}{sys.version_info[1]}.zip")
        if zipped.exists():
            _link_file(zipped, root / "lib" / zipped.name)
        std = Path(stdlib)
        for entry in std.iterdir():
            if entry.name not in ("site-packages", "dist-packages", "test"):
                _link_tree(entry, root / std.relative_to(prefix) / entry.name)
        site_dir = root / std.relative_to(prefix) / "site-packages"
    site_dir.mkdir(parents=True, exist_ok=True)
    for d in dists:
        where, tops = _top_levels(d)
        for t in tops:
            _link_tree(where / t, site_dir / t)
    for p in [dest, *dest.rglob("*")]:
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)


_build_lock = threading.Lock()


def python_view() -> PythonView:
    """Build (once per cache key) and return the view for this interpreter."""
    with _build_lock:  # threads of one process would share a build folder
        return _python_view()


@functools.cache
def _python_view() -> PythonView:
    prefix, stdlib, purelib = _stdlib_dirs()
    dists = _distributions()
    root = cache_root()
    dest = root / _key(dists)
    if not (dest / ".complete").exists():
        for d in (root.parent, root):
            d.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                d.chmod(0o755)
        tmp = root / f".build-{dest.name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(mode=0o755)
        _build(tmp, dists, prefix, stdlib)
        (tmp / ".complete").write_text(json.dumps([f"{d.metadata['Name']}" for d in dists]))
        try:
            os.rename(tmp, dest)
        except OSError:  # another process built it first
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("sandbox: built the interpreter view %s", dest)
    exe = os.path.realpath(sys.executable)
    packages = tuple(f"{d.metadata['Name']} {d.version}" for d in dists)
    if (dest / "prefix").is_dir():
        return PythonView(dest, prefix, exe, purelib, (), packages)
    sites = [s for s in site.getsitepackages([prefix]) if s.startswith("/usr/")]
    local = [s for s in sites if s.startswith("/usr/local/")]
    target = local[0] if local else f"/usr/local/lib/python{sys.version_info[0]}"
    target += "" if local else f".{sys.version_info[1]}/dist-packages"
    hidden = tuple(s for s in sites if not s.startswith("/usr/local/") and os.path.isdir(s))
    return PythonView(dest, prefix, exe, target, hidden, packages)


def plan(view: PythonView, disk_bytes: int, shm_bytes: int, code_fd: int) -> list[dict]:  # type: ignore[type-arg]
    """The file system of one run, as steps both bwrap and the namespaces setup follow."""
    steps: list[dict] = [{"op": "bind", "src": "/usr", "dest": "/usr"}]  # type: ignore[type-arg]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = f"/{top}"
        if os.path.islink(p):
            steps.append({"op": "symlink", "target": os.readlink(p), "dest": p})
        elif os.path.isdir(p):
            steps.append({"op": "bind", "src": p, "dest": p})
    under_local = view.prefix == "/usr/local" or view.prefix.startswith("/usr/local/")
    if os.path.isdir("/usr/local") and not under_local:
        steps.append({"op": "tmpfs", "dest": "/usr/local", "mode": "755", "size": 65536})
    steps.append({"op": "tmpfs", "dest": "/tmp", "mode": "1777", "size": disk_bytes})
    steps.append({"op": "dir", "dest": WORKDIR, "mode": "755"})
    steps.append({"op": "file", "fd": code_fd, "dest": f"{WORKDIR}/main.py", "mode": "644"})
    if (view.root / "prefix").is_dir():
        steps.append({"op": "bind", "src": str(view.root / "prefix"), "dest": view.prefix})
    else:
        site_src = str(view.root / "site-packages")
        steps.append({"op": "bind", "src": site_src, "dest": view.site_dest})
        for h in view.hidden_sites:
            steps.append({"op": "tmpfs", "dest": h, "mode": "755", "size": 4096})
            steps.append({"op": "remount-ro", "dest": h})
    if os.path.isdir("/usr/local") and not under_local:
        steps.append({"op": "remount-ro", "dest": "/usr/local"})
    if os.path.isfile("/etc/ld.so.cache"):
        steps.append({"op": "bind", "src": "/etc/ld.so.cache", "dest": "/etc/ld.so.cache"})
    steps.append({"op": "dev", "dest": "/dev"})
    steps.append({"op": "tmpfs", "dest": "/dev/shm", "mode": "1777", "size": shm_bytes})
    steps.append({"op": "proc", "dest": "/proc"})
    return steps
