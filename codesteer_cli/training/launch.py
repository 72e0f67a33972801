"""Running a training job: in this process, or as N processes under `accelerate launch`.

`run_training` (the command's process) checks everything a user can get wrong before any
model loads (options, data files, output folder, strategy packages), creates the run in
the store, then either trains here (one process) or writes two files into the output
folder and re-launches itself:

- `accelerate_config.yaml`: generated for the strategy (ddp → MULTI_GPU, fsdp → FSDP2
  with full state dicts, deepspeed-zero3 → DEEPSPEED stage 3), the process count
  (`--gpus` × `--num-machines`), this machine's rank and the main process's address;
- `codesteer_job.json`: the resolved options, the run id and the store URL.

Each process then runs `python -m codesteer_cli.training.launch codesteer_job.json`. Rank
0 alone writes metrics and closes the run. On a machine without CUDA, `--gpus N`
simulates N processes with the gloo backend (the MULTI_GPU launcher; `--cpu
--num_processes N` would silently start one), so the path is tested on CPU.

Multi-node: run the same command on every machine with `--num-machines M --machine-rank
R --main-process-ip IP [--main-process-port P]`; Accelerate connects them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesteer_cli.errors import UserError
from codesteer_cli.store.db import Store
from codesteer_cli.training.config import TrainOptions
from codesteer_cli.training.pipeline import SUMMARY_FILE
from codesteer_cli.training.run_context import RunContext

JOB_FILE = "codesteer_job.json"
ACCELERATE_FILE = "accelerate_config.yaml"
OUTPUT_MARKERS = ("config.json", "adapter_config.json", "model.safetensors")


# --- checks before anything loads ---------------------------------------------------


def last_checkpoint(out_dir: Path) -> str | None:
    if not out_dir.is_dir():
        return None
    best: tuple[int, Path] | None = None
    for p in out_dir.iterdir():
        if p.is_dir() and p.name.startswith("checkpoint-") and p.name[11:].isdigit():
            if not (p / "trainer_state.json").is_file():
                continue  # a checkpoint cut short while being written
            step = int(p.name[11:])
            if best is None or step > best[0]:
                best = (step, p)
    return str(best[1]) if best else None


def prepare_out_dir(opts: TrainOptions, run_name: str) -> tuple[Path, str | None]:
    """The output folder and the checkpoint to resume from (with --resume)."""
    if opts.resume and not opts.out:
        raise UserError("--resume needs --out: the folder of the run to continue")
    out_dir = Path(opts.out or Path("train-out") / run_name).expanduser().resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir} is a file")
    ckpt = last_checkpoint(out_dir)
    if opts.resume:
        if ckpt is None:
            raise UserError(f"--resume: no checkpoint in {out_dir} to continue from")
        return out_dir, ckpt
    has_output = ckpt is not None or any((out_dir / m).exists() for m in OUTPUT_MARKERS)
    if has_output and not opts.overwrite:
        raise UserError(
            f"{out_dir} already holds a training output; pass --resume to continue from its "
            "last checkpoint, --overwrite to replace it, or another --out"
        )
    if opts.overwrite and out_dir.is_dir():
        for p in out_dir.iterdir():
            if p.is_dir() and p.name.startswith("checkpoint-"):
                shutil.rmtree(p)
    return out_dir, None


def check_strategy(opts: TrainOptions) -> None:
    if opts.strategy == "deepspeed-zero3" and importlib.util.find_spec("deepspeed") is None:
        raise UserError(
            "--strategy deepspeed-zero3 needs the deepspeed package, which is not installed: "
            "pip install deepspeed (on a machine with CUDA), or use --strategy fsdp"
        )
    if opts.strategy != "ddp":
        import torch

        if not torch.cuda.is_available() or opts.device == "cpu":
            raise UserError(
                f"--strategy {opts.strategy} needs CUDA GPUs; without them use --strategy ddp "
                "(--gpus N then simulates N processes on the CPU)"
            )


def preflight(kind: str, opts: TrainOptions) -> None:
    """Everything cheap that can fail on user input, before a model or process starts."""
    from codesteer_cli.training.data import load_dpo, load_sft

    check_strategy(opts)
    load = load_sft if kind == "sft" else load_dpo
    load(opts.data, opts.data_format)
    if opts.eval_data:
        load(opts.eval_data, opts.data_format)


# --- the accelerate config ----------------------------------------------------------


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (accelerate's main process; test servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def accelerate_config(opts: TrainOptions, mixed_precision: str = "no") -> dict[str, Any]:
    """The `accelerate launch --config_file` contents for the options' strategy."""
    cfg: dict[str, Any] = {
        "compute_environment": "LOCAL_MACHINE",
        "debug": False,
        "downcast_bf16": "no",
        "machine_rank": opts.machine_rank,
        "main_training_function": "main",
        "mixed_precision": mixed_precision,
        "num_machines": opts.num_machines,
        "num_processes": opts.world_size,
        "rdzv_backend": "static",
        "same_network": True,
        "tpu_env": [],
        "tpu_use_cluster": False,
        "tpu_use_sudo": False,
        "use_cpu": False,
    }
    if opts.main_process_ip:
        cfg["main_process_ip"] = opts.main_process_ip
    cfg["main_process_port"] = opts.main_process_port or (
        29500 if opts.num_machines > 1 else free_port()
    )
    if opts.strategy == "ddp":
        cfg["distributed_type"] = "MULTI_GPU" if opts.world_size > 1 else "NO"
        cfg["gpu_ids"] = "all"
    elif opts.strategy == "fsdp":
        cfg["distributed_type"] = "FSDP"
        cfg["fsdp_config"] = {
            "fsdp_version": 2,
            "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
            "fsdp_activation_checkpointing": False,  # the trainer's gradient checkpointing
            "fsdp_cpu_ram_efficient_loading": True,
            "fsdp_offload_params": False,
            "fsdp_reshard_after_forward": True,
            "fsdp_state_dict_type": "FULL_STATE_DICT",  # outputs are plain HF folders
        }
    elif opts.strategy == "deepspeed-zero3":
        cfg["distributed_type"] = "DEEPSPEED"
        cfg["deepspeed_config"] = {
            "deepspeed_multinode_launcher": "standard",
            "offload_optimizer_device": "none",
            "offload_param_device": "none",
            "zero3_init_flag": True,
            "zero3_save_16bit_model": True,  # save_model writes consolidated weights
            "zero_stage": 3,
        }
    else:  # validated earlier; kept for direct callers
        raise UserError(f"unknown --strategy {opts.strategy!r}")
    return cfg


