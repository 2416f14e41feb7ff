# Two commands for a user: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
PY310 ?= $(shell (pyenv prefix 3.10 2>/dev/null || echo /usr) | head -n 1)/bin/python3.10
PY311 ?= $(shell (pyenv prefix 3.11 2>/dev/null || echo /usr) | head -n 1)/bin/python3.11
UV := .venv-tools/bin/uv
RASA := .venv-rasa/bin/rasa
export SANIC_HOST ?= 127.0.0.1
# No telemetry or error reports leave the machine.
export RASA_TELEMETRY_ENABLED := false
# The processes' settings: the embedded defaults, then the local secrets (later files win).
ENV_FILES ?= defaults.env,.env

.PHONY: run run-scale nginx test install audit lint typecheck test-billing test-rasa test-browser chromium model evaluate seeds bench clean

run: install .env model ## start every process on the embedded defaults
	@echo "portal and chat widget: http://localhost:8080   (sign in as a demo user)"
	@echo "agent console:          http://localhost:8080/console   (agent1@support.example / support-demo)"
	@echo "billing API:            http://localhost:8081/docs"
	@echo "Rasa REST channel:      http://localhost:5005/webhooks/rest/webhook"
	@echo "terminal chat:          .venv-svc/bin/python tools/chat.py alice@contoso.com"
	@# Stores and logs are created readable by their owner only (0600).
	umask 077 && .venv-svc/bin/honcho start -f Procfile -e $(ENV_FILES)

run-scale: install .env model nginx | var ## the production profile: PostgreSQL, Redis, RabbitMQ, 2 Rasa + 2 action servers behind nginx
	.venv-svc/bin/python tools/scale_profile.py prepare --out var/scale
	@echo "portal and chat widget: http://localhost:8080   (Rasa behind nginx on :5005, replicas in scale.env)"
	umask 077 && .venv-svc/bin/honcho start -f var/scale/Procfile -d . -e defaults.env,scale.env,.env

nginx: ## Debian's nginx, in front of the replicas of `make run-scale`
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq nginx)

test: install .env nginx lint typecheck audit test-billing test-rasa test-browser ## every test layer

install: .venv-rasa/.stamp .venv-svc/.stamp node_modules/.stamp

node_modules/.stamp: package.json package-lock.json ## the widget's socket.io client, axe-core for tests
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

chromium: ## Debian's Chromium, driven by Playwright in the browser tests
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

$(UV):
	$(PY311) -m venv .venv-tools
	.venv-tools/bin/pip install -q uv==0.13.8

.venv-rasa/.stamp: requirements/rasa.lock | $(UV)
	test -x .venv-rasa/bin/python || $(UV) venv -q -p $(PY310) .venv-rasa
	VIRTUAL_ENV=.venv-rasa $(UV) pip sync -q requirements/rasa.lock
	touch $@

.venv-svc/.stamp: requirements/svc.lock | $(UV)
	test -x .venv-svc/bin/python || $(UV) venv -q -p $(PY311) .venv-svc
	VIRTUAL_ENV=.venv-svc $(UV) pip sync -q requirements/svc.lock
	touch $@

.env: ## development secrets, generated once, never committed
	umask 077 && .venv-svc/bin/python -c "import secrets; t = secrets.token_urlsafe; \
	print(f'AUTH_TOKEN_SECRET={t(48)}\nRASA_JWT_SECRET={t(48)}')" > $@

