#!/usr/bin/env bash
# The Rasa NLU service: one command to set it up, train it and run it.
#
#   scripts/rasa.sh setup          build .rasa-venv (Python 3.10 + Rasa 3.6) - fast when done
#   scripts/rasa.sh train          train nlu/ into nlu/models/ (skipped when nothing changed)
#   scripts/rasa.sh serve [PORT]   run `rasa run --enable-api` on 127.0.0.1:PORT (default 5005)
#   scripts/rasa.sh model          print the path of the model for the current nlu/ (may not exist)
#   scripts/rasa.sh python         print the Python 3.10 it would use (exit 3 when there is none)
#
# Why a separate venv: Rasa 3.6, the last open-source release, needs Python 3.10 and pins old
# TensorFlow and SQLAlchemy; the bot (Python 3.11+) talks to it over HTTP and never imports it.
# Environment: RASA_PYTHON (a python3.10 to use), RASA_VENV (default .rasa-venv),
# RASA_CACHE_DIRECTORY (Rasa's component cache, default nlu/models/.rasa-cache),
# RASA_MODEL_CACHE (trained models by hash, default ~/.cache/election-factcheck-bot/rasa-models).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

venv="${RASA_VENV:-.rasa-venv}"
models="nlu/models"
# Everything the venv is built from; the setup stamp is keyed by it, so editing this list
# rebuilds the venv and nothing else does.
requirements=(
    "rasa==3.6.21"
    "pythainlp==5.4.0"
)
export RASA_TELEMETRY_ENABLED=false   # no calls home from CI or a voter-facing server
# Rasa's own per-component training cache; by default it would be .rasa/ in the repo root.
export RASA_CACHE_DIRECTORY="${RASA_CACHE_DIRECTORY:-$root/$models/.rasa-cache}"
# Trained models are also kept outside the work tree, by the same hash, so a fresh clone (CI
# clones afresh on every run) reuses a model trained from identical nlu/ files.
model_cache="${RASA_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/election-factcheck-bot/rasa-models}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
# Rasa itself runs with the repository on PYTHONPATH so nlu.rasa_components imports; pip does
# not (it would then see the bot's egg-info and complain about the bot's requirements).
with_repo() { PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$@"; }

die() { echo "rasa.sh: $*" >&2; exit 1; }

is_py310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

# Python 3.10 without hard-coding a machine's path: $RASA_PYTHON, python3.10 on PATH, then
# pyenv's versions/3.10.* (`pyenv root`, or $PYENV_ROOT / ~/.pyenv when pyenv is not on PATH).
find_python() {
    local candidate
    if [ -n "${RASA_PYTHON:-}" ]; then
        is_py310 "$RASA_PYTHON" && { echo "$RASA_PYTHON"; return 0; }
        echo "rasa.sh: RASA_PYTHON=$RASA_PYTHON is not a working Python 3.10" >&2
    fi
    if command -v python3.10 >/dev/null 2>&1 && is_py310 python3.10; then
        command -v python3.10; return 0
    fi
    local roots=()
    command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root)")
    roots+=("${PYENV_ROOT:-$HOME/.pyenv}")   # pyenv installed but not on this PATH (cron, CI)
    for candidate in $(ls -d "${roots[@]/%//versions/3.10.}"* 2>/dev/null | sort -V -r); do
        if is_py310 "$candidate/bin/python"; then echo "$candidate/bin/python"; return 0; fi
    done
    return 3
}

require_python() {
    find_python || {
        echo "rasa.sh: Rasa 3.6 needs Python 3.10 and none was found." >&2
        echo "  Tried \$RASA_PYTHON, python3.10 on PATH and pyenv (\$(pyenv root)/versions/3.10.*)." >&2
        echo "  Install one (e.g. 'pyenv install 3.10') or set RASA_PYTHON=/path/to/python3.10." >&2
        exit 3
    }
}

stamp_key() { printf '%s\n' "${requirements[@]}" "$("$1" -c 'import sys; print(sys.version)')" | sha256sum | cut -c1-16; }

# One setup and one training at a time: several test runs (or a developer and a test run) may
# call this script at once, and two pip installs or trainings into the same place corrupt it.
lock() {
    local name="$1"
    mkdir -p "$models"
    exec {lock_fd}>"$models/.$name.lock"
    flock "$lock_fd"
}
# Release before returning: `serve` execs Rasa, which would otherwise inherit and hold the lock.
unlock() { exec {lock_fd}>&-; }

