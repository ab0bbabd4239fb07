#!/usr/bin/env bash
# offgrid's main job on a bundled example: record every download of a pip build, then
# build again and watch the same items come from a cache. Installs what it needs first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
if [ ! -f node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
npm run build --silent >/dev/null
# jq for the guide's queries, pip for the build; as root, Debian's packages when missing.
missing=()
command -v jq >/dev/null || missing+=(jq)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/offgrid-example.XXXXXX)
node dist/examples/quickstart/index-server.js >"$work/index.url" &
index_pid=$!
trap 'kill "$index_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$work/index.url" ] && break; sleep 0.1; done
INDEX_URL=$(cat "$work/index.url")

# Only the example's index: none of this machine's own pip configuration.
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL || true
offgrid() { node "$root/dist/cli/main.js" "$@"; }
show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

cp "$here/requirements.txt" "$work/"
cd "$work"
export OFFGRID_CACHE_DIR="$work/offgrid-cache"
pip=(python3 -m pip download --no-cache-dir -r requirements.txt -d wheelhouse)

# 1. Record a build: pip goes through offgrid's caching proxy (PIP_INDEX_URL), which
#    mirrors the example's index; every download lands in the ledger and the cache.
show offgrid run --pypi-upstream "$INDEX_URL" -- pip download -r requirements.txt -d wheelhouse
offgrid run --pypi-upstream "$INDEX_URL" -- "${pip[@]}"
rm -rf wheelhouse; sleep 1

# 2. The same build again, from an empty wheelhouse and no pip cache: offgrid's cache serves it.
show offgrid run --pypi-upstream "$INDEX_URL" -- pip download -r requirements.txt -d wheelhouse
offgrid run --pypi-upstream "$INDEX_URL" -- "${pip[@]}"
rm -rf wheelhouse; sleep 1

# 3. The index goes away; --offline never contacts it and the build still succeeds.
kill "$index_pid"; wait "$index_pid" 2>/dev/null || true
show "(index stopped) offgrid run --offline -- pip download -r requirements.txt -d wheelhouse"
offgrid run --offline --pypi-upstream "$INDEX_URL" -- "${pip[@]}"

show offgrid report summary --session all
offgrid report summary --session all
show offgrid report compare --base "$(ls logs/build/downloads_*.json | head -1 | sed 's/.*downloads_//; s/.json//')"
offgrid report compare --base "$(ls logs/build/downloads_*.json | head -1 | sed 's/.*downloads_//; s/.json//')"
if command -v jq >/dev/null; then
  show "cat logs/build/downloads_*.json | jq '.summary'"
  cat logs/build/downloads_*.json | jq -c '.summary | {total_downloads, total_cached, network_attempts}'
fi
printf '\nThe session files are in %s/logs/build/\n' "$work"
ls "$work/logs/build/"
