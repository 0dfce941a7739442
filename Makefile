# The two commands a newcomer needs: `make test` and `make run` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint run bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# .venv holds exactly the packages requirements-dev.lock pins (pip and setuptools included), and is
# reinstalled only when a lock file changed since the last install. pip-sync then removes what the
# lock no longer lists.
$(STAMP): requirements.lock requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m piptools sync --quiet requirements-dev.lock
	touch $(STAMP)

# To add, drop or bump a dependency: edit requirements.txt (runtime) or requirements-dev.txt (tests,
# lint), then `make lock`, and commit the .txt and .lock files together. The lock files pin every
# package that those need, transitively; pip-compile keeps the pins it already has unless a
# requirement changed, and `make lock LOCK_ARGS=--upgrade` moves every unpinned one to its newest
# release. The dev lock is resolved within the runtime lock, so both pin a shared package alike.
LOCK_ARGS ?=
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/python -m piptools compile --quiet \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: $(STAMP)
	$(PIP_COMPILE) --output-file=requirements.lock requirements.txt
	$(PIP_COMPILE) --constraint=requirements.lock --output-file=requirements-dev.lock requirements-dev.txt

# The browser tests drive Debian's Chromium with CJK fonts: Playwright cannot download its own
# browser here. Installed once, with sudo when not root.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium fonts-noto-cjk >/dev/null \
		|| { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium fonts-noto-cjk >/dev/null; }

# The pages' browser assets (bpmn-js for the editor), as web/package-lock.json pins them.
WEB_ASSETS := web/node_modules/.installed
$(WEB_ASSETS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_ASSETS)

# The lint gate: ruff (pyproject.toml), mypy on the application packages, and the import contracts
# of .importlinter (the layering of docs/DESIGN.md). `make test` runs it first.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint $(CHROMIUM) $(WEB_ASSETS)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Database, processes, demo data (WF_DEMO=1 unless the caller set WF_DEMO), Redis, the RQ worker
# and the web server on 127.0.0.1:${PORT:-5000}; Ctrl-C stops them all (api/launcher/).
run: $(STAMP) $(WEB_ASSETS)
	exec env WF_DEMO="$${WF_DEMO-1}" $(BIN)/python -m api.launcher

bench: $(STAMP)
	$(BIN)/python bench/engine_overhead.py
	$(BIN)/python bench/calendar_seeding.py
	$(BIN)/python bench/sandbox_overhead.py
	if command -v valgrind >/dev/null; then $(BIN)/python bench/engine_instructions.py; fi

clean:
	rm -rf $(VENV) instance .pytest_cache web/node_modules
