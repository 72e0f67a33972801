"""API keys and base URLs: from the environment, else from `./.env`.

The `.env` file is read, never loaded into `os.environ`, so keys do not leak into the
environment of child processes (the sandbox runs model-written code). `scrub` removes
every known key from a text before it can reach an error message, a log or the store.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from codesteer_cli.errors import UserError

# Every variable of this form is a secret to keep out of texts (each provider declares
# its own in its `ProviderInfo.key_var`; all of them end like this).
SECRET_SUFFIXES = ("_API_KEY",)

_lock = threading.Lock()
_dotenv_cache: dict[str, tuple[float, dict[str, str]]] = {}


def dotenv_path() -> Path:
    return Path.cwd() / ".env"


def _dotenv() -> dict[str, str]:
    """The variables in ./.env (re-read when the file changes)."""
    path = dotenv_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    key = str(path)
    with _lock:
        hit = _dotenv_cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
    from dotenv import dotenv_values

    values = {k: v for k, v in dotenv_values(path).items() if v}
    with _lock:
        _dotenv_cache[key] = (mtime, values)
    return values


def get_setting(name: str) -> str | None:
    """`$name` if set and non-empty, else its value in ./.env, else None."""
    value = os.environ.get(name)
    if value:
        return value.strip()
    value = _dotenv().get(name)
    return value.strip() if value else None


def setting_source(name: str) -> str | None:
    """Where `name` comes from: "env", ".env" or None (for `codesteer models`)."""
    if os.environ.get(name):
        return "env"
    if _dotenv().get(name):
        return ".env"
    return None


def require_key(var: str, provider: str) -> str:
    """The API key in `var`, or a one-line UserError naming the variable."""
    key = get_setting(var)
    if not key:
        raise UserError(
            f"{var} is not set: {provider} models need it (export it, or put "
            f"{var}=... in {dotenv_path()})"
        )
    return key


def known_secrets() -> list[str]:
    """Every key value present in the environment or ./.env (any *_API_KEY variable)."""
    names = {n for n in (*os.environ, *_dotenv()) if n.endswith(SECRET_SUFFIXES)}
    values = []
    for var in sorted(names):
        value = get_setting(var)
        if value and len(value) >= 4:
            values.append(value)
    return values


_PATTERNS = (
    (re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{8,}"), r"\1-***"),
    (re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"), r"\1***"),
    (re.compile(r"(?i)((?:x-)?api[-_]?key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\1***"),
    (re.compile(r"(?i)(\bkey=)[^\s&'\"]+"), r"\1***"),
)


def scrub(text: str, extra: tuple[str, ...] | list[str] = ()) -> str:
    """`text` with every known key (and anything shaped like one) replaced by ***."""
    for secret in sorted({*known_secrets(), *extra}, key=len, reverse=True):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text
