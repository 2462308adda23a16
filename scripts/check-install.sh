#!/usr/bin/env bash
# A fresh virtual environment, `pip install .` without extras, then the demo built from it: proves the
# runtime dependencies in pyproject.toml are complete and the wheel carries the templates.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip
"$work/venv/bin/pip" install --quiet .
mkdir -p "$work/root/clients"
cp -r clients/demo "$work/root/clients/demo"
rm -f "$work/root/clients/demo/audit.log"
(cd "$work" && "$work/venv/bin/handover" build demo --root "$work/root" >/dev/null)
test -s "$work/root/build/demo/demo-handover.pdf"
test -s "$work/root/build/demo/site/index.html"
echo "check-install: pip install . (no extras) builds the demo site and PDF"
