"""Where local model files live, and how they are written there safely.

`cache_root()` is the process-wide cache folder ($CODESTEER_CACHE, else
$XDG_CACHE_HOME/codesteer, else ~/.cache/codesteer). Everything prepared on first use
(a dequantized model, an assembled GGUF, offline BPE data put there by hand) lives under
it. Builds happen in a temporary sibling and are renamed into place under a file lock,
so two processes or an interrupted first use never leave a broken file or folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MARKER = "codesteer-model.json"  # written last into a built folder: its presence = complete


def cache_root() -> Path:
    """$CODESTEER_CACHE, else $XDG_CACHE_HOME/codesteer, else ~/.cache/codesteer."""
    explicit = os.environ.get("CODESTEER_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "codesteer"


def models_dir() -> Path:
    return cache_root() / "models"


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (POSIX); elsewhere, nothing (the atomic
    rename alone still keeps the cache whole)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def atomic_build(final: Path, build: Callable[[Path], None], marker: dict[str, Any]) -> Path:
    """Build a folder in a temporary sibling, then rename it to `final`.

    `final` either does not exist or is complete (has the marker file, written last).
    A stale or broken `final` is moved aside first; a failed build leaves nothing."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        build(tmp)
        (tmp / MARKER).write_text(json.dumps(marker, indent=2))
        if final.exists():
            trash = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def concatenate_verified(parts: list[Path], final: Path, size: int, sha256: str) -> Path:
    """Write `parts` end to end as `final`, checking the total size and sha256 first.

    The file is written to a temporary sibling and renamed only once its hash matches,
    so `final` is either absent or exactly the expected bytes. Raises ValueError on a
    size or hash mismatch (a corrupt or wrong part)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.tmp-", dir=final.parent)
    tmp = Path(name)
    try:
        digest = hashlib.sha256()
        written = 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if written != size:
            raise ValueError(f"the parts add up to {written:,} bytes, expected {size:,}")
        if digest.hexdigest() != sha256:
            raise ValueError(f"sha256 {digest.hexdigest()} does not match the expected {sha256}")
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final
