#!/usr/bin/env bash
# Make sure what the test suite talks to is here: PostgreSQL, Redis, Chromium, SpamAssassin.
# Starts a service that is down and installs a missing package; never skips anything.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v spamassassin >/dev/null || missing+=(spamassassin)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
fi

# axe-core (the accessibility checker the browser tests inject), into a git-ignored folder.
AXE_DIR="$(dirname "$0")/../tests/.node"
if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ]; then
  command -v npm >/dev/null || { as_root apt-get update -q; DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q npm; }
  echo "installing axe-core"
  npm install --silent --no-audit --no-fund --prefix "$AXE_DIR" "axe-core@^4.10"
fi
