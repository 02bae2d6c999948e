#!/usr/bin/env bash
# Regenerates the footprint and cost report in firmware-sim/README.md (see report.py).
set -euo pipefail
exec python3 "$(dirname "$0")/report.py" "$@"
