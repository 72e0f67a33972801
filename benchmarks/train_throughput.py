"""Training throughput: a LoRA SFT of the embedded SmolLM2-135M on guide conversations.

    python benchmarks/train_throughput.py                         # CPU, fp32
    python benchmarks/train_throughput.py --device cuda --bf16    # a GPU machine
    python benchmarks/train_throughput.py --examples 512 --max-steps 100 --json
    python benchmarks/train_throughput.py --data guide-out/sft.jsonl --compare-micro

`--data` trains on a file of `synthesize export` instead of synthetic conversations.
`--compare-micro` runs twice, each in its own process (so peak memory is each run's own):
micro batch = the whole batch (one padded forward pass per step) and micro batch 1 (the
CPU default, gradient accumulation over the batch), and prints both with the ratios.

Builds `--examples` synthetic guide conversations in the format of `synthesize export`
(a choice prompt + question, 1-3 guide turns with task-model feedback between them; the
last turn is trained), then runs the same code path as `codesteer train sft --lora`
(tokenization with the training template, TRL's SFTTrainer) on `local:smollm2` and
prints: steps/s (all steps, and steady state after `--skip` warm-up steps), tokens/s
(non-padding tokens of the batches) and trained tokens/s, peak resident memory of the
process (RSS, includes the model and data) and, on CUDA, peak GPU memory. Model loading
and tokenization are timed separately and not counted in the rates.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = [
    "What is {a} * {b}?",
    "Use the numbers {a}, {b}, 3 and 7 with + - * / to make 24.",
    "How many times does the letter 'r' appear in 'strawberry{a}'?",
    "A train leaves at {a}:00 and travels {b} km at 60 km/h. When does it arrive?",
    "Sort these numbers: {a}, {b}, {c}, 17, 3, 99.",
]
CHOICE = (
    "You are guiding a task model on a symbolic problem. Decide whether it should answer "
    "by writing Python code that computes the answer, or by reasoning in text. Code is "
    "better for exact arithmetic, search and counting; text is better for commonsense and "
    "short reasoning. Reply with your guidance for the next round; when the answer is "
    "verified, reply <<<Return Answer>>>.\n\nQuestion: "
)
GUIDANCE = [
    "Write a Python program that computes the exact answer with integer arithmetic and "
    "prints it between <<< and >>>.",
    "Reason in text step by step, then give the final answer between <<< and >>>.",
    "The code ran and its output matches the checks. <<<Return Answer>>>",
    "The previous answer failed the checker. Rewrite the code to enumerate every case "
    "and verify each one before printing.",
    "Switch to code: search all combinations with itertools.permutations and print the "
    "first valid expression.",
]


def conversations(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        q = rng.choice(QUESTIONS).format(
            a=rng.randint(10, 9999), b=rng.randint(10, 999), c=rng.randint(1, 99)
        )
        msgs: list[dict[str, str]] = [{"role": "user", "content": CHOICE + q}]
        turns = rng.randint(1, 3)
        for t in range(turns):
            msgs.append({"role": "assistant", "content": rng.choice(GUIDANCE)})
            if t < turns - 1:
                out = rng.randint(1, 10**6)
                msgs.append(
                    {
                        "role": "user",
                        "content": f"Task model answer:\n```python\nprint({out})\n```\n"
                        f"Execution output: <<<{out}>>>\nChecker: the answer does not "
                        "satisfy every constraint.\nAnswer with the same format as before.",
                    }
                )
        rows.append({"messages": msgs, "weight": 1, "task": "bench", "sample_id": i, "turn": 0})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="local:smollm2")
    ap.add_argument("--examples", type=int, default=256)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--max-steps", type=int, default=-1)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--micro-batch-size", type=int, default=None)
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--lora-r", type=int, default=8)
    ap.add_argument("--full", action="store_true", help="full fine-tuning instead of LoRA")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--bf16", action="store_true", help="bf16 mixed precision (GPU)")
    ap.add_argument("--gradient-checkpointing", choices=("auto", "on", "off"), default="off")
    ap.add_argument("--skip", type=int, default=3, help="warm-up steps left out of steady")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--data", help="a JSONL file of `synthesize export` (default: synthetic)")
    ap.add_argument("--compare-micro", action="store_true", help="micro batch = batch vs 1")
    a = ap.parse_args()
    if a.compare_micro:
        compare_micro(a)
        return

    from codesteer_cli.training.run_context import RunContext
    from codesteer_cli.training.sft_config import SFTOptions
    from codesteer_cli.training.sft_trainer import prepare_sft

    with tempfile.TemporaryDirectory(prefix="codesteer-train-bench-") as tmp:
        data = Path(a.data) if a.data else Path(tmp) / "sft.jsonl"
        if not a.data:
            data.write_text("".join(json.dumps(r) + "\n" for r in conversations(a.examples)))
        opts = SFTOptions(
            base=a.base,
            data=str(data),
            out=str(Path(tmp) / "out"),
            epochs=a.epochs,
            max_steps=a.max_steps,
            lr=1e-4,
            batch_size=a.batch_size,
            micro_batch_size=a.micro_batch_size,
            max_length=a.max_length,
            lora=not a.full,
            lora_r=a.lora_r,
            lora_alpha=2 * a.lora_r,
            device=a.device,
            precision="bf16" if a.bf16 else "fp32",
            gradient_checkpointing=a.gradient_checkpointing,
            save_steps=10**6,
            logging_steps=1,
        )
        opts.validate()
        t0 = time.monotonic()
        prep = prepare_sft(opts, RunContext("sft", Path(opts.out or tmp)))
        setup_s = time.monotonic() - t0
        trainer = prep.trainer
        stamps: list[float] = []

        from transformers import TrainerCallback

        class Clock(TrainerCallback):  # type: ignore[misc]
            def on_step_end(self, args, state, control, **kw):  # type: ignore[no-untyped-def]
                stamps.append(time.monotonic())

        trainer.add_callback(Clock())
        if a.device == "cuda":
            import torch

            torch.cuda.reset_peak_memory_stats()
        start = time.monotonic()
        trainer.train()
        train_s = time.monotonic() - start
        steps = trainer.state.global_step
        tokens = trainer._total_train_tokens
        trained = prep.stats.trained_tokens * (steps * a.batch_size) / max(prep.stats.kept, 1)
        steady = None
        if len(stamps) > a.skip + 1:
            steady = (len(stamps) - 1 - a.skip) / (stamps[-1] - stamps[a.skip])
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        gpu_mb = None
        if a.device == "cuda":
            import torch

            gpu_mb = torch.cuda.max_memory_allocated() / 2**20
            device_name = torch.cuda.get_device_name(0)
        else:
            import os

            device_name = f"cpu ({os.cpu_count()} cores)"
        result = {
            "model": a.base,
            "device": device_name,
            "precision": prep.details["precision"],
            "mode": "full" if a.full else f"LoRA r={a.lora_r}",
            "examples": prep.stats.kept,
            "mean_tokens_per_example": round(prep.stats.tokens / max(prep.stats.kept, 1), 1),
            "batch_size": a.batch_size,
            "micro_batch_size": trainer.args.per_device_train_batch_size,
            "steps": steps,
            "setup_s": round(setup_s, 1),
            "train_s": round(train_s, 1),
            "steps_per_s": round(steps / train_s, 3),
            "steady_steps_per_s": round(steady, 3) if steady else None,
            "s_per_step": round(train_s / max(steps, 1), 2),
            "tokens_per_s": round(tokens / train_s, 1),
            "trained_tokens_per_s": round(trained / train_s, 1),
            "peak_rss_mb": round(peak_rss_mb),
            "peak_gpu_mb": round(gpu_mb) if gpu_mb is not None else None,
            "trainable_parameters": sum(
                p.numel() for p in trainer.model.parameters() if p.requires_grad
            ),
            "first_loss": prep.live.history[0]["loss"] if prep.live.history else None,
            "last_loss": prep.live.history[-1]["loss"] if prep.live.history else None,
        }
    show(result, result if a.json else None)


def show(result: dict[str, Any], as_json: Any = None) -> None:
    """`as_json` printed as JSON when given, else `result` as aligned lines."""
    if as_json is not None:
        print(json.dumps(as_json, indent=2))
        return
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")


def compare_micro(a: argparse.Namespace) -> None:
    """The same steps twice, micro batch = batch and 1, each in a fresh process."""
    import subprocess

    rest = [x for x in sys.argv[1:] if x not in ("--compare-micro", "--json")]
    runs = {}
    for micro in (a.batch_size, 1):
        cmd = [sys.executable, __file__, *rest, "--micro-batch-size", str(micro), "--json"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        runs[micro] = json.loads(out[out.index("{") :])
    whole, one = runs[a.batch_size], runs[1]
    result = {
        f"train_s (micro {a.batch_size})": whole["train_s"],
        "train_s (micro 1)": one["train_s"],
        "speed-up of micro 1": round(whole["train_s"] / one["train_s"], 2),
        f"peak_rss_mb (micro {a.batch_size})": whole["peak_rss_mb"],
        "peak_rss_mb (micro 1)": one["peak_rss_mb"],
        "memory ratio": round(whole["peak_rss_mb"] / one["peak_rss_mb"], 2),
        f"last_loss (micro {a.batch_size})": whole["last_loss"],
        "last_loss (micro 1)": one["last_loss"],
        "steps": one["steps"],
        "examples": one["examples"],
    }
    show(result, {"runs": runs, "comparison": result} if a.json else None)


if __name__ == "__main__":
    main()
