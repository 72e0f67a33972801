"""The hostile battery: programs that try to cheat or harm, in every safe mode.

Each case is a real program run through the real sandbox; its check asserts that the
attack was contained (and, where the host could be touched, checks the host side too).
`test_attacks_work_without_a_sandbox` runs a few of them in mode "none" to show that the
attacks are real: there they succeed.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

import pytest

from codesteer_cli.sandbox import ExecResult, Executor, Limits
from codesteer_cli.sandbox.view import python_view
from tests.sandbox.conftest import Host, alive, files_named

Check = Callable[[ExecResult, Host], None]


@dataclass(frozen=True)
class Case:
    id: str
    code: str
    check: Check
    limits: Limits | None = None


CASES: list[Case] = []


def case(id: str, code: str, limits: Limits | None = None) -> Callable[[Check], Check]:
    def deco(fn: Check) -> Check:
        CASES.append(Case(id, code, fn, limits))
        return fn

    return deco


def blocked_case(id: str, statement: str, then: Check | None = None) -> None:
    """An attack that must raise inside the sandbox."""
    code = (
        "import ctypes, os, socket, sqlite3, stat, sys, time\n"
        "try:\n"
        + "".join(f"    {ln}\n" for ln in statement.splitlines())
        + "except BaseException as e:\n"
        "    print('blocked', type(e).__name__, e)\n"
        "else:\n"
        "    print('LEAK')\n"
    )

    def check(r: ExecResult, h: Host) -> None:
        assert r.exit_status == 0 and r.error is None, (r.exit_status, r.error, r.stderr[-500:])
        assert r.stdout.startswith("blocked"), r.stdout[:500]
        assert "LEAK" not in r.stdout
        if then:
            then(r, h)

    CASES.append(Case(id, code, check))


def _ctypes_call(expr: str) -> str:
    """Code that calls libc and raises OSError when it fails."""
    return (
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"if {expr} == -1:\n"
        "    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))"
    )


# --- the host's files: secrets, the store, the project ---------------------------------
blocked_case("read-etc-shadow", "print(open('/etc/shadow').read()[:80])")
blocked_case("read-etc-passwd", "print(open('/etc/passwd').read()[:80])")
blocked_case("read-clone-dotenv", "print(open('$clone/.env').read())")
blocked_case("read-project-source", "print(open('$project/codesteer_cli/app.py').read()[:80])")
blocked_case("read-project-pyproject", "print(open('$project/pyproject.toml').read()[:80])")
blocked_case("list-project", "print(os.listdir('$project'))")
blocked_case(
    "read-store-sqlite",
    "db = sqlite3.connect('file:$store?mode=ro', uri=True)\n"
    "print(db.execute('select answer from samples').fetchall())",
)
blocked_case("read-store-bytes", "print(open('$store', 'rb').read(100))")
blocked_case("read-venv-cfg", "print(open('$venv/pyvenv.cfg').read())")
blocked_case("list-venv-site", "print(os.listdir('$venv/lib'))")
blocked_case("read-host-tmp", "print(open('$tmp_secret').read())")
blocked_case("read-host-shm", "print(open('$shm_secret').read())")
blocked_case("import-symbench", "import symbench")
blocked_case("import-codesteer", "import codesteer_cli")
blocked_case("import-project-deps", "import sqlmodel")
blocked_case("import-dotenv", "import dotenv")
blocked_case(
    "import-symbench-by-path",
    "sys.path.insert(0, '$project')\nimport symbench.core",
)
blocked_case("read-parent-environ", "print(open(f'/proc/{os.getppid()}/environ').read())")
blocked_case("read-parent-memory", "open(f'/proc/{os.getppid()}/mem', 'rb').read(1)")
blocked_case("read-dev-mem", "open('/dev/mem', 'rb').read(1)")
blocked_case("read-disk-device", "print(os.listdir('/dev/disk'))")
blocked_case("list-home", "print(os.listdir('/home'))")
blocked_case("list-root-ssh", "print(os.listdir('/root/.ssh'))")


@case(
    "list-root-home",
    "import os\nprint(sorted(os.listdir('/root')) if os.path.isdir('/root') else [])",
)
def _root_home(r: ExecResult, h: Host) -> None:
    seen = eval(r.stdout.strip())
    prefix_top = Path(sys.base_prefix).parts[2:3] if sys.base_prefix.startswith("/root/") else ()
    assert set(seen) <= set(prefix_top), seen  # only the way to the interpreter, if any


@case(
    "sys-path-is-stdlib-and-allowed-packages",
    "import sys, site\nprint(sys.path)\nprint(sys.prefix)\nprint(site.getsitepackages())",
)
def _sys_path(r: ExecResult, h: Host) -> None:
    lines = r.stdout.splitlines()
    paths, prefix = eval(lines[0]), lines[1]
    assert paths and all(p.startswith(prefix) for p in paths), paths
    assert not any(str(h.project) in p or str(h.venv) in p for p in paths), paths
    assert sum("site-packages" in p or "dist-packages" in p for p in paths) == 1, paths


@case(
    "site-packages-contents",
    "import os, site\nd = [p for p in site.getsitepackages() if os.path.isdir(p)][0]\n"
    "print(sorted(os.listdir(d)))",
)
def _site_contents(r: ExecResult, h: Host) -> None:
    names = eval(r.stdout.strip())
    assert "sympy" in names and "numpy" in names and "constraint" in names, names
    assert not [n for n in names if n.endswith(".pth")], names
    banned = {"codesteer_cli", "symbench", "tests", "sqlmodel", "dotenv", "openai", "torch"}
    assert not banned & set(names), banned & set(names)


@case("mountinfo-has-no-host-paths", "print(open('/proc/self/mountinfo').read())")
def _mountinfo(r: ExecResult, h: Host) -> None:
    text = r.stdout
    for secret in (h.project, h.venv, h.clone, h.store.parent, "/work", "/home"):
        assert str(secret) not in text, f"{secret} visible in mountinfo:\n{text}"
    points = {ln.split()[4] for ln in text.splitlines() if ln.strip()}
    allowed = {"/", "/usr", "/usr/local", "/tmp", "/dev", "/proc", "/etc/ld.so.cache"}
    allowed |= {sys.base_prefix, os.path.realpath(sys.base_prefix), "/dev/shm", "/dev/pts"}
    view = python_view()  # an interpreter in /usr: its site folders are mount points too
    allowed |= {view.site_dest, *view.hidden_sites}
    extra = {p for p in points if p not in allowed and not p.startswith("/dev/")}
    assert not extra, extra


_WALK = """\
import os, sqlite3
dbs, suspicious, stores = [], [], []
for top in os.listdir('/'):
    if top in ('proc', 'sys'):
        continue
    for d, dirs, files in os.walk('/' + top):
        for f in files + dirs:
            low = f.lower()
            if low.endswith(('.db', '.sqlite', '.sqlite3')):
                dbs.append(os.path.join(d, f))
            if low in ('.env', 'symbench', 'demo-out') or 'codesteer' in low:
                suspicious.append(os.path.join(d, f))
