# juzhu: the two commands of CONTRACT.md are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PYTHONDONTWRITEBYTECODE := 1
# Rasa and TensorFlow chatter; keep the logs readable.
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test venv install db pytest audit lint-imports

# Set up, then start action server, Rasa, web front (and Telegram) together.
run: $(STAMP) db model
	$(VENV)/bin/juzhu serve --model $(MODEL)

# The whole suite: pytest (with a PostgreSQL and a Chromium made available
# when the machine can have them), `rasa data validate`, the test stories.
test: $(STAMP) db model lint-imports
	@scripts/ensure-chromium.sh || echo "Chromium unavailable: the browser tests will be skipped"
	TEST_POSTGRES_URL="$$(scripts/ensure-postgres.sh)" $(PY) -m pytest --durations=15
	$(MAKE) --no-print-directory validate test-stories

# Known vulnerabilities of the installed versions (pip-audit from its own .audit venv).
audit: $(STAMP)
	@AUDIT_PYTHON="$$(scripts/find-python310.sh)" scripts/audit.sh

# The layers of .importlinter (top to bottom) and no import circle anywhere.
lint-imports: $(STAMP)
	$(VENV)/bin/lint-imports --config .importlinter

pytest: $(STAMP)
	TEST_POSTGRES_URL="$$(scripts/ensure-postgres.sh)" $(PY) -m pytest --durations=15

# Create or upgrade the appointments schema; seed sample stations when empty.
db: $(STAMP)
	$(PY) -m bot.appointments

venv install: $(STAMP)

# (Re)install when the project's requirements change.
$(STAMP): pyproject.toml scripts/find-python310.sh
	@PYTHON310="$$(scripts/find-python310.sh)" || exit 1; \
	if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$PYTHON310"; $$PYTHON310 -m venv $(VENV) || exit 1; fi
	@# wheel 0.46+ needs packaging>=24, which breaks Rasa's pin (packaging<21).
	$(PY) -m pip install --quiet --upgrade "pip<25" "wheel<0.46"
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# --- rasa ---
# The Rasa assistant (issue 3): train, validate, test stories, NLU
# cross-validation, REST bench. endpoints.yml reads ACTION_PORT.
export ACTION_PORT ?= 5055
export RASA_PORT ?= 5005
RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
RASA := $(VENV)/bin/rasa
MODEL := models/juzhu.tar.gz
RASA_INPUTS := config.yml domain.yml $(wildcard data/*.yml data/nlu/*.yml data/jieba/*)

.PHONY: model validate test-stories nlu-cv bench

model: $(MODEL)

# Retrain only when an input changed (make's timestamps); Rasa's training
# cache (.rasa/cache) then retrains only the parts whose data changed. The
# Jieba dictionary is not part of Rasa's fingerprint: a change there forces
# a full training.
$(MODEL): $(RASA_INPUTS) | $(STAMP)
	@force=""; if [ -f $(MODEL) ] && [ -n "$$(find data/jieba -newer $(MODEL) -type f 2>/dev/null)" ]; then \
	  force="--force"; echo "Jieba dictionary changed: full training"; fi; \
	start=$$(date +%s); \
	$(RASA) train --fixed-model-name juzhu --out models $$force || exit 1; \
	echo "rasa train took $$(( $$(date +%s) - start )) s"
	@touch $(MODEL)

validate: $(STAMP)
	$(RASA) data validate --fail-on-warnings

test-stories: $(MODEL)
	@# The same Rasa patches as the servers (bot/rasa_ext/rasa_patches.py, through `juzhu rasa-cli`).
	$(VENV)/bin/juzhu rasa-cli test core --model $(MODEL) --stories tests/test_stories.yml --fail-on-prediction-errors \
	  --out results/stories

# NLU figures (README "Figures"): cross-validation on data/nlu (hand-written
# examples only: tests/nlu/test_nlu_data.py keeps mechanical variants out),
# then the trained model on the held-out messages of tests/nlu/heldout.yml.
NLU_FOLDS ?= 5
nlu-cv: $(STAMP) $(MODEL)
	$(RASA) test nlu --nlu data/nlu --config config.yml --cross-validation --folds $(NLU_FOLDS) \
	  --out results/nlu-cv
	@$(PY) scripts/nlu_cv_summary.py results/nlu-cv
	$(RASA) test nlu --nlu tests/nlu/heldout.yml --model $(MODEL) --out results/nlu-heldout
	@$(PY) scripts/nlu_cv_summary.py results/nlu-heldout

# Against the server at RASA_URL, or (when none answers) servers started on
# free ports with models/juzhu.tar.gz.
bench: $(STAMP)
	$(PY) scripts/bench_rest.py --url $(RASA_URL) --users 1 10
# --- end rasa ---

# --- speed and scale (issue 10) ---
# `make cluster`: REPLICAS Rasa servers and action servers behind HAProxy on
# RASA_PORT (installed from Debian's packages when missing), conversations
# and bookings on PostgreSQL (DATABASE_URL, default
# postgresql://postgres@127.0.0.1:5432/juzhu, created when missing), locks
# in Redis (REDIS_URL, default redis://127.0.0.1:6379/0), the web front on
# WEB_PORT and the Telegram bridge through the balancer. Ctrl-C stops all.
# `make loadtest` drives whatever answers at RASA_URL (`make run` or
# `make cluster`); LOADTEST_START=cluster starts clusters of
# LOADTEST_REPLICAS replicas itself, one after the other.
.PHONY: cluster loadtest profile
REPLICAS ?= 2
LOADTEST_USERS ?= 20
LOADTEST_START ?= none
LOADTEST_REPLICAS ?= 1 2

cluster: $(STAMP) model
	@scripts/ensure-haproxy.sh
	REPLICAS=$(REPLICAS) $(PY) -m bot.processes.cluster

loadtest: $(STAMP)
	@if [ "$(LOADTEST_START)" = cluster ]; then scripts/ensure-haproxy.sh; fi
	$(PY) scripts/loadtest.py --url $(RASA_URL) --users $(LOADTEST_USERS) --start $(LOADTEST_START) \
	  --replicas $(LOADTEST_REPLICAS)

# Where a turn's time goes (Rasa in-process, phase by phase).
profile: $(STAMP) model
	$(PY) scripts/profile_turn.py
