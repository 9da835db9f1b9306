"""Options and helpers shared by the subcommands that use the report store (accept, consolidate, provenance,
status). Not a subcommand itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from disclosure.store import Store


def store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--store-url`` and ``--units-file``, the two things every store subcommand may override."""
    func = click.option(
        "--units-file", type=click.Path(path_type=Path, exists=True), help="单位名册 YAML (registry file)"
    )(func)
    func = click.option(
        "--store-url",
        envvar="DISCLOSURE_STORE_URL",
        help="数据库地址 (SQLAlchemy URL; default: DISCLOSURE_STORE_URL or a SQLite file in the data folder)",
    )(func)
    return func


def open_store(url: str | None) -> Store:
    """The store at ``url`` (or the configured one), migrated to the newest schema."""
    from disclosure.store import Store

    return Store.open(url)


def when(moment) -> str:
    """A timestamp as the admin reads it: the bureau's clock (``DISCLOSURE_TIMEZONE``), to the minute, labelled."""
    from disclosure.settings import get_settings
    from disclosure.status import local_time

    return local_time(moment, get_settings().timezone)
