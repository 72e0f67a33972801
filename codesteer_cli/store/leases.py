"""Run leases: at most one process plays a run at a time.

The owner takes the lease when it opens the run and renews it while it plays (a
heartbeat thread); a second process opening the same run is refused until the lease
expires, or at once when the owner is a process of this machine that has died.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from datetime import UTC, datetime, timedelta

from codesteer_cli.errors import UserError
from codesteer_cli.store.db import Store
from codesteer_cli.store.models import RunRow

TTL_S = float(os.environ.get("CODESTEER_LEASE_S", "30"))
_TOKEN = secrets.token_hex(4)


def owner_id() -> str:
    """This process, as a lease names it."""
    return f"{socket.gethostname()}:{os.getpid()}:{_TOKEN}"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(t: datetime | None) -> datetime | None:
    """Stored times are UTC; some drivers give them back without a zone."""
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def _owner_dead(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def held_by_other(row: RunRow, me: str, now: datetime) -> bool:
    owner, until = row.lease_owner, _aware(row.lease_expires_at)
    if not owner or owner == me or until is None or until <= now:
        return False
    return not _owner_dead(owner)


def new_lease(ttl_s: float = TTL_S) -> dict[str, object]:
    """The lease columns of a run this process creates."""
    return {"lease_owner": owner_id(), "lease_expires_at": _now() + timedelta(seconds=ttl_s)}


def acquire(store: Store, run_id: int, ttl_s: float = TTL_S) -> None:
    """Take (or renew) the run's lease for this process; UserError when another live
    process holds it."""
    me, now = owner_id(), _now()
    with store.session() as s:
        row = s.get(RunRow, run_id, with_for_update=True)
        if row is None:
            raise UserError(f"run {run_id} does not exist")
        if held_by_other(row, me, now):
            host, _, rest = (row.lease_owner or "").partition(":")
            left = (_aware(row.lease_expires_at) - now).total_seconds()  # type: ignore[operator]
            raise UserError(
                f"run {row.name!r} is being played by another process (pid "
                f"{rest.partition(':')[0]} on {host}); wait for it to end, or stop it "
                f"(its lease ends {left:.0f} s after its last heartbeat)"
            )
        row.lease_owner = me
        row.lease_expires_at = now + timedelta(seconds=ttl_s)
        s.add(row)


def release(store: Store, run_id: int) -> None:
    """Give the lease up, if this process holds it."""
    with store.session() as s:
        row = s.get(RunRow, run_id, with_for_update=True)
        if row is not None and row.lease_owner == owner_id():
            row.lease_owner = None
            row.lease_expires_at = None
            s.add(row)


class Heartbeat:
    """Renews the lease every `ttl_s / 3` seconds until stopped."""

    def __init__(self, store: Store, run_id: int, ttl_s: float = TTL_S) -> None:
        self.store, self.run_id, self.ttl_s = store, run_id, ttl_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                acquire(self.store, self.run_id, self.ttl_s)
            except UserError:  # taken over after we stalled past the TTL
                return
            except Exception:  # a store hiccup: try again at the next beat
                continue

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        release(self.store, self.run_id)
