#!/usr/bin/env bash
# Creates the report store's own role and database next to Airflow's metadata database. Run once by the
# postgres image's entrypoint (/docker-entrypoint-initdb.d) when its data volume is first initialised; the
# password comes from the environment (.env), never from this file.
set -euo pipefail
: "${DISCLOSURE_DB_PASSWORD:?DISCLOSURE_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v store_password="$DISCLOSURE_DB_PASSWORD" <<'SQL'
CREATE ROLE disclosure LOGIN PASSWORD :'store_password';
CREATE DATABASE disclosure OWNER disclosure ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE disclosure FROM PUBLIC;
SQL
