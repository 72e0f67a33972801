"""Attacks checked from the host's side: the code's real uid, the parent's secrets, the
owner killed mid-run; and how a mode is chosen (env var, no bwrap on PATH, refusal)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.sandbox import Executor, Limits, choose_isolation
from tests.fixtures.cli import run_cli
from tests.sandbox.conftest import REPO, SAFE_MODES, executor_for, files_named, host_processes


def _host_procs(marker: str) -> list[int]:
    return [pid for pid, cmd in host_processes() if marker in cmd]


@pytest.mark.parametrize("mode", SAFE_MODES)
def test_not_root_on_the_host(mode: str) -> None:
    """Seen from the host, the code's processes have no root uid and no capability."""
    ex = executor_for(mode)
    marker = f"csuid{uuid.uuid4().hex[:8]}"
    code = (
        "import subprocess, sys\n"
        f"subprocess.run([sys.executable, '-c', 'import time; time.sleep(3)', {marker!r}])"
    )
    box: dict[str, object] = {}
    t = threading.Thread(target=lambda: box.update(r=ex.run(code)))
    t.start()
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        for pid in _host_procs(marker):
            with contextlib.suppress(OSError):
                seen.append(Path(f"/proc/{pid}/status").read_text())
        time.sleep(0.05)
    t.join()
    assert seen, f"the sandboxed process never showed up on the host: {box}"
    for status in seen:
        fields = {ln.split(":")[0]: ln.split(":", 1)[1].split() for ln in status.splitlines()}
        assert all(u != "0" for u in fields["Uid"]), fields["Uid"]
        assert all(g != "0" for g in fields["Gid"]), fields["Gid"]
        assert int(fields["CapEff"][0], 16) == 0 and int(fields["CapPrm"][0], 16) == 0


_SNOOP = r"""
import os
found = []
for p in os.listdir('/proc'):
    if not p.isdigit():
        continue
    for what in ('environ', 'cmdline'):
        try:
            data = open(f'/proc/{p}/{what}', 'rb').read()
        except OSError:
            continue
        if b'sk-parent-' in data:
            found.append((p, what))
if any('sk-parent-' in v for v in os.environ.values()):
    found.append(('self', 'os.environ'))
try:
    data = open(f'/proc/{os.getppid()}/environ', 'rb').read()
    if b'sk-parent-' in data:
        found.append(('ppid', 'environ'))
except OSError:
    pass
print('LEAK' if found else 'clean', found)
"""

_HOST = """
import json, sys
from codesteer_cli.sandbox import Executor, Limits
ex = Executor(Limits(wall_s=20), workers=1, isolation=sys.argv[1])
r = ex.run(sys.stdin.read())
print(json.dumps({"stdout": r.stdout, "stderr": r.stderr[-500:], "error": r.error}))
"""


def _in_host_process(mode: str, code: str, env: dict[str, str]) -> dict[str, str]:
    p = subprocess.run(
        [sys.executable, "-c", _HOST, mode],
        input=code,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=REPO,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.splitlines()[-1])


@pytest.mark.parametrize("mode", [*SAFE_MODES, "none"])
def test_the_parents_secrets_are_unreachable(mode: str) -> None:
    """An API key in the environment of the process running the executor: not in the
    code's environment, not in any /proc/<pid>/environ it can read. In mode none the same
    program finds it (the control)."""
    if mode != "none":
        executor_for(mode)  # skips, with the reason, a mode this machine lacks
    secret = f"sk-parent-{uuid.uuid4().hex}"
    out = _in_host_process(mode, _SNOOP, {"OPENAI_API_KEY": secret, "ANTHROPIC_API_KEY": secret})
    assert out["error"] is None, out
    if mode == "none":
        assert out["stdout"].startswith("LEAK"), out
    else:
        assert out["stdout"].startswith("clean"), out