for p in dbs:
    try:
        rows = sqlite3.connect(f'file:{p}?mode=ro', uri=True).execute(
            "select answer from samples").fetchall()
        stores.append((p, rows[:3]))
    except Exception:
        pass
print(suspicious)
print(stores)
print(len(dbs))
"""


@case("walk-the-file-system-for-stores", _WALK, Limits(wall_s=60))
def _walk(r: ExecResult, h: Host) -> None:
    assert r.exit_status == 0, r.stderr[-500:]
    suspicious, stores = (eval(x) for x in r.stdout.splitlines()[:2])
    assert stores == [] and suspicious == [], (suspicious, stores)


@case(
    "grep-small-folders-for-answers",
    "import os\nhits = []\n"
    "needles = [x[::-1].encode() for x in $reversed_secrets]\n"
    "for top in ('/tmp', '/root', '/etc', '/dev/shm'):\n"
    "    for d, _, files in os.walk(top):\n"
    "        for f in files:\n"
    "            try:\n"
    "                data = open(os.path.join(d, f), 'rb').read(1 << 20)\n"
    "            except OSError:\n"
    "                continue\n"
    "            if any(n in data for n in needles):\n"
    "                hits.append(os.path.join(d, f))\n"
    "print(hits)",
    Limits(wall_s=60),
)
def _grep(r: ExecResult, h: Host) -> None:
    assert r.exit_status == 0 and eval(r.stdout.strip()) == [], r.stdout[:500]


# --- writing where it must not -----------------------------------------------------------
def _host_file_absent(path: str) -> Check:
    def check(r: ExecResult, h: Host) -> None:
        p = Path(Template(path).substitute(h.subs()))
        existed = p.exists()
        p.unlink(missing_ok=True)
        assert not existed, f"the code created {p} on the host"

    return check


def _store_unchanged(r: ExecResult, h: Host) -> None:
    assert hashlib.sha256(h.store.read_bytes()).hexdigest() == h.store_hash


blocked_case("write-store", "open('$store', 'ab').write(b'corrupt')", _store_unchanged)
blocked_case(
    "write-project",
    "open('$project/.sandbox-escape-$marker', 'w').write('x')",
    _host_file_absent("$project/.sandbox-escape-$marker"),
)
blocked_case(
    "write-clone-source",
    "open('$clone/codesteer_cli/__init__.py', 'a').write('evil = 1')",
    lambda r, h: _clone_source_intact(h),
)
blocked_case(
    "write-venv",
    "open('$venv/sandbox-escape-$marker.pth', 'w').write('')",
    _host_file_absent("$venv/sandbox-escape-$marker.pth"),
)
blocked_case(
    "write-own-site-packages",
    "import site\nopen(site.getsitepackages()[0] + '/evil.pth', 'w').write('import os')",
)
blocked_case("write-stdlib", "open(os.__file__, 'a').write('# evil')")
blocked_case("write-usr", "open('/usr/evil-$marker', 'w').write('x')")
blocked_case("write-root-folder", "open('/evil-$marker', 'w').write('x')")
blocked_case("write-etc", "open('/etc/evil', 'w').write('x')")
blocked_case("write-sysctl", "open('/proc/sys/vm/drop_caches', 'w').write('1')")


def _clone_source_intact(h: Host) -> None:
    assert (h.clone / "codesteer_cli" / "__init__.py").read_text() == "# source\n"


# --- privileges -------------------------------------------------------------------------
blocked_case("setuid-root", "os.setuid(0)")
blocked_case("setgid-root", "os.setgid(0)")
blocked_case("nested-user-namespace", _ctypes_call("libc.unshare(0x10000000)"))
blocked_case("new-mount-namespace", _ctypes_call("libc.unshare(0x00020000)"))
blocked_case(
    "mount-tmpfs",
    _ctypes_call("libc.mount(b'none', b'/tmp/work', b'tmpfs', 0, None)"),
)
blocked_case("chroot", "os.chroot('/tmp')")
blocked_case("mknod-device", "os.mknod('/tmp/work/null', stat.S_IFCHR | 0o666, os.makedev(1, 3))")
blocked_case("raw-socket", "socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)")
blocked_case("set-hostname", "socket.sethostname('evil')")
blocked_case("set-clock", "time.clock_settime(time.CLOCK_REALTIME, time.time())")
blocked_case("load-kernel-module", _ctypes_call("libc.syscall(175, b'', 0, b'')"))
blocked_case(
    "su-to-root",
    "import subprocess\n"
    "p = subprocess.run(['su', '-c', 'id -u'], capture_output=True, text=True, timeout=5)\n"
    "assert p.returncode == 0 and p.stdout.strip() == '0', p",
)


@case(
    "no-root-no-capabilities",
    "import os\nst = open('/proc/self/status').read()\n"
    "caps = {l.split(':')[0]: l.split()[1] for l in st.splitlines() if l.startswith('Cap')}\n"
    "nnp = [l.split()[1] for l in st.splitlines() if l.startswith('NoNewPrivs')][0]\n"
    "print(os.getuid(), os.geteuid(), os.getgid(), caps['CapEff'], caps['CapPrm'],"
    " caps['CapInh'], caps['CapAmb'], nnp)\n"
    "print(open('/proc/self/uid_map').read().split())\nprint(open('/proc/self/gid_map').read().split())",
)
def _caps(r: ExecResult, h: Host) -> None:
    first, uid_map, gid_map = r.stdout.splitlines()[:3]
    uid, euid, gid, eff, prm, inh, amb, nnp = first.split()
    assert uid == euid == "1000" and gid != "0"
    assert int(eff, 16) == int(prm, 16) == int(inh, 16) == int(amb, 16) == 0
    assert nnp == "1"
    # one uid mapped, and it is not root inside (its host uid: test_not_root_on_the_host)
    assert eval(uid_map)[0::2] == ["1000", "1"] and eval(gid_map)[0::2] == ["1000", "1"]


@case("own-cgroup-namespace", "print(open('/proc/self/cgroup').read())")
def _cgroup_ns(r: ExecResult, h: Host) -> None:
    assert all(ln.endswith(":/") for ln in r.stdout.split()), r.stdout


@case("own-hostname", "import socket\nprint(socket.gethostname())")
def _hostname(r: ExecResult, h: Host) -> None:
    assert r.stdout.strip() == "sandbox"


# --- processes: the parent, the host, and what outlives the run ---------------------------
blocked_case("kill-host-decoy", "os.kill($decoy, 9)", lambda r, h: _decoy_alive(h))
blocked_case(
    "ptrace-host-decoy",
    _ctypes_call("libc.ptrace(16, $decoy, None, None)"),
    lambda r, h: _decoy_alive(h),
)
blocked_case("ptrace-parent", _ctypes_call("libc.ptrace(16, os.getppid(), None, None)"))


def _decoy_alive(h: Host) -> None:
    assert alive(h.decoy), "the host decoy process was killed"


@case(
    "kill-the-parent",
    "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(0.3)\n"
    "print('parent', os.getppid())",
)
def _kill_parent(r: ExecResult, h: Host) -> None:
    assert r.exit_status == 0 and r.error is None and r.stdout.strip() == "parent 1", r


@case(
    "kill-minus-one",
    "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n"
    "    pass  # nothing else it may signal\nprint('survived')",
)
def _kill_all(r: ExecResult, h: Host) -> None:
    assert r.exit_status == 0 and r.stdout.strip() == "survived", (r.stdout, r.error)
    _decoy_alive(h)


@case(
    "processes-visible",
    "import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
    "print(len(pids), [open(f'/proc/{p}/cmdline').read()[:30] for p in pids])",
)
def _ps(r: ExecResult, h: Host) -> None:
    n, cmds = r.stdout.split(" ", 1)
    assert int(n) <= 3 and "sleep" not in cmds and "pytest" not in cmds, r.stdout


_DAEMON = """\
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        sleep = 'import time; time.sleep(120)'
        os.execv(sys.executable, [sys.executable, '-c', sleep, '$marker-daemon'])
    os._exit(0)
