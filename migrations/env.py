"""Alembic environment: runs on the connection codesteer hands over, or on the URL."""

from alembic import context
from sqlalchemy import create_engine

from codesteer_cli.store.models import SQLModel

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=conn.dialect.name == "sqlite",
        )
        context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as c:
        context.configure(
            connection=c,
            target_metadata=target_metadata,
            render_as_batch=c.dialect.name == "sqlite",
        )
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
