"""`hf:` models: a tiny random Llama made here, with and without a PEFT adapter."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.models import get_model
from codesteer_cli.models.providers.hf import HFModel, fingerprint, split_target

Q = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say something."}]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, smollm2: HFModel) -> dict[str, Path]:
    """A 2-layer random Llama with SmolLM2's tokenizer, and a LoRA adapter for it."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tests.fixtures.tiny_llama import save_tiny_llama

    root = tmp_path_factory.mktemp("tiny")
    base, adapter = root / "base", root / "adapter"
    save_tiny_llama(AutoTokenizer.from_pretrained(smollm2.lm.base), base, max_positions=512)
    reloaded = AutoModelForCausalLM.from_pretrained(base)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
        get_peft_model(reloaded, lora).save_pretrained(adapter)
    return {"base": base, "adapter": adapter, "root": root}


def test_base_model_answers_with_exact_usage(tiny: dict[str, Path]) -> None:
    m = get_model(f"hf:{tiny['base']}")
    assert isinstance(m, HFModel) and m.spec == f"hf:{tiny['base']}"
    done = m.complete(Q, max_tokens=8)
    assert done.ok, done.error
    assert done.usage.tokens_out == 8 and done.usage.cost_usd == 0.0
    assert done.usage.tokens_in == len(m.lm.encode(Q))
    assert m.complete(Q, max_tokens=8).text == done.text  # greedy is deterministic


def test_top_k_and_top_p_filter_our_row_sampler(tiny: dict[str, Path]) -> None:
    """The transformers engine samples rows itself: top_k=1 or a tiny top_p leave the
    argmax only (= greedy), whatever the seed; without them a random model's samples vary."""
    m = get_model(f"hf:{tiny['base']}")
    greedy = m.complete(Q, max_tokens=8).text
    for seed in (1, 2, 3):
        assert m.complete(Q, max_tokens=8, temperature=1.0, seed=seed, top_k=1).text == greedy
        assert m.complete(Q, max_tokens=8, temperature=1.0, seed=seed, top_p=1e-6).text == greedy
    free = {m.complete(Q, max_tokens=8, temperature=1.0, seed=s).text for s in (1, 2, 3)}
    assert free - {greedy}


def test_adapter_forms_load_the_same_weights(tiny: dict[str, Path]) -> None:
    base = get_model(f"hf:{tiny['base']}").complete(Q, max_tokens=8)
    plus = get_model(f"hf:{tiny['base']}+{tiny['adapter']}")
    alone = get_model(f"hf:{tiny['adapter']}")
    assert plus.spec == alone.spec == f"hf:{tiny['base']}+{tiny['adapter']}"
    a, b = plus.complete(Q, max_tokens=8), alone.complete(Q, max_tokens=8)
    assert a.ok and b.ok and a.text == b.text
    assert a.text != base.text  # the adapter changes the model
    assert plus.cache_identity != get_model(f"hf:{tiny['base']}").cache_identity


def test_adapter_naming_a_non_local_base(tiny: dict[str, Path]) -> None:
    other = tiny["root"] / "hub-adapter"
    other.mkdir()
    cfg = json.loads((tiny["adapter"] / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "someorg/somemodel"
    (other / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(UserError, match="not a local folder: use hf:<base>\\+"):
        split_target(str(other))


def test_fingerprint_changes_with_the_weights(tiny: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny["base"], copy)
    before = fingerprint(str(copy))
    with open(copy / "model.safetensors", "ab") as fh:
        fh.write(b"\0")
    assert fingerprint(str(copy)) != before


def test_a_folder_without_a_model(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="cannot load hf:"):
        get_model(f"hf:{tmp_path / 'empty'}")