time.sleep(0.5)
print('started')
"""


@case("double-forked-daemon", _DAEMON)
def _daemon(r: ExecResult, h: Host) -> None:
    assert r.stdout.strip() == "started", r.stderr
    _none_marked(h, "daemon")


_RESPAWN = """\
import os, sys, time
code = '''
import os, sys, time
while True:
    pid = os.fork()
    if pid:
        os._exit(0)
    time.sleep(0.05)
'''
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, '-c', code, '$marker-respawn'])
time.sleep(0.5)
print('started')
"""


@case("respawner", _RESPAWN)
def _respawner(r: ExecResult, h: Host) -> None:
    assert r.stdout.strip() == "started", r.stderr
    _none_marked(h, "respawn")


@case(
    "setsid-background-child",
    "import subprocess, sys\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', '$marker-bg'],"
    " start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print('spawned')",
)
def _bg(r: ExecResult, h: Host) -> None:
    assert r.stdout.strip() == "spawned"
    _none_marked(h, "bg")


def _none_marked(h: Host, what: str) -> None:
    for _ in range(3):  # the respawner forks all the time: look more than once
        left = [p for p in h.marked_processes() if f"{h.marker}-{what}" in p]
        assert not left, f"processes outlived the run: {left}"
        time.sleep(0.3)


_FORK_BOMB = """\
import os, sys, time
ok = failed = 0
for _ in range(1500):
    try:
        pid = os.fork()
    except OSError:
        failed += 1
        continue
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    ok += 1
print(ok, failed)
sys.stdout.flush()
os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '$marker-bomb'])
"""


@case("fork-bomb-1500", _FORK_BOMB, Limits(wall_s=8))
def _fork_bomb(r: ExecResult, h: Host) -> None:
    ok, failed = (int(x) for x in r.stdout.split())
    assert ok + failed == 1500 and ok <= 64, (ok, failed)
    assert r.timed_out
    _none_marked(h, "bomb")


@case(
    "thread-bomb",
    "import threading, time\nn = 0\n"
    "for _ in range(1000):\n"
    "    try:\n"
    "        threading.Thread(target=time.sleep, args=(2,), daemon=True).start()\n"
    "        n += 1\n"
    "    except RuntimeError:\n"
    "        break\n"
    "print(n)",
)
def _threads(r: ExecResult, h: Host) -> None:
    assert int(r.stdout.strip()) <= 64, r.stdout


# --- the network -------------------------------------------------------------------------
blocked_case(
    "connect-host-tcp", "print(socket.create_connection(('127.0.0.1', $port), 2).recv(99))"
)
blocked_case("connect-host-ipv6", "socket.create_connection(('::1', $port), 2)")
blocked_case("connect-internet", "socket.create_connection(('1.1.1.1', 53), 2)")
blocked_case("resolve-dns", "print(socket.getaddrinfo('pypi.org', 443))")
blocked_case(
    "udp-out", "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53))"
)
blocked_case("host-abstract-unix-socket", "socket.socket(socket.AF_UNIX).connect('\\0$abstract')")


@case("only-loopback", "import socket\nprint(sorted(n for _, n in socket.if_nameindex()))")
def _ifaces(r: ExecResult, h: Host) -> None:
    assert eval(r.stdout.strip()) == ["lo"]


# --- limits: memory, disk, shared memory -------------------------------------------------
_SIX_HOGS = """\
import os, time
kids = []
for i in range(6):
    pid = os.fork()
    if pid == 0:
        b = bytearray(1536 * 2**20)  # 1.5 GiB, every page touched
        time.sleep(2)
        os._exit(0)
    kids.append(pid)
