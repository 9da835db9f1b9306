# The Airflow image of the distributed deployment (docker-compose.yaml): the official Airflow image plus the
# project's locked dependencies (uv.lock) and the `disclosure` package, so every container (api-server,
# scheduler, dag-processor, Celery workers, triggerer) runs exactly the versions the tests ran.
#
#   docker compose build            # or: docker build -t disclosure-airflow:0.1.0 .

ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

# --- build stage: turn uv.lock into a hashed requirements file and build our wheel -------------------------
FROM python:3.11-slim-bookworm AS build
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY include ./include
# --frozen: fail instead of re-resolving if uv.lock is out of date; --no-dev: no test tools in the image;
# --all-extras: the "distributed" extra (celery, fab, psycopg2); --no-emit-project: our package is the wheel.
RUN mkdir -p /dist \
    && uv export --frozen --no-dev --all-extras --no-emit-project --format requirements-txt \
        --output-file /dist/requirements.txt \
    && uv build --wheel --out-dir /dist

# --- runtime image --------------------------------------------------------------------------------------
FROM ${AIRFLOW_IMAGE}
COPY --from=build /dist/ /tmp/dist/
# The exported requirements carry hashes, so pip verifies every locked distribution; our wheel comes after,
# without dependencies (they are exactly the locked set just installed).
RUN pip install --no-cache-dir --require-hashes -r /tmp/dist/requirements.txt \
    && pip install --no-cache-dir --no-deps /tmp/dist/disclosure-*.whl \
    && rm -rf /tmp/dist

# The image works on its own (e.g. on Kubernetes); docker-compose.yaml mounts the same folders from the
# working tree over these copies so that edits show without a rebuild.
COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root plugins/ /opt/airflow/plugins/
COPY --chown=airflow:root templates/ /opt/airflow/templates/
COPY --chown=airflow:root include/ /opt/airflow/include/
# $AIRFLOW_HOME/config: warm task parents (the scheduler, DAG processor and Celery workers preload the stack)
COPY --chown=airflow:root config/airflow_local_settings.py /opt/airflow/config/
# include/ first on the path, so that a mounted working tree wins over the installed copy.
ENV PYTHONPATH=/opt/airflow/include \
    DISCLOSURE_DATA_DIR=/opt/airflow/data \
    DISCLOSURE_TEMPLATES_DIR=/opt/airflow/templates