MODEL_INPUTS := config.yml $(wildcard domain/*.yml) $(shell find data -name '*.yml' 2>/dev/null)
model: models/current.tar.gz
models/current.tar.gz: $(MODEL_INPUTS) | .venv-rasa/.stamp var
	@echo "training the Rasa model (log: var/train.log)"
	$(RASA) train --domain domain --data data --config config.yml --out models \
	  --fixed-model-name current > var/train.log 2>&1 || (tail -n 40 var/train.log; exit 1)

var:
	mkdir -p -m 0700 var

.venv-tools/bin/pip-audit: | $(UV)
	$(UV) pip install -q --python .venv-tools/bin/python pip-audit==2.10.1

audit: .venv-tools/bin/pip-audit ## known vulnerabilities in the lock files (pip-audit, npm audit)
	.venv-tools/bin/python tools/dependency_audit.py

lint:
	.venv-svc/bin/ruff check billing web tests/billing tests/web tests/browser tests/smoke tests/tools bench tools/dependency_audit.py tools/audit tools/scale_profile.py security measure clients assistant
	.venv-rasa/bin/ruff check actions channels components clients assistant tests/actions tests/live tests/channels tests/components tests/support tests/e2e tools/rasa_run.py security reading measure
	npx --no-install eslint web/static
	@# Architecture contracts (.importlinter): web apart from billing, one HTTP client package, ...
	.venv-svc/bin/lint-imports --no-cache

typecheck:
	.venv-svc/bin/mypy billing web security clients tools/scale_profile.py
	.venv-rasa/bin/mypy actions channels components security reading measure clients assistant tests/e2e

test-billing:
	.venv-svc/bin/python -m pytest tests/billing tests/web tests/tools -q -p no:cacheprovider
	@# The run above is on today's date; the date-sensitive tests again with the clock on 2029-06-01.
	TEST_TODAY=2029-06-01 .venv-svc/bin/python -m pytest tests/billing -m date_sensitive -q -p no:cacheprovider

test-rasa: model
	$(RASA) data validate --domain domain --data data > var/validate.log 2>&1 \
	  || (tail -n 40 var/validate.log; exit 1)
	@echo "rasa data validate: ok (log: var/validate.log)"
	.venv-rasa/bin/python tests/support/story_test.py --model models/current.tar.gz --stories tests/stories \
	  --out results/core --fail-on-prediction-errors > var/rasa-test.log 2>&1 || (tail -n 60 var/rasa-test.log; exit 1)
	.venv-rasa/bin/python tests/support/story_summary.py results/core
	@# Two trainings from the same inputs predict the same (10 epochs: agreeing depends on the seeds, not on
	@# the length). The 5-fold F1 report is five full trainings (~35 min here): `make evaluate`.
	.venv-rasa/bin/python tests/support/nlu_report.py --only-reproducible --epochs 10 2> var/nlu-report.log \
	  || (tail -n 20 var/nlu-report.log; exit 1)
	@# The fuzzer's 500 seeded walks take about 1 s each here; FUZZ_CONVERSATIONS=N for fewer or more.
	.venv-rasa/bin/python -m pytest tests/channels tests/components tests/actions tests/live tests/e2e -q -p no:cacheprovider --durations=15
	@# The date-sensitive tests again, billing and the actions started with --today 2029-06-01.
	TEST_TODAY=2029-06-01 .venv-rasa/bin/python -m pytest tests/actions tests/live -m date_sensitive -q -p no:cacheprovider

test-browser: model chromium
	.venv-svc/bin/python -m pytest tests/smoke tests/browser -q -p no:cacheprovider --durations=10

bench: install .env ## figures, not pass/fail
	.venv-svc/bin/python -m bench.billing_settle

evaluate: model ## NLU quality report (5-fold cross-validation, per intent and language; fails under 0.92)
	.venv-rasa/bin/python tests/support/nlu_report.py --out results/nlu --min-f1 0.92 --check-reproducible \
	  2> var/nlu-report.log

SEEDS ?= 1 2 3
seeds: install .env | var ## the e2e cases against models trained with other DIET seeds (nightly: ~12 min a seed)
	@for seed in $(SEEDS); do \
	  sed "s/random_seed: 42/random_seed: $$seed/" config.yml > var/config-seed-$$seed.yml; \
	  grep -q "random_seed: $$seed" var/config-seed-$$seed.yml || { echo "no random_seed in config.yml"; exit 1; }; \
	  echo "seed $$seed: training (log: var/train-seed-$$seed.log)"; \
	  $(RASA) train --domain domain --data data --config var/config-seed-$$seed.yml --out models \
	    --fixed-model-name seed-$$seed > var/train-seed-$$seed.log 2>&1 || { tail -n 40 var/train-seed-$$seed.log; exit 1; }; \
	  RASA_MODEL=models/seed-$$seed.tar.gz .venv-rasa/bin/python -m tests.e2e.runner tests/e2e/cases \
	    --junit results/e2e-seed-$$seed.xml || failed="$$failed $$seed"; \
	done; test -z "$$failed" || { echo "e2e cases failed with DIET seeds:$$failed"; exit 1; }

clean:
	rm -rf var models results
