#!/usr/bin/env bash
# Debian packages Handover needs beyond Python: Pango for WeasyPrint (the PDF) and fonts; for the test
# suite a few more (below). Installs only what is missing; needs root.
set -euo pipefail
want=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
# Tests: headless Chromium (the offline-site test), and a C++ compiler for the one native module of the
# real n8n the connector tests start (scripts/install-n8n.sh builds sqlite3).
[ "${1:-}" = "--test" ] && want+=(chromium g++ make)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Please install these Debian/Ubuntu packages: ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} …"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
