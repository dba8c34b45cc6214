#!/usr/bin/env bash
# Validates docker-compose.yml offline with `docker-compose config`, the way `make test` does
# (through tests/production/test_compose.py), so a broken compose file fails CI, not a deploy.
#
#   scripts/check-compose.sh [--print] [COMPOSE_FILE]
#
# --print       also print the configuration as Compose resolved it (YAML, on stdout)
# COMPOSE_FILE  another file to check instead of the repository's docker-compose.yml
#
# Uses docker-compose (Debian's 1.29) or `docker compose` (v2), whichever is there; installs
# docker-compose with apt-get when neither is (as root, or with password-less sudo).
# The file is checked in a scratch directory that mirrors the repository (symbolic links), with
# a .env made from .env.example, so it is the file a new deployment gets that is checked, and a
# developer's own .env is neither needed nor read.
#
# Exit status: 0 valid; 1 invalid; 3 no Compose available and it could not be installed.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
file="$repo/docker-compose.yml"
print=0
for arg in "$@"; do
    case "$arg" in
        --print) print=1 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "check-compose: unknown option $arg" >&2; exit 2 ;;
        *) file="$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")" ;;
    esac
done
[ -f "$file" ] || { echo "check-compose: no such file: $file" >&2; exit 2; }

compose=()
find_compose() {
    if command -v docker-compose >/dev/null 2>&1; then
        compose=(docker-compose)
    elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    else
        return 1
    fi
}

install_compose() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "check-compose: docker-compose is not installed and apt-get is not available;" \
             "install Docker Compose (https://docs.docker.com/compose/install/) and run again" >&2
        return 1
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            echo "check-compose: docker-compose is not installed, and installing it needs root:" \
                 "run 'apt-get install -y docker-compose' as root and run again" >&2
            return 1
        fi
    fi
    echo "check-compose: installing docker-compose with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get install -y -q docker-compose >&2; then
        # Package lists may be missing (a fresh container) or stale: refresh once, then retry.
        "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q docker-compose >&2 \
            || { echo "check-compose: apt-get could not install docker-compose" >&2; return 1; }
    fi
}

if ! find_compose; then
    install_compose || exit 3
    find_compose || { echo "check-compose: docker-compose still not found after installing" >&2; exit 3; }
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Build contexts and bind mounts resolve exactly as in the checkout.
for entry in "$repo"/*; do
    ln -s "$entry" "$scratch/$(basename "$entry")"
done
rm -f "$scratch/docker-compose.yml"
cp "$file" "$scratch/docker-compose.yml"
cp "$repo/.env.example" "$scratch/.env"

cd "$scratch"
if [ "$print" -eq 1 ]; then
    "${compose[@]}" -f docker-compose.yml config
else
    "${compose[@]}" -f docker-compose.yml config -q
fi
echo "check-compose: $(basename "$file") is valid (${compose[*]} $("${compose[@]}" version --short 2>/dev/null || echo))" >&2
