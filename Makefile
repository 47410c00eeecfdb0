# `make serve`, `make test` and `make bench` set up .venv from constraints.txt on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test build bench katex clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[docs,test]"
	touch $(STAMP)

serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

test: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m pytest -n 2 --dist loadfile

build: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Speed, memory and accuracy of every loss and optimizer against torch, on one thread;
# writes the file the "Performance and accuracy" page shows. Run it on an idle machine.
bench: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
		$(BIN)/python -m lossref.bench --output benchmarks/results.json

# Re-copy KaTeX from the npm registry (needs node and network; the result is committed).
katex:
	bash scripts/vendor_katex.sh

clean:
	rm -rf $(VENV) site