@pytest.mark.parametrize("mode", SAFE_MODES)
def test_killing_the_owner_ends_the_run_and_leaves_nothing(mode: str) -> None:
    """kill -9 of the process that runs the executor: the run's processes die with it,
    its folder (a tmpfs inside the run) goes with them, and the next codesteer process
    removes the empty cgroups left behind."""
    executor_for(mode)
    marker = f"csowner{uuid.uuid4().hex[:8]}"
    code = (
        "import subprocess, sys, time\n"
        f"open('{marker}-file', 'w').write('x' * 1000)\n"
        f"open('/tmp/{marker}-tmp', 'w').write('x')\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)',"
        f" {marker!r}], start_new_session=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", _HOST, mode], stdin=subprocess.PIPE, cwd=REPO, text=True
    )
    owner.stdin.write(code)  # type: ignore[union-attr]
    owner.stdin.close()  # type: ignore[union-attr]
    deadline = time.monotonic() + 60
    while not _host_procs(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _host_procs(marker), "the run never started"
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 5
    while _host_procs(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _host_procs(marker), "the run outlived its owner"
    assert not files_named("/tmp", f"{marker}-"), "the run's files outlived it"
    left = [p for p in _cgroup_dirs() if f"-{owner.pid}-" in p.name]
    if left:  # the next process cleans them up
        subprocess.run(
            [sys.executable, "-c", "from codesteer_cli.sandbox import cgroups; cgroups.support()"],
            check=True,
            cwd=REPO,
        )
        assert not [p for p in left if p.exists()], left


def _cgroup_dirs() -> list[Path]:
    from codesteer_cli.sandbox import cgroups

    sup = cgroups.support()
    parents = {sup.memory_parent, sup.pids_parent} - {None}
    return [d for p in parents for d in p.iterdir() if d.name.startswith("codesteer-run")]  # type: ignore[union-attr]


def _python_without_bwrap(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh process whose PATH has no bwrap (a machine without it)."""
    empty = Path(f"/tmp/cs-nobwrap-{os.getpid()}")
    empty.mkdir(exist_ok=True)
    full = {**os.environ, "PATH": str(empty), **env}
    full.pop("CODESTEER_SANDBOX", None) if "CODESTEER_SANDBOX" not in env else None
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full, cwd=REPO
    )


def test_auto_without_bwrap_uses_the_kernel_namespaces() -> None:
    p = _python_without_bwrap(
        "import shutil\nfrom codesteer_cli.sandbox import Executor\n"
        "assert shutil.which('bwrap') is None\n"
        "e = Executor()\nr = e.run('import os; print(6 * 7, os.getuid())')\n"
        "print(e.isolation.mode, r.stdout.strip(), r.error)"
    )
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.split() == ["namespaces", "42", "1000", "None"], p.stdout


def test_asking_for_bwrap_without_it_is_an_error_not_a_fallback() -> None:
    p = _python_without_bwrap(
        "from codesteer_cli.errors import UserError\nfrom codesteer_cli.sandbox import Executor\n"
        "try:\n    Executor()\nexcept UserError as e:\n    print('refused:', e)\n",
        CODESTEER_SANDBOX="bwrap",
    )
    lines = p.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("refused: sandbox mode bwrap is unavailable")
    assert "apt-get install bubblewrap" in lines[0]


_BLOCK_USERNS = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
uid, gid = os.geteuid(), os.getegid()
if libc.unshare(0x10000000) != 0:
    sys.exit('cannot create a user namespace: ' + os.strerror(ctypes.get_errno()))
maps = (('setgroups', 'deny'), ('uid_map', f'1000 {uid} 1'), ('gid_map', f'1000 {gid} 1'))
for name, text in maps:
    with open(f'/proc/self/{name}', 'w') as f:
        f.write(text)
with open('/proc/sys/user/max_user_namespaces', 'w') as f:
    f.write('0')  # from here on, no process can create a user namespace
os.execv(sys.executable, [sys.executable, '-c', sys.argv[1]])
"""


def test_no_safe_sandbox_is_refused_with_the_fix() -> None:
    """On a machine where user namespaces are blocked (built here: a user namespace that
    forbids nested ones, as uid 1000), neither bwrap nor namespaces can run: auto refuses
    in one line naming the fix; mode none still runs, with its warning."""
    probe = (
        "import logging\nlogging.basicConfig()\n"
        "from codesteer_cli.errors import UserError\n"
        "from codesteer_cli.sandbox import Executor\n"
        "try:\n    Executor()\nexcept UserError as e:\n    print('refused:', e)\n"
        "r = Executor(isolation='none').run('print(6 * 7)')\nprint('none:', r.stdout.strip())\n"
    )
    env = {**os.environ, "HOME": "/tmp", "CODESTEER_SANDBOX_CACHE": "/tmp/cs-view-cache-blocked"}
    env.pop("CODESTEER_SANDBOX", None)
    p = subprocess.run(
        [sys.executable, "-c", _BLOCK_USERNS, probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    lines = p.stdout.splitlines()
    assert lines and lines[0].startswith("refused: no safe sandbox for model code here"), (
        p.stdout,
        p.stderr[-2000:],
    )
    assert "apt-get install bubblewrap" in lines[0] and "--sandbox none" in lines[0]
    assert "user namespaces" in lines[0]
    assert lines[1:] == ["none: 42"], p.stdout
    assert "UNSANDBOXED" in p.stderr


def test_the_env_var_chooses_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODESTEER_SANDBOX", "namespaces")
    ex = Executor(Limits(wall_s=5), workers=1)
    assert ex.isolation.mode == "namespaces"
    assert ex.run("print('hi')").stdout == "hi\n"
    monkeypatch.setenv("CODESTEER_SANDBOX", "bogus")
    with pytest.raises(UserError, match="unknown sandbox mode 'bogus'"):
        Executor()


def test_choose_isolation_names_what_is_and_is_not_enforced() -> None:
    iso = choose_isolation("auto")
    assert iso.mode in ("bwrap", "namespaces") and iso.safe
    text = iso.description
    assert "never root" in text and "no network" in text and "NOT enforced" in text
    assert ("run-wide memory" in text) == (iso.cgroups is not None) or "NOT" in text


def test_mode_none_warns_at_every_run(caplog: pytest.LogCaptureFixture) -> None:
    ex = Executor(Limits(wall_s=5), workers=1, isolation="none")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="codesteer.sandbox"):
        ex.run("print(1)")
        ex.run("print(2)")
    warnings = [r for r in caplog.records if "UNSANDBOXED" in r.getMessage()]
    assert len(warnings) == 2


def test_doctor_says_what_is_enforced() -> None:
    r = run_cli("--db", "/tmp/cs-doctor-unused.db", "doctor", "--json")
    assert r.returncode == 0, r.stderr
    sb = json.loads(r.stdout)["sandbox"]
    assert sb["isolation"] in ("bwrap", "namespaces") and sb["probe_ok"]
    assert sb["enforced"] and sb["not_enforced"]
    assert sb["modes"]["namespaces"] == "ok"
    text = run_cli("--db", "/tmp/cs-doctor-unused.db", "doctor", env={"PATH": "/nonexistent"})
    assert "sandbox    namespaces" in text.stdout and "NOT enforced" in text.stdout, text.stdout
