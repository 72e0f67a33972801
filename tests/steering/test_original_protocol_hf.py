"""`steer --protocol original` with an `hf:` guide built here, a tiny random Llama-3-style
model whose chat template has the `llama3` layout (the released guide's), and a real local
OpenAI-compatible server as the task model: the guide inputs recorded in the store have
the form the golden tests fix (choice prompt + question first, then the short form,
alternating with the guide's own raw replies)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from codesteer_cli.steering.original_checks import alternate
from codesteer_cli.steering.original_release import load_release
from tests.fixtures.cli import run_cli
from tests.fixtures.katan import Katan
from tests.training.conftest import GGUF, _gguf_folder

REPO = Path(__file__).resolve().parents[2]
RELEASE = Path(
    os.environ.get("CODESTEER_ORIGINAL_RELEASE", REPO.parent / "shared" / "original-release")
)
# The Llama 3 Instruct layout, written for this test: BOS, then per message a role header,
# the trimmed content and <|eot_id|>; the assistant header opens the reply.
LLAMA3 = (
    "{{- bos_token }}{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' "
    "+ message['content'] | trim + '<|eot_id|>' }}{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)


@pytest.fixture(scope="module")
def guide_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import AutoTokenizer

    from tests.fixtures.tiny_llama import save_tiny_llama

    tok = AutoTokenizer.from_pretrained(_gguf_folder(), gguf_file=GGUF)
    tok.chat_template = LLAMA3
    return save_tiny_llama(tok, tmp_path_factory.mktemp("llama3-guide"), max_positions=8192)


@pytest.mark.slow
def test_hf_llama3_guide_against_a_local_server(tmp_path: Path, guide_dir: Path) -> None:
    server = Katan(tmp_path).start().wait_ready()
    try:
        db = tmp_path / "s.db"
        task = f"openai-compat:{server.url}/v1#echo-model"
        env = {"OPENAI_COMPAT_API_KEY": "x", "HF_HUB_OFFLINE": "1"}
        r = run_cli(
            "--db", str(db), "steer", "-m", task, "--guide", f"hf:{guide_dir}",
            "--protocol", "original", "--original-release", str(RELEASE),
            "-t", "number_multiply", "-c", "1", "-n", "1", "--guide-max-tokens", "12",
            "--concurrency", "1", env=env, timeout=600,
        )  # fmt: skip
        assert r.returncode in (0, 1), r.stderr[-3000:]
        con = sqlite3.connect(db)
        try:
            question = con.execute("select question from samples").fetchone()[0]
            guide = con.execute(
                "select messages, response, params from turns where role = 'guide' order by seq"
            ).fetchall()
            status = con.execute("select status, stop_reason from episodes").fetchone()
        finally:
            con.close()
    finally:
        server.stop()
    rel = load_release(str(RELEASE))
    assert status[0] == "finished", status
    replies = [g[1] for g in guide]
    users = [json.loads(g[0])[-1]["content"] for g in guide]
    head, tail = rel.round_code.parts[0], rel.round_code.parts[-1]
    assert users[0] == rel.choice + question
    assert all(u.startswith(head) and u.endswith(tail) for u in users[1:])
    for k, g in enumerate(guide):
        assert json.loads(g[0]) == alternate(users[: k + 1], replies[:k])
        sampled = json.loads(g[2])  # LLaMA-Factory's default sampling, as the guide was trained
        assert (sampled["temperature"], sampled["top_p"], sampled["top_k"]) == (0.95, 0.7, 50)
