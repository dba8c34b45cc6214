# Two commands a newcomer needs (see README.md):
#   make run    set up .venv and start the bot (Telegram when TELEGRAM_TOKEN is set, else a local chat)
#   make test   set up .venv and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test setup lint bench clean

$(BIN)/factcheck: pyproject.toml
	scripts/install-system-deps.sh
	scripts/setup-venv.sh "$(PYTHON)" "$(VENV)"
	@touch $@

setup: $(BIN)/factcheck

run: setup
	$(BIN)/factcheck run

test: setup
	scripts/test.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache var/cache

# The Rasa NLU service (Python 3.10, its own venv): set up, train if nlu/ changed, then serve.
RASA_PORT ?= 5005
.PHONY: rasa
rasa:
	scripts/rasa.sh serve $(RASA_PORT)
