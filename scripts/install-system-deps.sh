#!/usr/bin/env bash
# Installs the system packages the bot uses when they are there, but can run without: Tesseract
# with its Thai, Malay and English data (reading screenshots and photos, issue #19) and, with
# --fonts, the Thai and Noto fonts the screenshot benchmark draws with.
# Called by `make setup` (so by `make run` and `make test`). It never fails the build: without
# root (or password-less sudo) or apt-get it says in one line how to install them, and the bot
# runs text-only (a photo gets a reply saying it cannot be read here).
#
#   scripts/install-system-deps.sh [--fonts]
set -uo pipefail

packages=(tesseract-ocr tesseract-ocr-tha tesseract-ocr-msa tesseract-ocr-eng)
[ "${1:-}" = "--fonts" ] && packages+=(fonts-thai-tlwg fonts-noto-core fonts-dejavu-core)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

hint="install-system-deps: to read images, run as root: apt-get install -y ${missing[*]} (until then the bot runs text-only)"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$hint" >&2
    exit 0
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "$hint" >&2
        exit 0
    fi
fi
echo "install-system-deps: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
    # Package lists may be missing (a fresh container) or stale: refresh once, then retry.
    { "${sudo[@]}" apt-get update -q >&2 \
        && "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } \
        || echo "$hint" >&2
fi
exit 0
