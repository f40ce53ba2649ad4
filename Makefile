# Two commands on a fresh machine: `make demo` and `make test`.
# Each installs what it needs into .venv with uv, using the machine's Python 3.11.

PYTHON ?= python3.11
export UV_PYTHON_DOWNLOADS := never
UV := $(PYTHON) -m uv
VENV_STAMP := .venv/.synced

.PHONY: demo test lint install clean postgresql-binaries chromium bench

$(VENV_STAMP): pyproject.toml uv.lock shared/pyproject.toml services/*/pyproject.toml
	$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv>=0.5"
	$(UV) sync --frozen --python $(PYTHON)
	touch $(VENV_STAMP)

install: $(VENV_STAMP)

demo: $(VENV_STAMP)
	.venv/bin/palermo demo --output demo-output

# After ruff and mypy, the database tests run twice: on SQLite, then on a
# throwaway PostgreSQL server that the test run starts from Debian's binaries.
test: $(VENV_STAMP) lint postgresql-binaries chromium
	.venv/bin/pytest
	.venv/bin/pytest --database=postgresql shared services tests/e2e tests/faults tests/test_migrations.py

postgresql-binaries:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

# The browser test drives Debian's Chromium through Playwright, which must not
# download a browser of its own.
chromium:
	@test -x /usr/bin/chromium || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Every benchmark, one after the other; each rewrites its section of
# bench/RESULTS.md.
bench: $(VENV_STAMP) postgresql-binaries
	for script in bench/*.py; do \
		[ "$$script" = bench/results.py ] || .venv/bin/python "$$script" || exit 1; \
	done

lint: $(VENV_STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

clean:
	rm -rf .venv demo-output var
