"""Manual check (not collected by pytest): LLaMA-Factory itself reads `synthesize export
--format llamafactory`, and its `llama3` template encodes every example exactly as
`train sft --train-on all` / `train dpo` do.

LLaMA-Factory is not a dependency of the project (it pins older transformers), so it is
installed beside the venv, only for this check:

    .venv/bin/pip install --no-deps --target /tmp/lf llamafactory==0.9.5
    .venv/bin/pip install --target /tmp/lfdeps omegaconf
    mkdir -p /tmp/lfstub && touch /tmp/lfstub/torchaudio.py   # imported, never used here
    DISABLE_VERSION_CHECK=1 PYTHONPATH=/tmp/lf:/tmp/lfdeps:/tmp/lfstub \\
        .venv/bin/python -m tests.training.llamafactory_check TOKENIZER_DIR

TOKENIZER_DIR: the SmolLM2 tokenizer folder the training tests save (`smollm2-tokenizer`
under pytest's temp folder). It is given Llama 3's special tokens, Meta's Llama 3 chat
template (TRL's copy) and Llama 3's pre-tokenizer split, as the original release's guide
(Meta-Llama-3-8B-Instruct, LLaMA-Factory template `llama3`) has. Exit status 0 when every
example and pair is token-identical, 1 otherwise.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def llama3_tokenizer(folder: str) -> Any:
    import trl
    from tokenizers import Regex, pre_tokenizers
    from transformers import AutoTokenizer

    from tests.training.llama31_template import as_llama31

    tok = as_llama31(AutoTokenizer.from_pretrained(folder))
    tok.chat_template = (Path(trl.__file__).parent / "chat_templates" / "llama3.jinja").read_text()
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    return tok


def main(folder: str) -> int:
    from llamafactory.data.loader import _load_single_dataset
    from llamafactory.data.parser import get_dataset_list
    from llamafactory.data.processor import PairwiseDatasetProcessor, SupervisedDatasetProcessor
    from llamafactory.data.template import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments, ModelArguments
    from transformers import Seq2SeqTrainingArguments

    from codesteer_cli.sandbox.executor import Executor, Limits
    from codesteer_cli.synthesis.export import export
    from codesteer_cli.training.data import read_dpo, read_sft, tokenize_dpo, tokenize_sft
    from codesteer_cli.training.templates import resolve_training_template
    from tests.synthesis.helpers import FAST_WRONG_TREE, AnswerBook, grow, new_store, synthesize

    root = Path(tempfile.mkdtemp(prefix="lf-check-"))
    store = new_store(root / "s.db")
    executor = Executor(Limits(wall_s=10), workers=2)
    synthesize(store, executor, AnswerBook(), name="sft-1", per_task=2)
    grow(store, executor, FAST_WRONG_TREE, per_task=2)
    lf_dir = root / "lf"
    res = export(store, lf_dir / "CodeSteer_SFT.json", lf_dir / "CodeSteer_DPO.json",
                 "llamafactory", 0.25)  # fmt: skip
    assert res.dataset_info is not None
    info = json.loads(res.dataset_info.read_text())

    tok = llama3_tokenizer(folder)
    tt = resolve_training_template(tok)
    data_args = DataArguments(dataset_dir=str(lf_dir), template="llama3", cutoff_len=10**6)
    model_args = ModelArguments(model_name_or_path=folder)
    targs = Seq2SeqTrainingArguments(output_dir=str(root / "out"))
    lf_tok = copy.deepcopy(tok)
    template = get_template_and_fix_tokenizer(lf_tok, data_args)
    sft = SupervisedDatasetProcessor(
        template=template, tokenizer=lf_tok, processor=None, data_args=data_args
    )
    dpo = PairwiseDatasetProcessor(
        template=template, tokenizer=lf_tok, processor=None, data_args=data_args
    )
    failures = 0
    for name in res.datasets:
        attr = get_dataset_list([name], str(lf_dir))[0]
        rows = _load_single_dataset(attr, model_args, data_args, targs)
        path = lf_dir / info[name]["file_name"]
        same = 0
        if attr.ranking:
            pairs, _ = read_dpo(path)
            ours, _ = tokenize_dpo(pairs, tok, tt, 10**6, str(path))
            for row, our in zip(rows, ours, strict=True):
                c_ids, c_lab, r_ids, r_lab = dpo._encode_data_example(
                    row["_prompt"], row["_response"], row["_system"], row["_tools"], [], [], []
                )
                n = len(our["prompt_ids"])
                same += (
                    c_ids == our["prompt_ids"] + our["chosen_ids"]
                    and r_ids == our["prompt_ids"] + our["rejected_ids"]
                    and c_lab == [-100] * n + our["chosen_ids"]
                    and r_lab == [-100] * n + our["rejected_ids"]
                )
        else:
            examples, _ = read_sft(path)
            ours, _ = tokenize_sft(examples, tok, tt, "all", 10**6, str(path))
            for row, our in zip(rows, ours, strict=True):
                ids, labels = sft._encode_data_example(
                    row["_prompt"], row["_response"], row["_system"], row["_tools"], [], [], []
                )
                same += ids == our["input_ids"] and labels == our["labels"]
        failures += len(rows) - same
        kind = "pairs" if attr.ranking else "examples (--train-on all)"
        print(f"{name}: {same} of {len(rows)} {kind} token-identical to LLaMA-Factory's")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
