"""The machine a run ran on, stored with its summary: a local model's greedy text can
change with the CPU's vector units and the inference library's version, so two runs on
different machines differ by more than their settings."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

LIBRARIES = ("codesteer", "torch", "transformers", "trl", "peft", "accelerate", "xllamacpp")
# Vector extensions that select different kernels in llama.cpp and torch.
SIMD = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "asimd", "sve")


def versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shape a run's results (None: absent)."""
    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _cpuinfo() -> tuple[str, list[str]]:
    """CPU model name and which of SIMD it has (Linux /proc/cpuinfo; else platform)."""
    model, flags = "", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key == "model name" and not model:
                    model = value.strip()
                elif key in ("flags", "features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model or platform.processor() or platform.machine(), [s for s in SIMD if s in flags]


def _gpus() -> list[str]:
    """The CUDA devices' names, asked only of a torch this process already imported."""
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a broken driver is no reason to fail a run
        pass
    return []


def host() -> dict[str, Any]:
    """What to store of this machine: CPU, its vector extensions, GPUs (when torch is
    loaded), OS, Python, libraries."""
    cpu, simd = _cpuinfo()
    out: dict[str, Any] = {
        "cpu": cpu,
        "simd": simd,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions(),
    }
    gpus = _gpus()
    if gpus:
        out["gpus"] = gpus
    return out


def describe(h: dict[str, Any]) -> str:
    """One line: 'AMD EPYC (avx2) · 2 CPUs · xllamacpp 0.2.1 · torch 2.13.0'."""
    simd = ", ".join(h.get("simd") or []) or "no AVX2"
    pkgs = h.get("packages") or {}
    libs = " · ".join(f"{k} {pkgs[k]}" for k in ("xllamacpp", "torch") if pkgs.get(k))
    gpus = ", ".join(h.get("gpus") or [])
    parts = (f"{h.get('cpu', '?')} ({simd})", f"{h.get('cpus')} CPUs", gpus, libs)
    return " · ".join(x for x in parts if x)


def identity(h: dict[str, Any]) -> tuple[Any, ...]:
    """What must match for two machines to give a local model the same kernels."""
    pkgs = h.get("packages") or {}
    gpus = tuple(h.get("gpus") or ())
    return h.get("cpu"), tuple(h.get("simd") or ()), gpus, pkgs.get("xllamacpp"), pkgs.get("torch")
