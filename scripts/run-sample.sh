#!/usr/bin/env bash
# Run the yearly workflow on the bundled sample, in-process, with the embedded defaults (SQLite, no servers).
set -euo pipefail
year="${1:-2020}"
disclosure sample --year "$year" --out "$DISCLOSURE_DATA_DIR/inbox/$year"
disclosure read "$DISCLOSURE_DATA_DIR/inbox/$year"/*.xlsx --format csv > /dev/null
echo "sample returns for $year written to $DISCLOSURE_DATA_DIR/inbox/$year"
