"""Opening the run store: URL resolution, SQLite settings, migrations on first use."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session

from codesteer_cli.errors import UserError

DEFAULT_DB = "codesteer.db"
ENV_VAR = "CODESTEER_DB"
BUSY_TIMEOUT_S = 60


def resolve_url(db: str | None = None) -> str:
    """`--db` value, else `$CODESTEER_DB`, else ./codesteer.db; a path or a SQLAlchemy URL."""
    if db is not None and not db.strip():
        raise UserError("--db is empty: give a file path or a SQLAlchemy URL")
    value = db or os.environ.get(ENV_VAR) or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def migrations_dir() -> Path:
    """Alembic scripts: shipped inside the wheel, or the repository's `migrations/`."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_migrations", here.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise UserError("the store's migrations are missing from this installation")


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control from the driver so we can BEGIN IMMEDIATE: a deferred
        # transaction that later writes can fail at once with SQLITE_BUSY in WAL mode,
        # which no busy timeout retries.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Store:
    """The run store. `session()` for writes, `read()` for reads that never block writers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                parent = Path(path).parent
                if not parent.is_dir():
                    raise UserError(f"cannot open store {path}: folder {parent} does not exist")
            self.engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            try:
                self.engine = create_engine(url, pool_pre_ping=True)
            except Exception as exc:  # bad URL or missing driver
                raise UserError(f"cannot open store {safe_url(url)}: {exc}") from None
            self.read_engine = self.engine

    @property
    def display(self) -> str:
        return safe_url(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction, committed on success."""
        with Session(self.engine, expire_on_commit=False) as s:
            yield s
            s.commit()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine, expire_on_commit=False) as s:
            yield s

    # --- migrations -----------------------------------------------------------------
    def _alembic_config(self):  # type: ignore[no-untyped-def]
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(migrations_dir()))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def head_revision(self) -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head() or ""

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DatabaseError as exc:
            raise UserError(
                f"{self.display} is not a codesteer store: {_first_line(exc)}"
            ) from None

    def known_revision(self, rev: str) -> bool:
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError

        try:
            return ScriptDirectory.from_config(self._alembic_config()).get_revision(rev) is not None
        except CommandError:
            return False

    def check_not_newer(self, current: str | None) -> None:
        """A store migrated by a newer codesteer is refused in one line."""
        if current is not None and not self.known_revision(current):
            raise UserError(
                f"{self.display} was written by a newer codesteer (revision {current}; this "
                f"one knows up to {self.head_revision()}): upgrade codesteer to use it"
            )

    def upgrade(self) -> tuple[str | None, str]:
        """Apply pending migrations; returns (revision before, revision after)."""
        before = self.current_revision()
        self.check_not_newer(before)
        head = self.head_revision()
        if before != head:
            from alembic import command

            cfg = self._alembic_config()
            with _MIGRATE_LOCK, self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        return before, head


_MIGRATE_LOCK = threading.Lock()
_OPEN: dict[str, Store] = {}


def open_store(db: str | None = None, migrate: bool = True) -> Store:
    """Open (once per process) and migrate the store named by `db`/env/default."""
    url = resolve_url(db)
    store = _OPEN.get(url)
    if store is None:
        store = Store(url)
        if migrate:
            try:
                store.upgrade()
            except OperationalError as exc:
                raise UserError(f"cannot open store {store.display}: {_first_line(exc)}") from None
            except DatabaseError as exc:
                raise UserError(
                    f"{store.display} is not a codesteer store: {_first_line(exc)}"
                ) from None
        _OPEN[url] = store
    return store


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def _first_line(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", None) or exc)
    return msg.strip().splitlines()[0] if msg.strip() else type(exc).__name__
