# The two commands a newcomer needs: `make test` and `make run` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test run bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed since the last install.
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

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

test: $(STAMP) $(CHROMIUM) $(WEB_ASSETS)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Database, processes, demo data (WF_DEMO=1 unless the caller set WF_DEMO), Redis, the RQ worker
# and the web server on 127.0.0.1:${PORT:-5000}; Ctrl-C stops them all (api/launcher/).
run: $(STAMP) $(WEB_ASSETS)
	exec env WF_DEMO="$${WF_DEMO-1}" $(BIN)/python -m api.launcher

bench: $(STAMP)
	$(BIN)/python bench/engine_overhead.py
	$(BIN)/python bench/calendar_seeding.py
	if command -v valgrind >/dev/null; then $(BIN)/python bench/engine_instructions.py; fi

clean:
	rm -rf $(VENV) instance .pytest_cache web/node_modules
