"""The run store: every sample, run, episode, turn and code execution."""

from codesteer_cli.store.db import Store, open_store, resolve_url

__all__ = ["Store", "open_store", "resolve_url"]