def _mixed_precision(opts: TrainOptions) -> tuple[str, bool]:
    """(accelerate's mixed_precision, whether CUDA is there) as training will pick them."""
    import torch

    cuda = torch.cuda.is_available() and opts.device != "cpu"
    if not cuda:
        return "no", False
    if opts.precision == "fp32":
        return "no", True
    if opts.precision == "fp16":
        return "fp16", True
    return ("bf16" if torch.cuda.is_bf16_supported() else "no"), True


def launch_workers(kind: str, opts: TrainOptions, ctx: RunContext) -> int:
    """Write the config and job files and run `accelerate launch`; returns its exit code."""
    import yaml

    mixed, cuda = _mixed_precision(opts)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    cfg = accelerate_config(opts, mixed)
    cfg_path = ctx.out_dir / ACCELERATE_FILE
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=True))
    job_path = ctx.out_dir / JOB_FILE
    job = {"options": opts.to_dict(), **ctx.to_json()}
    job_path.write_text(json.dumps(job, indent=2) + "\n")
    env = dict(os.environ)
    if not cuda:
        # Share the cores between the simulated processes instead of oversubscribing.
        per = max(1, (os.cpu_count() or 1) // max(1, opts.gpus))
        env.setdefault("OMP_NUM_THREADS", str(per))
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    from codesteer_cli.context import settings

    if settings.verbose:
        env["CODESTEER_VERBOSE"] = "1"
    cmd = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(cfg_path),
        "-m",
        "codesteer_cli.training.launch",
        str(job_path),
    ]
    from codesteer_cli.console import err

    err.print(
        f"launching {opts.world_size} processes ({opts.strategy}"
        + (", simulated on CPU with gloo" if not cuda else "")
        + f"): accelerate launch --config_file {cfg_path}",
        highlight=False,
    )
    return subprocess.run(cmd, env=env, check=False).returncode


# --- running ------------------------------------------------------------------------


