# Environment of the local Airflow used by run-sample.sh and standalone.sh (sourced, not executed).
# Everything is configured by AIRFLOW__* variables, so airflow_home/ holds only state (SQLite, logs).
repo="${repo:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

export AIRFLOW_HOME="${AIRFLOW_HOME:-$repo/airflow_home}"
export DISCLOSURE_DATA_DIR="${DISCLOSURE_DATA_DIR:-$repo/data}"
mkdir -p "$AIRFLOW_HOME" "$DISCLOSURE_DATA_DIR"

# config/airflow_local_settings.py: the scheduler, DAG processor and Celery workers preload and warm the
# validation and domain stack before they fork task processes (DISCLOSURE_PRELOAD=0 switches it off).
export PYTHONPATH="$repo/config${PYTHONPATH:+:$PYTHONPATH}"
export AIRFLOW__CORE__DAGS_FOLDER="$repo/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$repo/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
# One clock: the bureau's. Naive times in DAG files and the trigger form are Beijing time; the status page and
# the CLI show times in DISCLOSURE_TIMEZONE. (Airflow 3's UI shows the browser's own zone, changeable under
# User → Timezone; an admin in China sees Beijing time there too.)
export DISCLOSURE_TIMEZONE="${DISCLOSURE_TIMEZONE:-Asia/Shanghai}"
export AIRFLOW__CORE__DEFAULT_TIMEZONE="${AIRFLOW__CORE__DEFAULT_TIMEZONE:-$DISCLOSURE_TIMEZONE}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
# The yearly DAG is created switched off: `make run` (airflow dags test runs it regardless) must not leave a
# schedule behind that `make standalone` would start at once (catchup=False still starts the latest 5 January).
# Switch it on when the year should run by itself: the README's "Switch the schedule on".
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
# The simple auth manager's users for `airflow standalone` (passwords are generated into $AIRFLOW_HOME).
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
