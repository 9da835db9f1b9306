#!/usr/bin/env bash
# Take in the sample units' returns of the years before YEAR (up to three, those a format covers) through the
# intake (`disclosure accept`), so the store holds the units' history the outlier rules (O1–O3) and the
# cross-year rules (X1, X2) compare YEAR's returns with — as a real bureau's store holds its earlier years.
# Run by scripts/run-sample.sh before the DAG run, and by the DAG's sample test. Re-running is harmless: the
# same figures are accepted again.
#
#   scripts/sample-history.sh YEAR     (`disclosure` on PATH; the data folder and store as for the DAG)
set -euo pipefail
year="${1:?usage: scripts/sample-history.sh YEAR}"
data="${DISCLOSURE_DATA_DIR:-./data}"

for (( past = year - 3; past < year; past++ )); do
  folder="$data/history/$past"
  if ! message="$(disclosure sample --year "$past" --out "$folder" 2>&1 >/dev/null)"; then
    if [[ "$message" == *"no format version covers"* ]]; then
      continue  # no format for that year (before 2019): no return, no history
    fi
    echo "$message" >&2
    exit 2
  fi
  echo "==> $past sample returns taken in (the units' history for $year's outlier rules)"
  disclosure accept --no-docs "$folder"/*.xlsx >/dev/null
done