codes = [os.waitpid(p, 0)[1] for p in kids]
print(sum(os.waitstatus_to_exitcode(c) == 0 for c in codes), codes)
"""


@case("six-processes-of-1.5-GiB", _SIX_HOGS, Limits(wall_s=30))
def _hogs(r: ExecResult, h: Host) -> None:
    assert r.error is None, r.error
    if h.iso is not None and h.iso.cgroups is None:  # per-process caps only: declared?
        assert any("run-wide memory" in x for x in h.iso.not_enforced), h.iso.not_enforced
        pytest.xfail("run-wide memory is not enforced on this machine (and says so)")
    survivors = int(r.stdout.split()[0]) if r.stdout else 0
    assert survivors <= 1, r.stdout  # at most one 1.5 GiB process fits in 2 GiB
    assert "oom_kill" in r.events, r.events


@case("one-allocation-of-10-GiB", "x = bytearray(10 * 2**30)\nprint('allocated')")
def _big_alloc(r: ExecResult, h: Host) -> None:
    assert "MemoryError" in r.stderr and r.limit_hit() == "memory" and "allocated" not in r.stdout


_FILL = """\
import os, sys
total = 0
try:
    for i in range(64):  # 64 files of 48 MiB: 3 GiB
        with open(f'$where/fill-$marker-{i}', 'wb') as f:
            for _ in range(48):
                f.write(b'0' * 2**20)
                total += 1
