"""Throughput of the embedded model under concurrent requests, as ratios to one request.

    python benchmarks/local_throughput.py [--tokens 128] [--levels 1,4,8,16] [--rounds 1]

For each level N, N threads each send one request (a different prompt asking for a long
answer, greedy, `--tokens` new tokens at most) to `local:smollm2` at the same moment;
aggregate tokens/s = generated tokens / wall time. Ratios are to the single-request
figure measured in the same run (targets: 8 concurrent >= 5x, 16 concurrent >= 8x).
The same is done for llama.cpp serving the same GGUF (through `openai-compat:`) when
`llama-cpp-python[server]` is importable (otherwise it prints "not installed"), then
ours over llama.cpp's aggregate tokens/s at each level. On CPUs with AVX-512 FP16 the
default native build of llama-cpp-python 0.3.36 crashes on the first completion; build
it with `CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install "llama-cpp-python[server]"`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOPICS = [
    "a lighthouse keeper",
    "the history of bridges",
    "a robot learning to paint",
    "how volcanoes form",
    "a journey across a desert",
    "the life of honeybees",
    "a city under the sea",
    "the invention of the printing press",
    "a chess tournament",
    "why the sky is blue",
    "a winter in the mountains",
    "the first flight to the moon",
    "a lost dog finding home",
    "how computers store numbers",
    "a market in an old town",
    "the water cycle",
]
TARGETS = {8: 5.0, 16: 8.0}


def prompt(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Write a long, detailed essay about {TOPICS[i % 16]}."}]


def wave(model: Any, n: int, tokens: int) -> tuple[float, int, int]:
    """n concurrent requests: (aggregate tokens/s, tokens generated, failures)."""
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n + 1)

    def call(i: int) -> None:
        barrier.wait()
        results[i] = model.complete(prompt(i), max_tokens=tokens, temperature=0.0)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    failed = sum(1 for r in results if not r.ok)
    generated = sum(r.usage.tokens_out or 0 for r in results if r.ok)
    return generated / wall, generated, failed


def measure(model: Any, levels: list[int], tokens: int, rounds: int) -> dict[int, dict]:
    wave(model, 1, 8)  # warm-up
    out: dict[int, dict] = {}
    for n in levels:
        calls_before = getattr(model, "generate_calls", None)
        runs = [wave(model, n, tokens) for _ in range(rounds)]
        calls = getattr(model, "generate_calls", None)
        out[n] = {
            "tok_s": statistics.median(r[0] for r in runs),
            "tokens": int(statistics.median(r[1] for r in runs)),
            "failed": sum(r[2] for r in runs),
            "generate_calls": None if calls is None else (calls - calls_before) / rounds,
        }
    return out


def report(title: str, rows: dict[int, dict], targets: bool = True) -> None:
    base = rows[min(rows)]["tok_s"]
    print(f"\n{title}")
    print(f"{'concurrent':>10} {'tokens':>7} {'tok/s':>8} {'ratio':>7} {'generate calls':>15}")
    for n, r in rows.items():
        ratio = r["tok_s"] / base if base else float("nan")
        calls = "-" if r["generate_calls"] is None else f"{r['generate_calls']:g}"
        target = f"  (target >= {TARGETS[n]:g}x)" if targets and n in TARGETS else ""
        fail = f"  {r['failed']} failed" if r["failed"] else ""
        print(
            f"{n:>10} {r['tokens']:>7} {r['tok_s']:>8.1f} {ratio:>6.2f}x {calls:>15}{target}{fail}"
        )


def wait_ready(server: subprocess.Popen[bytes], port: int, timeout_s: float) -> bool:
    """True once the server answers /v1/models; False if it exits or never answers."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            return True
        except OSError:
            time.sleep(0.2)
    return False


def last_lines(log: IO[bytes], n: int = 15) -> str:
    log.seek(0)
    lines = log.read().decode(errors="replace").strip().splitlines()[-n:]
    return "\n".join("  " + ln for ln in lines)


def versus(ours: dict[int, dict], theirs: dict[int, dict]) -> None:
    print("\nlocal:smollm2 batched over llama.cpp, aggregate tokens/s at the same level")
    for n in ours:
        if n in theirs and theirs[n]["tok_s"] and not theirs[n]["failed"]:
            print(f"{n:>10} concurrent: {ours[n]['tok_s'] / theirs[n]['tok_s']:.2f}x")


def llamacpp(levels: list[int], tokens: int, rounds: int) -> dict[int, dict] | None:
    if importlib.util.find_spec("llama_cpp") is None:
        print("\nllama.cpp (llama-cpp-python): not installed")
        return None
    from codesteer_cli.models import get_model
    from codesteer_cli.models.providers.embedded import gguf_path
    from codesteer_cli.training.launch import free_port

    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf_path()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        str(os.cpu_count() or 2),
        "--n_ctx",
        "4096",
    ]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            if not wait_ready(server, port, timeout_s=120):
                print(f"\nllama.cpp server did not come up; its last lines:\n{last_lines(log)}")
                return None
            model = get_model(f"openai-compat:http://127.0.0.1:{port}/v1#smollm2", timeout_s=600)
            rows = measure(model, levels, tokens, rounds)
            if server.poll() is not None:
                print(
                    f"\nllama.cpp server exited with status {server.returncode} during the "
                    f"run (a negative status is the signal); its last lines:\n{last_lines(log)}"
                )
                return None
            report("llama.cpp server, same GGUF (openai-compat:)", rows, targets=False)
            return rows
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokens", type=int, default=128, help="max new tokens per request")
    ap.add_argument("--levels", default="1,4,8,16", help="concurrency levels")
    ap.add_argument("--rounds", type=int, default=1, help="runs per level (median)")
    ap.add_argument("--skip-llamacpp", action="store_true")
    args = ap.parse_args()
    levels = sorted({int(x) for x in args.levels.split(",")})

    import torch

    from codesteer_cli.models import get_model

    start = time.monotonic()
    model = get_model("local:smollm2", concurrency=max(levels))
    print(
        f"local:smollm2 on {model.lm.device} ({model.lm.dtype}), torch {torch.__version__}, "
        f"{os.cpu_count()} cores, {torch.get_num_threads()} torch threads; "
        f"ready in {time.monotonic() - start:.1f}s; {args.tokens} new tokens per request"
    )
    ours = measure(model, levels, args.tokens, args.rounds)
    report("local:smollm2 (batched generate)", ours)
    if not args.skip_llamacpp:
        theirs = llamacpp(levels, args.tokens, args.rounds)
        if theirs:
            versus(ours, theirs)


if __name__ == "__main__":
    main()
