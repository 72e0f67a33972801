"""The guide `make demo` uses (guides/smollm2-search, the committed output of `make
guide`): its recipe describes these weights, and it loads by name and answers in the
guide's protocol where the bare model does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesteer_cli.errors import UserError
from codesteer_cli.models import get_model
from codesteer_cli.models.providers.embedded import ensure_cache
from codesteer_cli.training.publish import sha256

GUIDE = Path(__file__).resolve().parents[2] / "guides" / "smollm2-search"


def test_recipe_names_these_weights() -> None:
    recipe = json.loads((GUIDE / "recipe.json").read_text())
    assert recipe["weights_sha256"] == sha256(GUIDE / "adapter_model.safetensors")
    assert recipe["training_run"]["kind"] == "train-sft"
    assert [r["kind"] for r in recipe["synthesis_runs"]] == ["synthesize-search"]
    cfg = json.loads((GUIDE / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == "local:smollm2"


def test_the_trained_guide_replies_with_a_decision() -> None:
    question = (
        "You are guiding a task model through the question below. The task model can "
        "solve it by writing a Python program or by reasoning in text.\n\nDecide how the "
        "task model should start. Reply with <<<Code>>> or <<<Text>>>, or put more "
        "specific advice inside <<< >>>.\n\nQuestion:\nWhat is 4821 * 977 * 63?"
    )
    guide = get_model(f"local:smollm2+{GUIDE}")
    reply = guide.complete([{"role": "user", "content": question}], max_tokens=16)
    assert reply.error is None
    assert reply.text.strip() in ("<<<Code>>>", "<<<Text>>>"), reply.text


def test_the_committed_guide_is_a_training_base_by_each_name() -> None:
    """`train dpo --base guides/smollm2-search` (the next step after `make guide`) and the
    names `steer -g` takes resolve to the embedded weights plus this adapter."""
    from codesteer_cli.training.modeling import resolve_base

    embedded = str(ensure_cache())
    for spec in (str(GUIDE), f"hf:{GUIDE}", f"local:smollm2+{GUIDE}", f"smollm2+{GUIDE}"):
        ref = resolve_base(spec)
        assert (ref.base, ref.adapter) == (embedded, str(GUIDE)), spec
    assert resolve_base("local:smollm2").adapter is None


def test_an_unknown_embedded_base_is_a_user_error() -> None:
    from codesteer_cli.training.modeling import resolve_base

    with pytest.raises(UserError, match="known: local:smollm2"):
        resolve_base(f"local:qwen-coder+{GUIDE}")


def test_the_committed_guide_merges_onto_the_embedded_weights(tmp_path: Path) -> None:
    """`train merge` reads the same `local:smollm2` base: the merged folder is the
    embedded model's architecture with the adapter's weights folded in."""
    from codesteer_cli.training.merge import merge_adapter

    result = merge_adapter(GUIDE, tmp_path / "merged")
    assert (tmp_path / "merged" / "model.safetensors").is_file()
    assert result.base == str(ensure_cache())
    assert 130e6 < result.parameters < 140e6
