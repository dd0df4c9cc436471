#!/usr/bin/env bash
# Build Paperboy's wheel, install it into a fresh venv outside the checkout and, from an
# empty directory, migrate, load the demo and serve: /, /admin/login, /healthz and /metrics
# must answer 200. Proves the package carries its templates, static files and migrations.
# Needs no network beyond the package index (pip's cache serves it when warm).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d /tmp/paperboy-wheel.XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# uv (a dev dependency) when there is one: it installs from its cache in seconds.
uv="${UV:-$repo/.venv/bin/uv}"
echo "check-wheel: building the wheel"
if [ -x "$uv" ]; then
  "$uv" build --quiet --wheel --out-dir "$work/dist" "$repo"
else
  "$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$repo"
fi
wheel="$(ls "$work"/dist/paperboy-*.whl)"

echo "check-wheel: installing $(basename "$wheel") into a fresh venv (${SECONDS}s)"
if [ -x "$uv" ]; then
  "$uv" venv --quiet --python "$python" "$work/venv"
  "$uv" pip install --quiet --python "$work/venv/bin/python" \
    --constraint "$repo/requirements/runtime.txt" "$wheel"
else
  "$python" -m venv "$work/venv"
  "$work/venv/bin/python" -m pip install --quiet --no-compile \
    --constraint "$repo/requirements/runtime.txt" "$wheel"
fi
echo "check-wheel: installed (${SECONDS}s)"

# From an empty directory, with none of the caller's Paperboy settings.
mkdir "$work/empty"
cd "$work/empty"
run=(env -i HOME="$work/empty" PATH="$work/venv/bin:/usr/bin:/bin" LANG=C.UTF-8)

"${run[@]}" paperboy --version
"${run[@]}" paperboy db upgrade
"${run[@]}" paperboy demo
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${run[@]}" paperboy run --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 60); do
  curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "check-wheel: the server died"; exit 1; }
  sleep 1
done

status=0
for path in / /admin/login /healthz /metrics /sample /api/docs; do
  code="$(curl -s -o "$work/body" -w '%{http_code}' "$base$path")"
  echo "check-wheel: GET $path -> $code"
  [ "$code" = 200 ] || status=1
done
# Read the whole scrape first: `curl | grep -q` fails under pipefail when grep stops early.
metrics=$(curl -fsS "$base/metrics")
grep -q '^paperboy_deliveries_total{status="sent"} 5.0$' <<<"$metrics" \
  || { echo "check-wheel: /metrics does not count the demo's 5 sent deliveries"; status=1; }
if [ "$status" != 0 ]; then cat "$work/server.log"; exit 1; fi
echo "check-wheel: the installed wheel serves the product (${SECONDS}s)"
