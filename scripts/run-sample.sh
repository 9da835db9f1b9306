#!/usr/bin/env bash
# Run the yearly DAG in-process on the bundled sample: SQLite Airflow home under the repo, the sample units'
# returns of the years before taken in through the intake (their history), the year's returns written into the
# year's inbox, then `airflow dags test` with approval off. No servers needed.
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

# The bureau's secret key (signs templates and portal links): generated into the data folder when none is set.
disclosure secret-key --ensure

# The units' accepted returns of the years before, through the intake: what the outlier rules compare with.
"$repo/scripts/sample-history.sh" "$year"

inbox="$DISCLOSURE_DATA_DIR/inbox/$year"
echo "==> sample returns for $year into $inbox"
mkdir -p "$inbox"
if [[ "$faulty" == "--faulty" ]]; then
  disclosure sample --year "$year" --out "$inbox" --faulty
else
  disclosure sample --year "$year" --out "$inbox"
fi

# From gov-2021 on, section 六 must state the 信息处理费 the office collected: figures only the office knows, so
# they come from the year's narrative file. The sample run writes one (zero fees, marked as sample) unless the
# admin already has one; a real year's narrative is written by the office (see the README).
narrative="$DISCLOSURE_DATA_DIR/narratives/$year.md.j2"
if (( year >= 2021 )) && [[ ! -e "$narrative" ]]; then
  mkdir -p "$(dirname "$narrative")"
  {
    echo "---"
    echo "# 示例正文（演示数据）：由 scripts/run-sample.sh 生成，正式使用请按本年度实际情况改写。"
    echo "fees: {notices: 0, noticed_yuan: 0, collected_yuan: 0}"
    echo "---"
    sed '1,/^---$/d' "$repo/templates/narratives/default.md.j2"
  } > "$narrative"
  echo "==> sample narrative for $year written to $narrative"
fi

echo "==> airflow dags test annual_disclosure_report (year $year, approval off)"
# `dags test` runs the DAG even while it is paused, and leaves it paused: nothing runs later by itself.
started="$(mktemp)"
trap 'rm -f "$started"' EXIT
status=0
airflow dags test annual_disclosure_report \
  --conf "{\"year\": $year, \"approval\": false}" || status=$?

reports="$DISCLOSURE_DATA_DIR/reports/$year"
echo
echo "report files in $reports:"
ls -1 "$reports" 2>/dev/null | sed 's/^/  /' || echo "  (none)"
# Only what this run published: an earlier run's publication is not this one's.
if [[ -n "$(find "$DISCLOSURE_DATA_DIR/publish/$year" -type f -newer "$started" 2>/dev/null | head -1)" ]]; then
  echo "published to $DISCLOSURE_DATA_DIR/publish/$year"
else
  echo "not published (a draft, or the run failed): see the status with  disclosure status --year $year"
fi
if [[ -d "$DISCLOSURE_DATA_DIR/feedback/$year" ]]; then
  echo "feedback workbooks for units in $DISCLOSURE_DATA_DIR/feedback/$year"
fi
exit "$status"
