"""The executor with real processes: limits, isolation, cleanup, concurrency."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from codesteer_cli.sandbox.executor import Executor, Limits, detect_isolation


@pytest.fixture(scope="module")
def ex() -> Executor:
    return Executor(Limits(wall_s=3.0), workers=2)


def _sandbox_procs(ex: Executor | None = None) -> list[str]:
    """Sandboxed processes still alive: of `ex`'s own per-slot uids when it drops to them
    (other tests may run sandboxes in parallel), else any sandboxed `main.py`."""
    out = subprocess.run(["ps", "-eo", "pid=,uid=,args="], capture_output=True, text=True)
    rows = [ln.split(None, 2) for ln in out.stdout.splitlines() if "-I main.py" in ln]
    if ex is not None and ex.isolation.drop_uid:
        uids = range(ex._uid_base, ex._uid_base + ex.workers)
        rows = [r for r in rows if int(r[1]) in uids]
    return [" ".join(r) for r in rows]


def test_isolation_is_the_strongest_available(ex: Executor) -> None:
    iso = detect_isolation()
    print(f"isolation in force: {iso.mode} ({iso.reason})")
    if shutil.which("bwrap"):
        assert iso.mode == "bwrap", iso.reason
    assert ex.run("print(1)").isolation == iso.mode


def test_prints_and_scientific_packages(ex: Executor) -> None:
    r = ex.run(
        "import sympy, itertools, constraint\nimport numpy\n"
        "print(sympy.factorint(360), len(list(itertools.permutations(range(4)))))"
    )
    assert r.ok, r.stderr
    assert r.stdout.strip() == "{2: 3, 3: 2, 5: 1} 24"


def test_same_interpreter_and_libraries_as_the_host(ex: Executor) -> None:
    import sys

    r = ex.run("import sys\nprint(sys.base_prefix)\nprint(sys.version)")
    assert r.stdout.splitlines() == [sys.base_prefix, sys.version], r.stderr


def test_infinite_loop_is_killed_at_the_limit(ex: Executor) -> None:
    r = ex.run("while True:\n    pass")
    assert r.timed_out and r.exit_status is None and r.limit_hit() == "wall_time"
    assert abs(r.duration_s - 3.0) < 1.0
    assert not _sandbox_procs(ex)


def test_fork_bomb_is_contained(ex: Executor) -> None:
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    t0 = time.monotonic()
    r = ex.run(code, limits=Limits(wall_s=4.0))
    assert time.monotonic() - t0 < 8
    assert r.timed_out or r.exit_status != 0
    time.sleep(0.3)
    assert not _sandbox_procs(ex), "processes survived the run"
    t1 = time.monotonic()
    assert ex.run("print('still responsive')").stdout.strip() == "still responsive"
    assert time.monotonic() - t1 < 3


def test_background_process_does_not_survive(ex: Executor) -> None:
    code = (
        "import os, subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " start_new_session=True)\nprint('spawned')"
    )
    r = ex.run(code)
    assert r.stdout.strip() == "spawned"
    time.sleep(0.3)
    out = subprocess.run(["pgrep", "-f", "time.sleep\\(60\\)"], capture_output=True, text=True)
    assert out.stdout.strip() == "", "a detached child outlived the run"


def test_huge_allocation_is_a_memory_error(ex: Executor) -> None:
    r = ex.run("x = bytearray(10 * 2**30)\nprint('allocated')")
    assert r.exit_status not in (0, None)
    assert "MemoryError" in r.stderr and r.limit_hit() == "memory"


def test_writing_a_huge_file_is_stopped(ex: Executor) -> None:
    code = "with open('big', 'wb') as f:\n    for _ in range(1024):\n        f.write(b'0' * 2**20)"
    r = ex.run(code, limits=Limits(wall_s=20))
    assert not r.ok and r.limit_hit() == "file_size", (r.stderr[-300:], r.signal)


def test_environment_is_scrubbed(ex: Executor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:1")
    r = ex.run("import os\nprint(sorted(os.environ))\nprint(os.environ.get('HOME'))")
    assert "API_KEY" not in r.stdout and "PROXY" not in r.stdout.upper()
    assert "sk-should-not-leak" not in r.stdout


def test_network_is_off_where_isolated(ex: Executor) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    threading.Thread(target=lambda: srv.accept(), daemon=True).start()
    r = ex.run(
        f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "    print('connected')\nexcept OSError as e:\n    print('refused', e)"
    )
    srv.close()
    mode = ex.isolation.mode
    print(f"network check in mode {mode}: {r.stdout.strip()}")
    if mode in ("bwrap", "unshare"):
        assert r.stdout.startswith("refused")
    else:
        assert r.stdout.startswith("connected")


def test_file_system_is_read_only_outside_the_run_dir(ex: Executor) -> None:
    if ex.isolation.mode != "bwrap":
        pytest.fail(f"read-only file system needs bwrap; mode is {ex.isolation.mode}")
    r = ex.run(
        "import os\nopen('here.txt', 'w').write('ok')\nprint(open('here.txt').read())\n"
        "try:\n    open('/usr/evil', 'w')\nexcept OSError as e:\n    print('blocked', e.errno)\n"
        "print(sorted(os.listdir('/root')))"
    )
    lines = r.stdout.splitlines()
    assert lines[0] == "ok" and lines[1].startswith("blocked")
    assert ".ssh" not in lines[2] and ".bash_history" not in lines[2]


def test_host_tmp_is_hidden(ex: Executor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """/tmp is a fresh tmpfs inside (the host's files there stay private), yet an
    interpreter or venv that lives under /tmp, as in a CI clone, still runs."""
    if ex.isolation.mode != "bwrap":
        pytest.fail(f"hiding /tmp needs bwrap; mode is {ex.isolation.mode}")
    secret = tmp_path / "secret.txt"
    secret.write_text("host data")
    r = ex.run(f"import os, sys\nprint(os.path.exists({str(secret)!r}))\nprint(sys.prefix)")
    assert r.exit_status == 0, r.stderr
    assert r.stdout.splitlines() == ["False", sys.prefix]


@pytest.mark.parametrize(
    "code, check",
    [
        ("import sys\nsys.exit(3)", lambda r: r.exit_status == 3),
        ("def f(:\n  pass", lambda r: r.exit_status == 1 and "SyntaxError" in r.stderr),
        ("print(input())", lambda r: r.exit_status == 1 and "EOFError" in r.stderr),
        (
            "import sys\nsys.stdout.buffer.write(bytes(range(256)))",
            lambda r: r.exit_status == 0 and "\ufffd" in r.stdout and "\x00" not in r.stdout,
        ),
        (
            "print('x' * 10_000_000)",
            lambda r: (
                r.exit_status == 0
                and r.stdout_truncated
                and r.stdout_bytes == 10_000_001
                and len(r.stdout) == 20_000
            ),
        ),
        ("raise ValueError('boom')", lambda r: r.exit_status == 1 and "boom" in r.stderr),
    ],
    ids=["exit3", "syntax", "input", "binary", "huge-output", "exception"],
)
def test_failures_come_back_as_results(ex: Executor, code: str, check) -> None:  # type: ignore[no-untyped-def]
    r = ex.run(code)
    assert check(r), (r.exit_status, r.stdout[:200], r.stderr[-300:])


def test_stdin_is_passed(ex: Executor) -> None:
    assert ex.run("print(input()[::-1])", stdin="abc\n").stdout.strip() == "cba"


def test_hundred_concurrent_runs(ex: Executor) -> None:
    def one(i: int) -> tuple[int, str]:
        return i, ex.run(f"print({i} * {i})").stdout.strip()

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(100)))
    assert all(out == str(i * i) for i, out in results)
    assert not _sandbox_procs(ex)


def test_runs_do_not_share_files(ex: Executor) -> None:
    ex.run("open('secret.txt', 'w').write('left behind')")
    r = ex.run("import os\nprint(os.listdir('.'))")
    assert "secret.txt" not in r.stdout


def test_no_orphans_after_the_module(ex: Executor) -> None:
    assert not _sandbox_procs(ex)
