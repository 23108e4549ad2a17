#!/usr/bin/env bash
# Sets Anchor up on a fresh Debian/Ubuntu machine: system packages, then a virtualenv in .venv
# with the exact package set the tests passed with (locks/*.lock.txt, see locks/lock.py).
#   bash setup.sh          the product (embedded defaults: espeak-ng voice, drawn presenter)
#   bash setup.sh --neural plus the neural backends (torch, Coqui TTS, transformers; several GB)
#   bash setup.sh --test   plus what the tests need (the neural backends included)
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
    "") flavour=default ;;
    --neural) flavour=neural ;;
    --test) flavour=test ;;
    *) echo "usage: bash setup.sh [--neural | --test]" >&2; exit 2 ;;
esac

apt_packages=(fonts-noto-cjk fonts-dejavu-core)   # CJK subtitles; Latin fallback
if [ "$flavour" = test ]; then
    # a real browser for the player page, a real RTMP server for the push tests
    apt_packages+=(chromium nginx libnginx-mod-rtmp)
fi

missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
echo "setup: installing locks/$flavour.lock.txt into .venv"
.venv/bin/pip install -q --disable-pip-version-check --require-hashes -r "locks/$flavour.lock.txt"
.venv/bin/python locks/lock.py check "$flavour"       # the lock still fits pyproject.toml
.venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
.venv/bin/pip check
.venv/bin/anchor doctor
echo "setup: ready (.venv/bin/anchor)"
