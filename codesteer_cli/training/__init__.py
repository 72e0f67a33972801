"""Guide training: SFT and DPO with TRL + PEFT + Accelerate (`codesteer train`).

Modules: `config` (the options SFT and DPO share, their YAML file), `sft_config` /
`dpo_config` (each command's own options), `templates` (which tokens carry the loss),
`data` (reading our JSONL or LLaMA-Factory alpaca / sharegpt data, and tokenizing it),
`modeling` (loading the base model), `sft_trainer` / `dpo_trainer` (building each TRL
trainer), `pipeline` (what both do once built: training arguments, the run, outputs,
summary), `run_context` (the run a process works for), `launch` (one process or N under
`accelerate launch`), `metrics` (live progress, per-step rows in the store), `merge`
(LoRA → plain HF folder). Nothing here imports torch, transformers, trl or peft at
module level.
"""
