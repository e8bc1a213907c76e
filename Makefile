# juzhu: the two commands of CONTRACT.md are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PYTHONDONTWRITEBYTECODE := 1
# Rasa and TensorFlow chatter; keep the logs readable.
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test venv install pytest

run: $(STAMP)
	$(VENV)/bin/juzhu interview

test: $(STAMP)
	$(PY) -m pytest

venv install: $(STAMP)

# (Re)install when the project's requirements change.
$(STAMP): pyproject.toml scripts/find-python310.sh
	@PYTHON310="$$(scripts/find-python310.sh)" || exit 1; \
	if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$PYTHON310"; $$PYTHON310 -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade "pip<25" wheel
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)
