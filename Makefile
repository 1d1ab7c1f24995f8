# Preflight — every target sets up .venv first (once; later runs reuse it).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test check lint typecheck bench clean lock image

GUIDELLM_STAMP := .venv-guidellm/.installed

setup: $(STAMP) $(GUIDELLM_STAMP)

# CPU torch first: a plain torch requirement would pull a multi-GB CUDA build.
# constraints.txt holds the versions CI tested, so a fresh machine gets the same ones.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,tracing]'
	touch $(STAMP)

# GuideLLM (post-deployment measurement, its end-to-end test) pins click 8.4, which Preflight's
# typer cannot use, so it gets its own environment; CPU torch first, as above.
$(GUIDELLM_STAMP):
	test -x .venv-guidellm/bin/python || $(PYTHON) -m venv .venv-guidellm
	.venv-guidellm/bin/pip install --quiet torch==2.13.0
	.venv-guidellm/bin/pip install --quiet torch==2.13.0 guidellm==0.8.1
	touch $(GUIDELLM_STAMP)

# Refresh constraints.txt from a clean resolve of pyproject.toml (newest allowed versions).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet torch==2.13.0
	.venv-lock/bin/pip install --quiet '.[dev,tracing]'
	{ sed -n '1,2p' constraints.txt; .venv-lock/bin/pip freeze --exclude-editable | grep -v -e '^preflight' -e '^torch=='; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-lock

run: setup
	$(BIN)/preflight kb build --if-missing
	$(BIN)/preflight chat

# The card rendering tests need Microsoft's renderer from npm (Chromium comes from Debian, .ci/run).
test: setup
	if command -v npm >/dev/null && [ ! -d tests/render/node_modules ]; then \
		npm ci --prefix tests/render --no-audit --no-fund --loglevel=error; fi
	$(BIN)/lint-imports
	$(BIN)/pytest -q tests --ignore=tests/benchmarks

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

check: lint typecheck test

bench: setup
	$(BIN)/python -m tests.benchmarks

# The container image (Containerfile) with Debian's buildah, no registry needed: base, wheelhouse
# and dependency layer are kept under IMAGE_DIR, so a rebuild only redoes what changed; then the
# image runs `preflight --help`, a seeded `kb build` and a recommendation with no network.
IMAGE_DIR ?= $(CURDIR)/build/image
IMAGE ?= localhost/preflight:latest
image: $(STAMP)
	IMAGE_DIR=$(IMAGE_DIR) IMAGE=$(IMAGE) container/build-image.sh

clean:
	rm -rf .preflight
