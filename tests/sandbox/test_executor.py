"""The executor with real processes, in every safe mode: limits, output, concurrency,
timing, and the same interpreter and packages as the host."""

from __future__ import annotations

import socket
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from codesteer_cli.sandbox import Executor, Limits
from tests.sandbox.conftest import host_processes


def _marked(code: str) -> tuple[str, str]:
    """`code` run as `python -c code <marker>`, so its processes (and their forks) can be
    told apart on the host from other tests' sandboxes; and the marker."""
    mark = f"cstest-{uuid.uuid4().hex[:10]}"
    wrapper = (
        f"import os, sys\nos.execv(sys.executable, [sys.executable, '-c', {code!r}, {mark!r}])"
    )
    return wrapper, mark


def _left(mark: str) -> list[str]:
    """Processes of the run marked `mark` still alive on the host."""
    return [cmd for _, cmd in host_processes() if mark in cmd]


def test_prints_and_scientific_packages(ex: Executor) -> None:
    r = ex.run(
        "import sympy, itertools, constraint, mpmath, networkx\nimport numpy\n"
        "print(sympy.factorint(360), len(list(itertools.permutations(range(4)))))"
    )
    assert r.ok, r.stderr
    assert r.stdout.strip() == "{2: 3, 3: 2, 5: 1} 24"


def test_same_interpreter_and_libraries_as_the_host(ex: Executor) -> None:
    import numpy
    import sympy

    r = ex.run(
        "import sys, numpy, sympy\nprint(sys.version)\nprint(sys.base_prefix)\n"
        "print(numpy.__version__, sympy.__version__)"
    )
    assert r.stdout.splitlines() == [
        sys.version,
        sys.base_prefix,
        f"{numpy.__version__} {sympy.__version__}",
    ], r.stderr


def test_child_interpreters_see_the_same_packages(ex: Executor) -> None:
    r = ex.run(
        "import subprocess, sys\n"
        "print(subprocess.run([sys.executable, '-c', 'import sympy; print(sympy.pi.evalf(5))'],"
        " capture_output=True, text=True).stdout.strip())\n"
        "print(subprocess.run(['python3', '-c', 'import numpy; print(numpy.arange(3).sum())'],"
        " capture_output=True, text=True).stdout.strip())"
    )
    assert r.stdout.split() == ["3.1416", "3"], r.stderr


def test_multiprocessing_works(ex: Executor) -> None:
    r = ex.run(
        "from multiprocessing import Pool\n"
        "def sq(x):\n    return x * x\n"
        "if __name__ == '__main__':\n"
        "    with Pool(2) as p:\n        print(sum(p.map(sq, range(10))))"
    )
    assert r.stdout.strip() == "285", r.stderr


def test_infinite_loop_is_killed_at_the_limit(ex: Executor) -> None:
    code, mark = _marked("while True:\n    pass")
    r = ex.run(code, limits=Limits(wall_s=3))
    assert r.timed_out and r.exit_status is None and r.limit_hit() == "wall_time"
    assert abs(r.duration_s - 3.0) < 1.0
    assert not _left(mark)


def test_fork_bomb_leaves_the_executor_responsive(ex: Executor) -> None:
    code, mark = _marked(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    )
    t0 = time.monotonic()
    r = ex.run(code, limits=Limits(wall_s=4.0))
    assert time.monotonic() - t0 < 8
    assert r.timed_out or r.exit_status != 0
    time.sleep(0.3)
    assert not _left(mark), "processes survived the run"
    t1 = time.monotonic()
    assert ex.run("print('still responsive')").stdout.strip() == "still responsive"
    assert time.monotonic() - t1 < 3


def test_background_process_does_not_survive(ex: Executor) -> None:
    mark = f"cstest-{uuid.uuid4().hex[:10]}"
    code = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)',"
        f" {mark!r}], start_new_session=True)\nprint('spawned')"
    )
    r = ex.run(code)
    assert r.stdout.strip() == "spawned"
    time.sleep(0.3)
    assert not _left(mark), "a detached child outlived the run"


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
    assert r.stdout.splitlines()[1] == "/tmp/work"


def test_network_is_off(ex: Executor) -> None:
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
    assert r.stdout.startswith("refused"), r.stdout


def test_the_run_folder_is_writable_and_the_rest_read_only(ex: Executor) -> None:
    r = ex.run(
        "import os\nopen('here.txt', 'w').write('ok')\nprint(open('here.txt').read())\n"
        "open('/tmp/t.txt', 'w').write('tmp ok')\nprint(open('/tmp/t.txt').read())\n"
        "try:\n    open('/usr/evil', 'w')\nexcept OSError as e:\n    print('blocked', e.errno)"
    )
    assert r.stdout.splitlines() == ["ok", "tmp ok", "blocked 30"], r.stderr  # EROFS


def test_host_tmp_is_hidden(ex: Executor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """/tmp is a fresh tmpfs inside (the host's files there stay private)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("host data")
    r = ex.run(f"import os, sys\nprint(os.path.exists({str(secret)!r}))\nprint(sys.base_prefix)")
    assert r.exit_status == 0, r.stderr
    assert r.stdout.splitlines() == ["False", sys.base_prefix]


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


def test_tracebacks_look_like_plain_python(ex: Executor) -> None:
    r = ex.run("def f():\n    raise KeyError('k')\nf()")
    assert r.stderr.splitlines() == [
        "Traceback (most recent call last):",
        '  File "/tmp/work/main.py", line 3, in <module>',
        "    f()",
        '  File "/tmp/work/main.py", line 2, in f',
        "    raise KeyError('k')",
        "KeyError: 'k'",
    ], r.stderr
    syntax = ex.run("x = (")
    assert syntax.stderr.startswith('  File "/tmp/work/main.py", line 1'), syntax.stderr


def test_main_module_semantics(ex: Executor) -> None:
    r = ex.run(
        "import sys, pickle\nclass A:\n    pass\n"
        "print(__name__, __file__, sys.argv)\nprint(type(pickle.loads(pickle.dumps(A()))).__name__)"
    )
    assert r.stdout.splitlines() == ["__main__ /tmp/work/main.py ['main.py']", "A"], r.stderr


def test_stdin_is_passed(ex: Executor) -> None:
    assert ex.run("print(input()[::-1])", stdin="abc\n").stdout.strip() == "cba"


def test_hundred_concurrent_runs(ex: Executor) -> None:
    def one(i: int) -> tuple[int, str]:
        return i, ex.run(f"print({i} * {i})").stdout.strip()

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(100)))
    assert all(out == str(i * i) for i, out in results)


def test_runs_do_not_share_files(ex: Executor) -> None:
    ex.run("open('secret.txt', 'w').write('left behind')\nopen('/tmp/s2', 'w').write('x')")
    r = ex.run("import os\nprint(os.listdir('.'), os.listdir('/tmp'))")
    assert "secret.txt" not in r.stdout and "s2" not in r.stdout
