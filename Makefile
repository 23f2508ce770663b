# Shopstack: one entry per thing people do. See README.md.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PY := .venv/bin/python
MANAGE := $(PY) manage.py
PYTEST_ARGS ?=

.PHONY: help install demo serve test e2e lint format bench clean eval-search screenshots

help:
	@echo "make demo   set up and serve the demo shop on http://127.0.0.1:8000 (embedded tier)"
	@echo "make test   run the whole test suite (set DATABASE_URL/REDIS_URL for the scale-out tier)"
	@echo "make lint   ruff lint + format check, import-linter layering contracts"
	@echo "make bench  benchmarks under bench/ (results in bench/results/)"
	@echo "make screenshots  the analytics dashboards on the demo data, into docs/screenshots/"

install:
	@scripts/bootstrap

demo: install
	@$(MANAGE) migrate --no-input -v 0
	@$(MANAGE) collectstatic --no-input -v 0
	@$(MANAGE) import_demo
	@# Simulated browsing for the imported orders (docs/analytics.md): only into an empty warehouse.
	@$(MANAGE) analytics_simulate --if-empty
	@$(MANAGE) search_reindex --changed
	@$(MANAGE) demo_staff
	@scripts/serve

serve: install
	@scripts/serve

test: install
	@scripts/browser-deps
	@scripts/java-deps
	@$(PY) -m pytest $(PYTEST_ARGS)

e2e: install
	@scripts/browser-deps
	@$(PY) -m pytest e2e $(PYTEST_ARGS)

# The analytics dashboards on the demo's data, at 375 and 1280 px, into docs/screenshots/
# (e2e/test_analytics_dashboards.py). Needs `make demo` run once before.
screenshots: install
	@scripts/browser-deps
	@test -d var/warehouse/events || { echo "No demo warehouse in var/warehouse: run make demo first."; exit 2; }
	@test -f var/warehouse/facts/orders.parquet || $(MANAGE) analytics_compact --facts-only
	@DASHBOARD_WAREHOUSE=var/warehouse DASHBOARD_SCREENSHOTS=docs/screenshots \
		$(PY) -m pytest e2e/test_analytics_dashboards.py -k every_dashboard -p no:randomly $(PYTEST_ARGS)

lint: install
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/lint-imports

format: install
	@.venv/bin/ruff check --fix .
	@.venv/bin/ruff format .

bench: install
	@scripts/java-deps
	@$(PY) -m bench.run

# Relevance of the shop's search vs plain BM25 on a judgement set (docs/search-eval.md).
DATASET ?= shopstack/search/eval/datasets/demo
eval-search: install
	@$(PY) -m shopstack.search.eval run --dataset $(DATASET)

clean:
	rm -rf .venv var staticfiles .pytest_cache
