"""Per-provider request timeout and concurrency: the caller's value, else a setting,
else the provider's default.

Settings come from the environment or ./.env (read like the keys, never exported):

    CODESTEER_<PROVIDER>_TIMEOUT      seconds per attempt, or "none" (no limit)
    CODESTEER_<PROVIDER>_CONCURRENCY  requests on the wire at once
    CODESTEER_<PROVIDER>_RETRIES      retries after a failed attempt (0: none; default 5)

<PROVIDER> is the spec prefix upper-cased with "-" as "_": OPENAI, ANTHROPIC, MISTRAL,
DEEPSEEK, OPENAI_COMPAT, HF, LOCAL, GGUF. A request first waits in codesteer's own queue
(one per provider endpoint, `concurrency` wide); its timeout clock starts when it is
sent, so a queued request never times out. 0 or "none" means no limit.
"""

from __future__ import annotations

import math

from codesteer_cli.errors import UserError
from codesteer_cli.models.keys import get_setting

API_TIMEOUT_S = 120.0  # remote APIs: a stuck connection is retried
LOCAL_SERVER_TIMEOUT_S = 1800.0  # a server on this machine: slow, but not stuck
NO_LIMIT = None


def parse_timeout(value: float | str | None, where: str) -> float | None:
    """Seconds (> 0), or None for no limit (0, "none", "off", inf)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("none", "off", "no", "inf", "0", ""):
            return None
        try:
            value = float(text)
        except ValueError:
            raise UserError(f"{where} must be seconds or 'none', got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise UserError(f"{where} must be seconds (>= 0) or 'none', got {value!r}")
    if value == 0 or math.isinf(value) or math.isnan(value):
        return None
    return float(value)


def request_timeout(
    provider: str, given: float | str | None, default: float | None
) -> float | None:
    """The timeout of one attempt: `given` (0 = no limit), else the setting, else
    `default`."""
    if given is not None:
        return parse_timeout(given, "the request timeout")
    var = setting_name(provider, "TIMEOUT")
    raw = get_setting(var)
    if raw is not None:
        return parse_timeout(raw, var)
    return default


def concurrency(provider: str, given: int | None, default: int | None) -> int | None:
    """Requests on the wire at once: `given`, else the setting, else `default`."""
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise ValueError("concurrency must be at least 1")
        return given
    value = _whole_setting(provider, "CONCURRENCY", 1)
    return default if value is None else value


def retries(provider: str, default: int) -> int:
    """Retries after a failed attempt: the setting, else `default` (a server known to be
    down, or a test of failures, need not wait out the backoff)."""
    value = _whole_setting(provider, "RETRIES", 0)
    return default if value is None else value


def _whole_setting(provider: str, what: str, least: int) -> int | None:
    """The provider's whole-number setting `what` (None: not set); below `least` or not
    a number is a UserError naming the variable."""
    var = setting_name(provider, what)
    raw = get_setting(var)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = least - 1
    if value < least:
        raise UserError(f"{var} must be a whole number of at least {least}, got {raw!r}")
    return value


def setting_name(provider: str, what: str) -> str:
    return f"CODESTEER_{provider.upper().replace('-', '_')}_{what}"
