"""One module per sub-command, found automatically.

A module defines either `command` (a function: a plain sub-command named after the
module, or `NAME`) or `app` (a `typer.Typer`: a group such as `db` or `train`). Modules
parse options, call an engine module and render; they import heavy libraries lazily.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

COMMANDS: list[tuple[str, Callable[..., Any]]] = []
GROUPS: list[tuple[str, Any]] = []

for _mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _mod.name.startswith("_"):
        continue
    _m = importlib.import_module(f"{__name__}.{_mod.name}")
    _name = getattr(_m, "NAME", _mod.name.replace("_", "-"))
    if hasattr(_m, "app"):
        GROUPS.append((_name, _m.app))
    elif hasattr(_m, "command"):
        COMMANDS.append((_name, _m.command))