except OSError as e:
    print(total, e.errno)
    sys.exit(0)
print(total, 0)
"""


def _fill_case(id: str, where: str, cap_mb: int) -> None:
    def check(r: ExecResult, h: Host) -> None:
        total, errno_ = (int(x) for x in r.stdout.split())
        assert errno_ == 28 and total <= cap_mb, r.stdout  # ENOSPC at the tmpfs size
        if where in ("/tmp", "/dev/shm"):
            left = list(Path(where).glob(f"fill-{h.marker}-*"))
            assert not left, f"files appeared in the host's {where}: {left[:3]}"

    CASES.append(Case(id, _FILL.replace("$where", where), check, Limits(wall_s=30)))


_fill_case("three-GiB-in-the-run-folder", "/tmp/work", 256)
_fill_case("fill-host-tmp", "/tmp", 256)
_fill_case("fill-host-dev-shm", "/dev/shm", 64)


@case(
    "one-file-over-the-size-limit",
    "with open('big', 'wb') as f:\n    for _ in range(100):\n        f.write(b'0' * 2**20)",
)
def _big_file(r: ExecResult, h: Host) -> None:
    assert not r.ok and r.limit_hit() == "file_size", (r.stderr[-300:], r.signal)


@case(
    "cpu-time-limit",
    "while True:\n    pass",
    Limits(wall_s=10, cpu_s=1),
)
def _cpu(r: ExecResult, h: Host) -> None:
    assert r.signal == "SIGXCPU" and r.limit_hit() == "cpu_time" and r.duration_s < 5, r


# --- exit statuses as the program gave them ----------------------------------------------
def _status_case(id: str, code: str, status: int, sig: str | None) -> None:
    def check(r: ExecResult, h: Host) -> None:
        assert (r.exit_status, r.signal, r.error) == (status, sig, None), (r, r.stderr[-300:])
        if sig is None:
            assert r.limit_hit() is None

    CASES.append(Case(id, code, check))


_status_case("exit-153", "import sys\nsys.exit(153)", 153, None)
_status_case("exit-137", "import sys\nsys.exit(137)", 137, None)
_status_case("exit-255", "raise SystemExit(255)", 255, None)
_status_case("builtin-exit-3", "exit(3)", 3, None)
_status_case("killed-by-sigkill", "import os\nos.kill(os.getpid(), 9)", -9, "SIGKILL")
_status_case("abort", "import os\nos.abort()", -6, "SIGABRT")
_status_case("segfault", "import ctypes\nctypes.string_at(0)", -11, "SIGSEGV")


@case(
    "run-folder-is-private-and-removed",
    "import os\nopen('$marker-left', 'w').write('x')\nopen('/tmp/$marker-left', 'w').write('x')\n"
    "print(os.getcwd())",
)
def _run_folder(r: ExecResult, h: Host) -> None:
    assert r.stdout.strip() == "/tmp/work"
    assert not files_named("/tmp", f"{h.marker}-left"), "run files left on the host"


@pytest.fixture(scope="module")
def prepared(ex: Executor, host: Host) -> Executor:
    host.store_hash = hashlib.sha256(host.store.read_bytes()).hexdigest()
    host.iso = ex.isolation
    return ex


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_attack_is_contained(prepared: Executor, host: Host, c: Case) -> None:
    code = Template(c.code).safe_substitute(host.subs())
    r = prepared.run(code, limits=c.limits)
    c.check(r, host)
    assert alive(host.decoy), "the host decoy died"


def test_the_battery_is_large() -> None:
    assert len(CASES) >= 50 and len({c.id for c in CASES}) == len(CASES)


_LEAKS = ["read-clone-dotenv", "read-store-sqlite", "import-symbench", "connect-host-tcp"]


@pytest.mark.parametrize("cid", _LEAKS)
def test_attacks_work_without_a_sandbox(host: Host, cid: str) -> None:
    """The same programs succeed in mode none: the battery tests something real."""
    c = next(c for c in CASES if c.id == cid)
    ex = Executor(Limits(wall_s=10), workers=1, isolation="none")
    r = ex.run(Template(c.code).safe_substitute(host.subs()))
    assert "LEAK" in r.stdout, (r.stdout, r.stderr[-300:])


def test_answers_leak_without_a_sandbox(host: Host) -> None:
    ex = Executor(Limits(wall_s=10), workers=1, isolation="none")
    code = (
        "import sqlite3\n"
        f"print(sqlite3.connect({str(host.store)!r}).execute('select answer from samples')"
        ".fetchall())"
    )
    r = ex.run(code)
    assert all(a in r.stdout for a in host.answers), r.stdout
