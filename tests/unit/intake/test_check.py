"""Checking submissions: only a file signed for exactly the unit it claims counts as that unit's return."""

from __future__ import annotations

from pathlib import Path

import pytest

from disclosure.consolidation import consolidate
from disclosure.formats import spec_for_year
from disclosure.intake import NOT_OUR_TEMPLATE, check, check_many, receive, take_in
from disclosure.registry import Registry
from disclosure.store import Channel, Store, SubmissionStatus
from tests.conftest import TEST_SECRET_KEY
from tests.unit.intake.conftest import YEAR, forge, write_return

pytestmark = [pytest.mark.unit, pytest.mark.slow]


def test_a_u03_file_edited_to_claim_u05_everywhere_is_refused_and_u05_keeps_its_figures(
    store: Store, small_registry: Registry, tmp_path: Path
):
    genuine = write_return(small_registry, "U05", tmp_path / "2021_U05.xlsx")
    [accepted] = take_in([genuine], store=store, registry=small_registry)
    assert accepted.accepted
    before = store.current_figures(YEAR)["U05"]

    u03 = write_return(small_registry, "U03", tmp_path / "2021_U03.xlsx")
    u05 = small_registry.unit("U05")
    forged = forge(u03, tmp_path / "2021_U05_更正.xlsx", unit_code="U05", unit_name=u05.name)
    # every identity cell says U05: cover, very hidden sheet, document properties (nothing for the reader to see)
    from disclosure.workbook.reader import _document_properties, read_return

    as_read = read_return(forged, strict=False)
    assert (as_read.unit, as_read.meta.unit_name, as_read.problems) == ("U05", u05.name, [])
    assert _document_properties(forged)["unit_code"] == "U05"

    [result] = take_in([forged], store=store, registry=small_registry)

    assert result.refused and not result.accepted
    assert result.submission.status is SubmissionStatus.REFUSED
    assert result.submission.status.label == "已拒收"
    assert result.submission.signature_verified is False
    assert result.submission.unit == "U05"  # what it claims: shown under U05, touching nothing of U05
    assert [f.message.startswith(NOT_OUR_TEMPLATE) for f in result.findings] == [True]
    assert "U03" in result.findings[0].message
    assert store.current_figures(YEAR)["U05"] == before
    assert [s.status for s in store.submissions(YEAR, "U05")] == [
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.REFUSED,
    ]
    totals = consolidate(YEAR, store, small_registry, spec_for_year(YEAR))
    assert "U05" not in totals.invalid_units and "U05" in totals.contributing_units


def test_a_file_signed_with_a_key_the_bureau_does_not_hold_is_refused(
    store: Store, small_registry: Registry, tmp_path: Path
):
    path = write_return(small_registry, "U02", tmp_path / "u02.xlsx", signing_key="x" * 43)
    [result] = take_in([path], store=store, registry=small_registry)
    assert result.refused
    assert "模板签名无法验证" in result.findings[0].message


def test_old_templates_keep_verifying_after_a_key_rotation_while_the_old_key_is_listed(
    store: Store, small_registry: Registry, tmp_path: Path
):
    path = write_return(small_registry, "U02", tmp_path / "u02.xlsx")  # signed with TEST_SECRET_KEY
    submission = receive(path, channel=Channel.CLI, store=store, registry=small_registry)
    new_key = "n" * 43
    assert check(submission.id, store=store, registry=small_registry, keys=[new_key]).refused
    again = check(submission.id, store=store, registry=small_registry, keys=[new_key, TEST_SECRET_KEY])
    assert again.passed and again.submission.signature_verified is True


def test_a_template_from_before_signatures_is_recognised_as_an_old_revision(
    store: Store, small_registry: Registry, tmp_path: Path
):
    u02 = small_registry.unit("U02")
    path = write_return(small_registry, "U02", tmp_path / "u02.xlsx")
    old = forge(
        path,
        tmp_path / "old.xlsx",
        unit_code="U02",
        unit_name=u02.name,
        template_revision="2026.1",
        signature=None,
    )
    [result] = take_in([old], store=store, registry=small_registry)
    assert result.refused
    [finding] = result.findings
    assert "旧版模板" in finding.message and "2026.1" in finding.message and "人工采用" in finding.message


