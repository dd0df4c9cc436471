#!/usr/bin/env bash
# The lock files: pyproject.toml's ranges compiled into exact pins by uv.
#   requirements/runtime.txt  what running needs (the Docker image, `make run`)
#   requirements/dev.txt      runtime + the dev extra (`make install`, CI), same pins
# `scripts/lock.sh` rewrites them, keeping every pin that still satisfies pyproject.toml
# (`scripts/lock.sh --upgrade` takes the newest releases); `scripts/lock.sh --check` fails,
# changing nothing, when pyproject.toml has changed without them. Needs only the package index.
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-.venv/bin/uv}"
mode="${1:-write}"

compile() {  # compile OUTPUT [uv pip compile options...]
  local output="$1"; shift
  "$uv" pip compile pyproject.toml --quiet --universal --python-version 3.11 \
    --custom-compile-command "scripts/lock.sh" --output-file "$output" "$@"
}

case "$mode" in
  write)
    compile requirements/runtime.txt
    compile requirements/dev.txt --extra dev --constraint requirements/runtime.txt
    ;;
  --upgrade)
    compile requirements/runtime.txt --upgrade
    compile requirements/dev.txt --extra dev --constraint requirements/runtime.txt --upgrade
    ;;
  --check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    # Compiling over a copy keeps its pins, so only a change in pyproject.toml shows.
    cp requirements/runtime.txt requirements/dev.txt "$scratch/"
    compile "$scratch/runtime.txt"
    compile "$scratch/dev.txt" --extra dev --constraint requirements/runtime.txt
    stale=0
    for name in runtime.txt dev.txt; do
      if ! diff -u "requirements/$name" "$scratch/$name" >"$scratch/$name.diff"; then
        echo "requirements/$name does not match pyproject.toml:"
        cat "$scratch/$name.diff"
        stale=1
      fi
    done
    if [ "$stale" = 1 ]; then
      echo "Run scripts/lock.sh and commit requirements/ with pyproject.toml."
      exit 1
    fi
    echo "lock: requirements/ matches pyproject.toml"
    ;;
  *) echo "usage: scripts/lock.sh [--check|--upgrade]" >&2; exit 2 ;;
esac