def _train(kind: str, opts: TrainOptions, ctx: RunContext) -> dict[str, Any]:
    if kind == "sft":
        from codesteer_cli.training.sft_trainer import train_sft

        return train_sft(opts, ctx)  # type: ignore[arg-type]
    from codesteer_cli.training.dpo_trainer import train_dpo

    return train_dpo(opts, ctx)  # type: ignore[arg-type]


def execute(kind: str, opts: TrainOptions, ctx: RunContext) -> dict[str, Any]:
    """Train in this process; rank 0 closes the run whatever happens."""
    try:
        summary = _train(kind, opts, ctx)
    except KeyboardInterrupt:
        if ctx.is_main:
            ctx.finish("stopped", error="interrupted")
        raise
    except UserError as exc:
        if ctx.is_main:
            ctx.finish("failed", error=str(exc))
        raise
    except Exception as exc:
        if ctx.is_main:
            ctx.finish("failed", error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    if ctx.is_main:
        ctx.finish("finished", summary=summary)
    return summary


@dataclass
class TrainingResult:
    run_id: int | None
    run_name: str
    out_dir: Path
    summary: dict[str, Any]


def run_training(
    kind: str, opts: TrainOptions, db: str | None = None, use_store: bool = True
) -> TrainingResult:
    """The whole job, from the command's process."""
    from codesteer_cli.store import repo

    preflight(kind, opts)
    run_name = opts.name or repo.new_run_name(f"train-{kind}")
    out_dir, resume_from = prepare_out_dir(opts, run_name)
    from codesteer_cli.training.modeling import resolve_base

    resolve_base(opts.base)  # a missing folder fails here; local:smollm2 is prepared once
    store = None
    run_id = None
    db_url = None
    if opts.machine_rank > 0:
        # Machine 0 records the run (its global rank 0 writes the metrics); the others
        # only contribute processes.
        use_store = False
    if use_store:
        from codesteer_cli.store.db import open_store

        store = open_store(db)
        if repo.get_run(store, run_name) is not None:
            raise UserError(f"a run named {run_name!r} already exists; choose another --name")
        config = {**opts.to_dict(), "out": str(out_dir), "resume_from": resume_from}
        run = repo.create_run(store, f"train-{kind}", config, name=run_name)
        run_id, db_url = run.id, store.url
    ctx = RunContext(kind, out_dir, run_id, db_url, resume_from, store)
    if not opts.needs_launcher:
        summary = execute(kind, opts, ctx)
        return TrainingResult(run_id, run_name, out_dir, summary)
    try:
        rc = launch_workers(kind, opts, ctx)
    except BaseException as exc:
        _close_if_running(store, run_id, exc)
        raise
    if rc != 0:
        _close_if_running(store, run_id, None, f"a training process exited with code {rc}")
        raise UserError(f"training failed: a training process exited with code {rc} (see above)")
    try:
        summary = json.loads((out_dir / SUMMARY_FILE).read_text())
    except (OSError, ValueError):
        summary = {}
    return TrainingResult(run_id, run_name, out_dir, summary)


def _close_if_running(
    store: Store | None, run_id: int | None, exc: BaseException | None, error: str = ""
) -> None:
    if store is None or run_id is None:
        return
    from codesteer_cli.store import repo

    run = repo.get_run(store, run_id)
    if run is None or run.status != "running":
        return
    if isinstance(exc, KeyboardInterrupt):
        repo.finish_run(store, run_id, "stopped", error="interrupted")
    else:
        repo.finish_run(store, run_id, "failed", error=error or str(exc))


# --- the worker entry point ---------------------------------------------------------


def worker_main(argv: list[str]) -> int:
    """`python -m codesteer_cli.training.launch JOB` in each launched process."""
    if len(argv) != 1:
        print("usage: python -m codesteer_cli.training.launch JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[0]).read_text())
    kind = job["kind"]
    if kind == "sft":
        from codesteer_cli.training.sft_config import SFTOptions as Opts
    else:
        from codesteer_cli.training.dpo_config import DPOOptions as Opts  # type: ignore[assignment]
    opts = Opts.from_dict(job["options"])
    ctx = RunContext(
        kind, Path(job["out_dir"]), job.get("run_id"), job.get("db_url"), job.get("resume_from")
    )
    try:
        execute(kind, opts, ctx)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        _destroy_process_group()
    return 0


def _destroy_process_group() -> None:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    except Exception:
        pass


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
