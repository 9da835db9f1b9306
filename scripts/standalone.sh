#!/usr/bin/env bash
# Start the full local Airflow (`airflow standalone`: scheduler, DAG processor, triggerer, API server and UI;
# SQLite, LocalExecutor) on this project's dags/ and plugins/, so the admin can watch the grid in a browser.
#
#   scripts/standalone.sh            (the venv's bin must be on PATH; `make standalone` does that)
#   AIRFLOW__API__PORT=8081 scripts/standalone.sh
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
echo "Airflow UI: $AIRFLOW__API__BASE_URL  (user admin; password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
echo "data folder: $DISCLOSURE_DATA_DIR   inbox: $DISCLOSURE_DATA_DIR/inbox/<year>/"
exec airflow standalone
