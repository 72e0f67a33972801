"""Inside the sandbox: set the limits, run main.py in a child, report how it ended.

Executed as ``python -I -c <this source> <config>`` as the first process of the run
(PID 1 of its namespace under bwrap and namespaces), so it must use the standard library
only and never import codesteer. It forks once: the child runs the program exactly as
``python main.py`` would (same ``__main__`` module, tracebacks, ``exit()``), the parent
reaps every process left to it and writes the child's raw wait status to the status
pipe. That is how ``sys.exit(153)`` stays exit 153 while a real SIGKILL is reported as
one: a shell-style ``128 + n`` exit code cannot tell the two apart.
"""

from __future__ import annotations

import marshal
import os
import sys

_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_KEYCTL_JOIN_SESSION_KEYRING = 1
_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}


def _set_limits(rlimits: dict[str, tuple[int, int]]) -> None:
    import resource

    for name, (soft, hard) in rlimits.items():
        res = getattr(resource, name)
        _, cur = resource.getrlimit(res)
        if cur != resource.RLIM_INFINITY:
            soft, hard = min(soft, cur), min(hard, cur)
        resource.setrlimit(res, (soft, hard))


def _harden():  # type: ignore[no-untyped-def]
    """No new privileges, a fresh (empty) session keyring, and not ptrace-able by the
    code it is about to run. Returns prctl."""
    prctl, syscall = _libc("prctl", "syscall")
    prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    nr = _SYS_KEYCTL.get(os.uname().machine)
    if nr is not None:
        syscall(nr, _KEYCTL_JOIN_SESSION_KEYRING, None)
    prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    return prctl


def _libc(*names: str):  # type: ignore[no-untyped-def]
    """libc functions through _ctypes alone (returning int, errno kept): importing the
    ctypes package costs ~3 ms a run, _ctypes 0.4 ms."""
    import _ctypes

    class c_int(_ctypes._SimpleCData):  # type: ignore[name-defined,misc]
        _type_ = "i"

    class Func(_ctypes.CFuncPtr):  # type: ignore[name-defined,misc]
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = c_int

    class Lib:
        _handle = _ctypes.dlopen(None, 0)

    return [Func((n, Lib)) for n in names]


def _run_main(path: str) -> None:
    """Run `path` as the __main__ module, as `python path` does."""
    import builtins
    import types

    with open(path, "rb") as f:
        source = f.read()
    sys.argv[:] = [os.path.basename(path)]
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=path, __builtins__=builtins, __cached__=None)
    sys.modules["__main__"] = module
    try:
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:  # the program's own failure: print it as python does
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != path:
            tb = tb.tb_next  # drop this launcher's frames
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        if isinstance(exc, KeyboardInterrupt):
            import signal

            sys.stdout.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        sys.exit(1)


def _join_cgroups(files: list[str]) -> None:
    for f in files:
        with open(f, "w") as fh:
            fh.write(str(os.getpid()))


def main() -> None:
    cfg = marshal.loads(bytes.fromhex(sys.argv[1]))  # marshal: json costs 25 ms to import
    status_fd = cfg["status_fd"]
    os.closerange(3, status_fd)
    os.closerange(status_fd + 1, 1 << 16)
    try:
        _join_cgroups(cfg.get("cgroups", []))
        prctl = _harden()
        _set_limits(cfg["rlimits"])
    except OSError as exc:
        os.write(status_fd, f"setup-error launcher: {exc}\n".encode())
        os._exit(126)
    if cfg.get("cwd"):
        os.chdir(cfg["cwd"])
    pid = os.fork()
    if pid == 0:
        os.close(status_fd)
        prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)
        del prctl
        _run_main(cfg["main"])
        return
    for fd in (0, 1, 2):
        os.close(fd)
    while True:  # as PID 1 we inherit orphans: reap them until the program itself ends
        died, status = os.waitpid(-1, 0)
        if died == pid:
            break
    os.write(status_fd, f"status {status}\n".encode())
    os._exit(0)


if __name__ == "__main__":
    main()
