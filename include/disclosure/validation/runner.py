"""Run a compiled suite over a check frame in one Great Expectations run, with Data Docs for the admin.

One ephemeral context per run, one pandas batch holding every return being validated (a run costs about the
same for 1 or 1,000 returns). Failures come back as the ``item`` numbers of the frame's unexpected rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from disclosure.errors import DisclosureError

if TYPE_CHECKING:
    import pandas as pd


class ValidationRunError(DisclosureError):
    """Great Expectations could not evaluate an expectation (a bug in the compiler or the check frame)."""


@dataclass(frozen=True)
class ExpectationFailure:
    """One failed expectation: its ``meta`` (rule, aspect, severity) and the frame items it rejected."""

    meta: dict[str, Any]
    items: list[int]


@dataclass
class RunResult:
    run_id: str
    failures: list[ExpectationFailure] = field(default_factory=list)
    evaluated: int = 0  # expectations evaluated
    docs_index: Path | None = None  # Data Docs index.html, when written


def new_run_id(prefix: str = "validate") -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def run_suite(
    frame: pd.DataFrame,
    suite: Any,
    *,
    run_id: str | None = None,
    docs_dir: Path | None = None,
) -> RunResult:
    """Validate ``frame`` against ``suite`` (a GX ``ExpectationSuite``) in one run.

    With ``docs_dir``, GX Data Docs for the run are written there (``index.html`` at its top).
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    run_id = run_id or new_run_id()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for site in list(context.list_data_docs_sites()):
        context.delete_data_docs_site(site)  # the ephemeral default site lives in a temp folder
    actions = []
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            "run",
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        actions.append(gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["run"]))

    batch = context.data_sources.add_pandas("returns").add_dataframe_asset("checks")
    definition = batch.add_batch_definition_whole_dataframe("all_returns")
    suite = context.suites.add(suite)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite.name}-run", data=definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="validate_returns",
            validation_definitions=[validation],
            actions=actions,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["unit", "item"]},
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_id))

    result = RunResult(run_id=run_id)
    for validation_result in outcome.run_results.values():
        for expectation_result in validation_result.results:
            result.evaluated += 1
            config = expectation_result.expectation_config
            problem = _exception_message(expectation_result.exception_info)
            if problem:
                raise ValidationRunError(f"GX could not evaluate {config.type} {config.meta}: {problem}")
            if expectation_result.success:
                continue
            rows = expectation_result.result.get("unexpected_index_list") or []
            items = sorted({int(row["item"]) for row in rows})
            result.failures.append(ExpectationFailure(meta=dict(config.meta or {}), items=items))
    if docs_dir is not None and (docs_dir / "index.html").exists():
        result.docs_index = docs_dir / "index.html"
    return result


def _exception_message(info: Any) -> str | None:
    """GX reports evaluation errors either flat or keyed by metric: find any raised one."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None
