"""The DAG's Airflow glue: which way the report goes after consolidation, the store URL from a connection."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.dags


@pytest.mark.parametrize(
    ("draft", "approval", "route"),
    [
        (True, True, ["notify_admin"]),  # a draft is never published
        (True, False, ["notify_admin"]),
        (False, True, ["approve_report", "publish", "notify_admin"]),
        (False, False, ["publish", "notify_admin"]),
    ],
)
def test_publication_route(draft, approval, route):
    from disclosure_glue.runtime import publication_route

    assert publication_route({"draft": draft}, {"approval": approval}) == route


@pytest.mark.parametrize(
    ("conn", "url"),
    [
        (
            {
                "conn_type": "postgres",
                "host": "db",
                "port": 5432,
                "login": "u",
                "password": "p@ss",
                "schema": "d",
            },
            "postgresql+psycopg2://u:p%40ss@db:5432/d",
        ),
        ({"conn_type": "sqlite", "host": "/srv/store.sqlite"}, "sqlite:////srv/store.sqlite"),
        ({"conn_type": "generic", "extra": '{"url": "sqlite:///x.db"}'}, "sqlite:///x.db"),
    ],
)
def test_store_url_from_connection(conn, url):
    from airflow.sdk import Connection
    from disclosure_glue.runtime import connection_to_sqlalchemy_url

    assert connection_to_sqlalchemy_url(Connection(conn_id="disclosure_store", **conn)) == url


def test_unsupported_store_connection_is_refused():
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowFailException
    from disclosure_glue.runtime import connection_to_sqlalchemy_url

    with pytest.raises(AirflowFailException, match="不受支持"):
        connection_to_sqlalchemy_url(Connection(conn_id="disclosure_store", conn_type="http", host="x"))


def test_manual_runs_check_once():
    from types import SimpleNamespace

    from disclosure_glue.runtime import is_manual

    assert is_manual(SimpleNamespace(run_type="manual"))
    assert not is_manual(SimpleNamespace(run_type="scheduled"))


@pytest.mark.parametrize("error", ["return", "report"])
def test_a_data_error_fails_once_with_its_findings_one_per_line(monkeypatch, error):
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException
    from disclosure_glue import runtime

    from disclosure.errors import ReportError, ReturnInvalid

    summary = "U05 的报表《U05.xlsx》未通过校验：2 处问题\n  - R1 ［三!D12］不平衡\n  - R4 ［三!K9］总计不符\n反馈表：/d/fb.xlsx"

    def step(*args, **kwargs):
        if error == "return":
            raise ReturnInvalid("U05", summary)
        raise ReportError(summary)

    domain = SimpleNamespace(validate=step, ReturnInvalid=ReturnInvalid, ReportError=ReportError)
    monkeypatch.setattr(runtime, "pipeline", lambda: domain)
    logged: list[str] = []
    monkeypatch.setattr(runtime.log, "error", lambda fmt, *args: logged.append(fmt % args))
    with pytest.raises(AirflowFailException) as raised:
        runtime.data_errors_fail("validate", {}, "U05")
    assert logged == summary.splitlines()  # one line each, in order
    failure = raised.value
    assert str(failure) == "数据错误（不重试）：U05 的报表《U05.xlsx》未通过校验：2 处问题"
    assert failure.__cause__ is None and failure.__suppress_context__  # the findings are not repeated
    assert failure.details == summary  # the admin's failure email gets them all


def test_the_secret_key_comes_from_its_connection_when_the_variable_is_not_set(monkeypatch):
    from airflow.sdk import BaseHook, Connection
    from airflow.sdk.exceptions import AirflowNotFoundException
    from disclosure_glue import runtime

    key = "k" * 43
    conns = {"disclosure_secret_key": Connection(conn_id="disclosure_secret_key", password=key)}

    def get_connection(conn_id):
        if conn_id not in conns:
            raise AirflowNotFoundException(conn_id)
        return conns[conn_id]

    monkeypatch.setattr(BaseHook, "get_connection", staticmethod(get_connection))
    monkeypatch.setenv("DISCLOSURE_SECRET_KEY", "already-set-" + "x" * 32)
    runtime.load_secret_key()
    assert runtime.os.environ["DISCLOSURE_SECRET_KEY"].startswith("already-set-")  # the variable wins
    monkeypatch.delenv("DISCLOSURE_SECRET_KEY")
    runtime.load_secret_key()
    assert runtime.os.environ["DISCLOSURE_SECRET_KEY"] == key
    monkeypatch.delenv("DISCLOSURE_SECRET_KEY")
    conns.clear()
    runtime.load_secret_key()  # no connection: left to the data folder's key file
    assert "DISCLOSURE_SECRET_KEY" not in runtime.os.environ
