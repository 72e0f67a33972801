"""The llama.cpp engine (xllamacpp, in process) and `local:qwen-coder`: real GGUFs, real
generation, the assembled model file, and which engine each embedded model uses."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.models import get_model, model_defaults
from codesteer_cli.models.providers import embedded
from codesteer_cli.models.providers.llamacpp import LlamaCppModel
from codesteer_cli.models.storage import concatenate_verified

QWEN = embedded.MODELS["qwen-coder"]


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


@pytest.fixture(scope="module")
def qwen_gguf() -> Path:
    return embedded.gguf_path("qwen-coder")


def test_qwen_coder_is_assembled_from_its_packages(qwen_gguf: Path) -> None:
    assert qwen_gguf.name == QWEN.gguf_name and qwen_gguf.stat().st_size == 491_400_064
    digest = hashlib.sha256()
    with open(qwen_gguf, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    assert digest.hexdigest() == QWEN.sha256
    with open(qwen_gguf, "rb") as fh:
        assert fh.read(4) == b"GGUF"
    assert embedded.gguf_path("qwen-coder") == qwen_gguf  # once: found, not rebuilt


def test_two_processes_assembling_agree(tmp_path: Path) -> None:
    """Two processes assemble into an empty cache at once: the lock makes one build
    it, the other finds it; no temporary file is left."""
    script = (
        "from codesteer_cli.models.providers.embedded import gguf_path;"
        "print(gguf_path('qwen-coder'))"
    )
    env = {**os.environ, "CODESTEER_CACHE": str(tmp_path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    paths = {o[0].decode().strip() for o in outs}
    assert paths == {str(tmp_path / "models" / QWEN.gguf_name)}
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        ".qwen-coder.lock",
        QWEN.gguf_name,
    ]
    assert (tmp_path / "models" / QWEN.gguf_name).stat().st_size == QWEN.size
    assembled = sum(b"assembling" in o[1] for o in outs)
    assert assembled == 1, "both processes assembled the file"


def test_wrong_parts_never_become_the_model(tmp_path: Path) -> None:
    parts = [tmp_path / "a.bin", tmp_path / "b.bin"]
    parts[0].write_bytes(b"GGUF" + b"\0" * 60)
    parts[1].write_bytes(b"\1" * 64)
    final = tmp_path / "out" / "m.gguf"
    good = hashlib.sha256(parts[0].read_bytes() + parts[1].read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="sha256"):
        concatenate_verified(parts, final, 128, "0" * 64)
    with pytest.raises(ValueError, match="expected 129"):
        concatenate_verified(parts, final, 129, good)
    assert list((tmp_path / "out").iterdir()) == []  # nothing half-written left
    concatenate_verified(parts, final, 128, good)
    assert final.read_bytes()[:4] == b"GGUF" and final.stat().st_size == 128


def test_qwen_coder_writes_a_working_program() -> None:
    """The reason this model is here: it writes programs that compute the answer."""
    model = get_model("local:qwen-coder", concurrency=2)
    assert isinstance(model, LlamaCppModel) and model.engine == "llama.cpp"
    done = model.complete(
        ask("Write a Python program that prints the product of 123 and 456."), max_tokens=200
    )
    assert done.ok, done.error
    blocks = re.findall(r"```(?:python)?\n(.*?)```", done.text, re.S)
    assert blocks, done.text
    run = subprocess.run(
        [sys.executable, "-c", blocks[0]], capture_output=True, text=True, timeout=30
    )
    assert "56088" in run.stdout, (done.text, run.stdout, run.stderr)
    assert done.usage.cost_usd == 0.0 and not done.usage.tokens_estimated
    assert model.cache_identity == f"local:qwen-coder@llama.cpp:{QWEN.sha256[:16]}"


@pytest.fixture(scope="module")
def small() -> LlamaCppModel:
    """SmolLM2 through llama.cpp with 4 slots (fast enough for behaviour tests)."""
    model = embedded.make_model("local:smollm2@llama.cpp", concurrency=4)
    assert isinstance(model, LlamaCppModel)
    return model


def test_limits_stops_usage_and_seeds(small: LlamaCppModel) -> None:
    long = small.complete(ask("Count from one to fifty in words."), max_tokens=8)
    assert long.ok and long.usage.tokens_out == 8 and long.usage.tokens_in > 10
    q = ask("Count from 1 to 20, one number per line.")
    full = small.complete(q, max_tokens=24)
    cut = small.complete(q, max_tokens=24, stop=["3"])
    assert "3" in full.text and "3" not in cut.text and full.text.startswith(cut.text)
    j = ask("Tell me a one-line joke.")
    a = small.complete(j, temperature=1.0, seed=7, max_tokens=12)
    b = small.complete(j, temperature=1.0, seed=7, max_tokens=12)
    others = {
        small.complete(j, temperature=1.0, seed=7, repeat=r, max_tokens=12).text for r in (1, 2)
    }
    assert a.text == b.text
    assert others - {a.text}, "repeats with one seed all gave the seed's sample"
    assert small.complete(q, max_tokens=24).text == full.text  # greedy is deterministic


def test_top_k_and_top_p_reach_the_sampler(small: LlamaCppModel) -> None:
    """top_k=1 (or a tiny top_p) leaves only the most likely token: sampling at
    temperature 1 then gives the greedy answer, under several seeds."""
    j = ask("Tell me a one-line joke.")
    greedy = small.complete(j, max_tokens=12).text
    for seed in (1, 2, 3):
        assert small.complete(j, temperature=1.0, seed=seed, top_k=1, max_tokens=12).text == greedy
    assert small.complete(j, temperature=1.0, seed=4, top_p=1e-6, max_tokens=12).text == greedy
    free = {small.complete(j, temperature=1.0, seed=s, max_tokens=12).text for s in (1, 2, 3)}
    assert free - {greedy}, "plain sampling at temperature 1 always gave the greedy text"


def test_a_prompt_beyond_the_context_fails_without_retries(small: LlamaCppModel) -> None:
    done = small.complete(ask("word " * 6000), max_tokens=4)
    assert not done.ok and "context" in (done.error or "")
    assert done.error and "attempts" not in done.error  # no retries for local failures


def test_sixteen_concurrent_requests_wait_in_our_queue(small: LlamaCppModel) -> None:
    """16 requests at once on 4 slots: at most 4 are inside llama.cpp, none fails."""
    before = small.server.requests
    results: list[Any] = [None] * 16
    barrier = threading.Barrier(16)

    def call(i: int) -> None:
        barrier.wait()
        results[i] = small.complete(ask(f"Name the number {i} in French."), max_tokens=12)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert small.server.requests - before == 16
    assert small.stats.snapshot()["peak_in_flight"] == 4


def test_engine_choice_by_model_and_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    smol = embedded.MODELS["smollm2"]
    assert embedded.choose_engine(QWEN, 1) == embedded.choose_engine(QWEN, 16) == "llama.cpp"
    assert embedded.choose_engine(smol, 1) == embedded.choose_engine(smol, 8) == "llama.cpp"
    assert embedded.choose_engine(smol, 16) == "transformers"
    monkeypatch.setenv("CODESTEER_LOCAL_ENGINE", "transformers")
    assert embedded.choose_engine(QWEN, 4) == "transformers"
    monkeypatch.setenv("CODESTEER_LOCAL_ENGINE", "vllm")
    with pytest.raises(UserError, match="CODESTEER_LOCAL_ENGINE='vllm'"):
        embedded.choose_engine(QWEN, 4)
    with pytest.raises(UserError, match="unknown engine 'vllm'"):
        get_model("local:qwen-coder@vllm")
    with pytest.raises(UserError, match="unknown local model 'tinyllama'"):
        get_model("local:tinyllama")


def test_model_defaults_are_episode_settings() -> None:
    from codesteer_cli.runs.settings import EpisodeSettings

    for spec in ("local:smollm2", "smollm2", "local:qwen-coder", "qwen-coder@llama.cpp"):
        d = model_defaults(spec) if "@" not in spec else model_defaults(f"local:{spec}")
        assert d["prompts"] in ("tiny", "default") and d["task_max_tokens"] <= 512, spec
        EpisodeSettings(**d).validate()
    assert model_defaults("gpt-4o") == {} and model_defaults("no-such-model") == {}


def test_gguf_provider_serves_any_file(tmp_path: Path) -> None:
    smol = embedded.gguf_path("smollm2")
    model = get_model(f"gguf:{smol}", concurrency=2)
    assert model.spec == f"gguf:{smol.resolve()}" and model.engine == "llama.cpp"
    assert model.complete(ask("Say hi."), max_tokens=4).ok
    with pytest.raises(UserError, match="no GGUF file"):
        get_model(f"gguf:{tmp_path / 'missing.gguf'}")