def test_a_signature_removed_from_a_current_template_is_refused(
    store: Store, small_registry: Registry, tmp_path: Path
):
    u02 = small_registry.unit("U02")
    path = write_return(small_registry, "U02", tmp_path / "u02.xlsx")
    stripped = forge(path, tmp_path / "stripped.xlsx", unit_code="U02", unit_name=u02.name, signature=None)
    [result] = take_in([stripped], store=store, registry=small_registry)
    assert result.refused and result.findings[0].message.startswith(NOT_OUR_TEMPLATE)


def test_an_authenticated_sender_must_agree_with_the_file(
    store: Store, small_registry: Registry, tmp_path: Path
):
    path = write_return(small_registry, "U03", tmp_path / "u03.xlsx")
    by_u05 = receive(path, channel=Channel.PORTAL, sender="U05", store=store, registry=small_registry)
    refused = check(by_u05.id, store=store, registry=small_registry)
    assert refused.refused and "报送单位为“U05”" in refused.findings[0].message
    # filed under the sender: it never becomes U03's newest submission (U03's returns are untouched)
    assert by_u05.unit == "U05" and store.latest_submission(by_u05.year, "U03") is None
    by_u03 = receive(path, channel=Channel.PORTAL, sender="U03", store=store, registry=small_registry)
    assert by_u03.id != by_u05.id
    assert check(by_u03.id, store=store, registry=small_registry).passed


def test_the_unit_a_caller_expects_must_agree_with_the_file(
    store: Store, small_registry: Registry, tmp_path: Path
):
    path = write_return(small_registry, "U01", tmp_path / "u01.xlsx")
    submission = receive(path, channel=Channel.INBOX, store=store, registry=small_registry)
    result = check(submission.id, store=store, registry=small_registry, expected_unit="U02")
    assert result.refused and "此文件属于单位“U01”，不是“U02”" in result.findings[0].message


def test_the_year_a_channel_collects_must_agree_with_the_file(
    store: Store, small_registry: Registry, tmp_path: Path
):
    """The portal's link is for one year: another year's return sent through it is that year's refusal."""
    path = write_return(small_registry, "U01", tmp_path / "u01.xlsx")
    claimed = receive(path, channel=Channel.INBOX, store=store, registry=small_registry).year
    sent = receive(
        path, channel=Channel.PORTAL, sender="U01", for_year=claimed + 1, store=store, registry=small_registry
    )
    assert sent.year == claimed + 1
    result = check(sent.id, store=store, registry=small_registry, expected_year=claimed + 1)
    assert result.refused and f"此文件是 {claimed} 年度的报表" in result.findings[0].message


def test_a_unit_outside_the_registry_is_refused(store: Store, registry: Registry, small_registry, tmp_path):
    path = write_return(registry, "U09", tmp_path / "u09.xlsx")
    [result] = take_in([path], store=store, registry=small_registry)
    assert result.refused
    assert any("不在本年度报送单位名册中" in f.message for f in result.findings)


def test_many_submissions_are_validated_in_one_run(
    store: Store, small_registry: Registry, tmp_path: Path, monkeypatch
):
    import disclosure.validation.validate as validation

    runs = []
    real = validation.run_validation

    def counted(returns, *args, **kwargs):
        runs.append(len(returns))
        return real(returns, *args, **kwargs)

    monkeypatch.setattr(validation, "run_validation", counted)
    ids = [
        receive(
            write_return(small_registry, code, tmp_path / f"{code}.xlsx"),
            channel=Channel.CLI,
            store=store,
            registry=small_registry,
        ).id
        for code in small_registry.codes
    ]
    results = check_many(ids, store=store, registry=small_registry)
    assert all(r.passed for r in results)
    assert runs == [len(ids)]
