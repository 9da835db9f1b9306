#!/usr/bin/env bash
# Start the full local Airflow (`airflow standalone`: scheduler, DAG processor, triggerer, API server and UI;
# SQLite, LocalExecutor) on this project's dags/ and plugins/, so the admin can watch the grid in a browser,
# and next to it the units' portal (`disclosure portal`, loopback) with each unit's link for YEAR printed.
#
#   scripts/standalone.sh            (the venv's bin must be on PATH; `make standalone` does that)
#   AIRFLOW__API__PORT=8081 DISCLOSURE_PORTAL_PORT=8091 YEAR=2021 scripts/standalone.sh
#
# The printed links are valid until DEADLINE (default: 15 January of next year, so the sample year's links
# work for trying the portal) plus DISCLOSURE_PORTAL_GRACE_DAYS.
#
# Log in as "admin"; the password is generated into $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
# shellcheck source=scripts/airflow-env.sh
source "$repo/scripts/airflow-env.sh"

export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-http://$AIRFLOW__API__HOST:$AIRFLOW__API__PORT}"

airflow db migrate >/dev/null

# The bureau's secret key (signs templates and portal links): generated into the data folder when none is set.
disclosure secret-key --ensure

# The units' portal, on loopback, stopped with this script; the DAG's cover notes carry links under its URL.
portal_port="${DISCLOSURE_PORTAL_PORT:-8090}"
export DISCLOSURE_PORTAL_URL="${DISCLOSURE_PORTAL_URL:-http://127.0.0.1:$portal_port}"
year="${YEAR:-2020}"
deadline="${DEADLINE:-$(( $(date +%Y) + 1 ))-01-15}"
echo "Airflow UI: $AIRFLOW__API__BASE_URL  (user admin; password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
echo "data folder: $DISCLOSURE_DATA_DIR   inbox: $DISCLOSURE_DATA_DIR/inbox/<year>/"
echo "units' portal: $DISCLOSURE_PORTAL_URL   links of $year (disclosure links --year $year):"
disclosure links --year "$year" --deadline "$deadline"   # also brings the store to the newest schema
disclosure portal --host 127.0.0.1 --port "$portal_port" &
portal_pid=$!
trap 'kill "$portal_pid" 2>/dev/null || true' EXIT
airflow standalone
