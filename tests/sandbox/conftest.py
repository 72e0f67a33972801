"""Sandbox test fixtures: every safe mode this machine accepts, and a host to attack.

Modes: `auto` (always tested: it fails loudly when no safe sandbox exists), and `bwrap`
and `namespaces` by name. A mode this machine cannot run is skipped with the reason
in the test report (pytest -rs), never silently.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.sandbox import Executor, Isolation, Limits
from codesteer_cli.sandbox.isolation import _candidate, choose_isolation

REPO = Path(__file__).resolve().parents[2]
SAFE_MODES = ("auto", "bwrap", "namespaces")


def executor_for(mode: str, limits: Limits | None = None, workers: int = 2) -> Executor:
    """An executor in `mode`; skips (with the reason) a named mode this machine lacks."""
    if mode == "auto":
        try:
            choose_isolation("auto")
        except UserError as exc:
            pytest.fail(f"no safe sandbox on this machine: {exc}", pytrace=False)
    else:
        iso, why = _candidate(mode)
        if iso is None:
            pytest.skip(f"sandbox mode {mode} is not available on this machine: {why}")
    return Executor(limits or Limits(wall_s=5), workers=workers, isolation=mode)


@pytest.fixture(scope="module", params=SAFE_MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def ex(mode: str) -> Executor:
    e = executor_for(mode)
    print(f"sandbox mode {mode}: {e.isolation.mode}")
    return e


@dataclass
class Host:
    """Things on the host the code must not reach."""

    marker: str  # a unique word for this session's processes and files
    project: Path  # the real project checkout
    venv: Path  # the real virtual environment
    clone: Path  # a second checkout with a .env and a demo-out/codesteer.db store
    store: Path
    answers: list[str]  # reference answers stored in `store`
    tmp_secret: Path  # a file in the host's /tmp
    shm_secret: Path  # a file in the host's /dev/shm
    decoy: int  # a host process to kill or trace
    port: int  # a host TCP server on 127.0.0.1
    abstract: str  # a host abstract unix socket name
    store_hash: str = ""  # the store's hash before the attacks
    iso: Isolation | None = None  # the isolation under test

    def subs(self) -> dict[str, str]:
        out = {k: str(v) for k, v in vars(self).items() if isinstance(v, str | int | Path)}
        # written backwards, so the program's own text never contains them
        secrets = [self.marker, *self.answers]
        out["reversed_secrets"] = repr([s[::-1] for s in secrets])
        return out

    def marked_processes(self) -> list[str]:
        return [f"{pid} {cmd}" for pid, cmd in host_processes() if self.marker in cmd]


def _store_with_answers(path: Path) -> list[str]:
    from codesteer_cli.store import repo
    from codesteer_cli.store.db import Store, resolve_url
    from symbench.core import get_task

    store = Store(resolve_url(str(path)))
    store.upgrade()
    samples = [get_task("number_multiply").generate(3, s) for s in range(3)]
    repo.add_samples(store, samples)
    # Close every connection now: the last close checkpoints the WAL into the file, which
    # would otherwise happen whenever the engine is collected and change the store's hash
    # in the middle of the attacks (seen once as a write-store "leak" that was not one).
    store.engine.dispose()
    store.read_engine.dispose()
    assert not path.with_name(path.name + "-wal").exists()
    return [s.answer for s in samples]


@pytest.fixture(scope="session")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    marker = f"cshostile{uuid.uuid4().hex[:10]}"
    clone = tmp_path_factory.mktemp("clone")
    (clone / ".env").write_text(f"OPENAI_API_KEY=sk-{marker}-dotenv\n")
    (clone / ".env").chmod(0o644)
    (clone / "codesteer_cli").mkdir()
    (clone / "codesteer_cli" / "__init__.py").write_text("# source\n")
    store = clone / "demo-out" / "codesteer.db"
    store.parent.mkdir()
    answers = _store_with_answers(store)
    tmp_secret = Path("/tmp") / f"{marker}-secret.txt"
    tmp_secret.write_text(marker)
    shm_secret = Path("/dev/shm") / f"{marker}-secret.txt"
    shm_secret.write_text(marker)
    decoy = subprocess.Popen(["sleep", "3600"], start_new_session=True)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                conn.sendall(b"host secret\n")
                conn.close()
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    abstract = f"{marker}-abstract"
    usock = socket.socket(socket.AF_UNIX)
    usock.bind("\0" + abstract)
    usock.listen(1)
    h = Host(
        marker,
        REPO,
        Path(sys.prefix),
        clone,
        store,
        answers,
        tmp_secret,
        shm_secret,
        decoy.pid,
        srv.getsockname()[1],
        abstract,
    )
    yield h
    stop.set()
    srv.close()
    usock.close()
    os.kill(decoy.pid, signal.SIGKILL)
    decoy.wait()
    tmp_secret.unlink(missing_ok=True)
    shm_secret.unlink(missing_ok=True)


def host_processes() -> list[tuple[int, str]]:
    """(pid, command line) of every process on the host, read from /proc (ps may cut
    long command lines to the terminal's width)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmd:
                out.append((int(p.name), cmd))
    return out


def files_named(top: str, prefix: str) -> list[str]:
    """Files under `top` whose name starts with `prefix` (folders that vanish while we
    look, other tests' run folders, are skipped)."""
    return [
        os.path.join(d, f) for d, _, files in os.walk(top) for f in files if f.startswith(prefix)
    ]


def alive(pid: int) -> bool:
    """Whether host process `pid` still runs (a zombie counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