cmd_setup() {
    local python key stamp started lock_fd
    python="$(require_python)"
    lock setup
    key="$(stamp_key "$python")"
    stamp="$venv/.setup-$key"
    if [ -f "$stamp" ] && [ -x "$venv/bin/rasa" ]; then
        echo "rasa.sh: $venv is up to date ($(cat "$stamp"))"
        unlock
        return 0
    fi
    started=$SECONDS
    echo "rasa.sh: building $venv with $python (${requirements[*]})"
    if [ -x "$venv/bin/python" ] && ! is_py310 "$venv/bin/python"; then
        rm -rf "$venv"   # built with another Python: start over
    fi
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip wheel
    "$venv/bin/python" -m pip install --quiet "${requirements[@]}"
    with_repo "$venv/bin/python" -c 'import rasa, pythainlp.tokenize; from nlu.rasa_components.thai_tokenizer import ThaiTokenizer'
    rm -f "$venv"/.setup-*
    echo "rasa ${requirements[*]} on $("$venv/bin/python" --version 2>&1), built in $((SECONDS - started))s" > "$stamp"
    echo "rasa.sh: $venv ready in $((SECONDS - started))s"
    unlock
}

# The model for the current Rasa project: named by a hash of everything training reads.
model_path() {
    local key
    key="$({
        printf '%s\n' "${requirements[@]}"
        cat nlu/config.yml nlu/domain.yml
        find nlu/data nlu/rasa_components -type f \( -name '*.yml' -o -name '*.py' \) | LC_ALL=C sort | xargs cat
    } | sha256sum | cut -c1-16)"
    echo "$models/nlu-$key.tar.gz"
}

cmd_train() {
    local model name started lock_fd
    cmd_setup
    lock train
    model="$(model_path)"
    name="$(basename "$model" .tar.gz)"
    if [ ! -f "$model" ] && [ -f "$model_cache/$name.tar.gz" ]; then
        cp "$model_cache/$name.tar.gz" "$model.tmp" && mv -f "$model.tmp" "$model"
        cp "$model_cache/$name.train-seconds" "$models/" 2>/dev/null || true
        echo "rasa.sh: reused $model from $model_cache"
    fi
    if [ -f "$model" ]; then
        echo "rasa.sh: $model is current; not retraining"
        unlock
        return 0
    fi
    rm -f "$models"/partial-*.tar.gz   # left by an interrupted training
    started=$SECONDS
    echo "rasa.sh: training $model"
    with_repo "$venv/bin/rasa" train nlu --config nlu/config.yml --nlu nlu/data/nlu.yml \
        --out "$models" --fixed-model-name "partial-$name"
    # Trained under a temporary name and renamed, so `serve` never loads a half-written model.
    # (Rasa drops anything after a dot in --fixed-model-name, hence a prefix, not a suffix.)
    [ -f "$models/partial-$name.tar.gz" ] || die "training finished but left no model"
    mv -f "$models/partial-$name.tar.gz" "$model"
    find "$models" -maxdepth 1 -name 'nlu-*.tar.gz' ! -name "$name.tar.gz" -delete
    echo "$((SECONDS - started))" > "$models/$name.train-seconds"
    find "$models" -maxdepth 1 -name 'nlu-*.train-seconds' ! -name "$name.train-seconds" -delete
    if mkdir -p "$model_cache" 2>/dev/null; then
        cp "$model" "$model_cache/$name.tar.gz.tmp" && mv -f "$model_cache/$name.tar.gz.tmp" "$model_cache/$name.tar.gz"
        cp "$models/$name.train-seconds" "$model_cache/"
        # keep the three newest models
        ls -t "$model_cache"/nlu-*.tar.gz | tail -n +4 | while read -r old; do
            rm -f "$old" "${old%.tar.gz}.train-seconds"
        done
    fi
    echo "rasa.sh: trained in $((SECONDS - started))s -> $model"
    unlock
}

cmd_serve() {
    local port="${1:-5005}" model
    cmd_train >&2
    model="$(model_path)"
    echo "rasa.sh: serving $model on http://127.0.0.1:$port" >&2
    PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" exec "$venv/bin/rasa" run --enable-api --interface 127.0.0.1 --port "$port" \
        --model "$model"
}

case "${1:-}" in
    setup) cmd_setup ;;
    train) cmd_train ;;
    serve) shift; cmd_serve "$@" ;;
    model) model_path ;;
    python) find_python || { echo "rasa.sh: no Python 3.10 found" >&2; exit 3; } ;;
    *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
