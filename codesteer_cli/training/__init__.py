"""Guide training: SFT and DPO with TRL + PEFT + Accelerate (`codesteer train`).

Modules: `sft_config` / `dpo_config` (options and their defaults), `templates` (which
tokens carry the loss), `data` (reading and tokenizing the JSONL), `modeling` (loading the
base model), `sft_trainer` / `dpo_trainer` (the runs), `launch` (one process or N under
`accelerate launch`), `metrics` (live progress, per-step rows in the store), `merge`
(LoRA → plain HF folder). Nothing here imports torch, transformers, trl or peft at
module level.
"""
