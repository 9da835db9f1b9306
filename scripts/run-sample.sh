#!/usr/bin/env bash
# Run the yearly DAG in-process on the bundled sample: SQLite Airflow home under the repo, the sample units'
# returns written into the year's inbox, then `airflow dags test` with approval off. No servers needed.
#
#   scripts/run-sample.sh [YEAR] [--faulty]     (the venv's bin must be on PATH; `make run` does that)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

year="${1:-2020}"
faulty="${2:-}"

# shellcheck source=scripts/airflow-env.sh
source "$repo/scripts/airflow-env.sh"

echo "==> Airflow metadata database (SQLite) in $AIRFLOW_HOME"
airflow db migrate >/dev/null

inbox="$DISCLOSURE_DATA_DIR/inbox/$year"
echo "==> sample returns for $year into $inbox"
mkdir -p "$inbox"
if [[ "$faulty" == "--faulty" ]]; then
  disclosure sample --year "$year" --out "$inbox" --faulty
else
  disclosure sample --year "$year" --out "$inbox"
fi

echo "==> airflow dags test annual_disclosure_report (year $year, approval off)"
status=0
airflow dags test annual_disclosure_report \
  --conf "{\"year\": $year, \"approval\": false}" || status=$?

reports="$DISCLOSURE_DATA_DIR/reports/$year"
echo
echo "report files in $reports:"
ls -1 "$reports" 2>/dev/null | sed 's/^/  /' || echo "  (none)"
if [[ -d "$DISCLOSURE_DATA_DIR/publish/$year" ]]; then
  echo "published to $DISCLOSURE_DATA_DIR/publish/$year"
fi
if [[ -d "$DISCLOSURE_DATA_DIR/feedback/$year" ]]; then
  echo "feedback workbooks for units in $DISCLOSURE_DATA_DIR/feedback/$year"
fi
exit "$status"
