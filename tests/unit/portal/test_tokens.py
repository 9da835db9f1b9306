"""The link token: signed with the bureau's key (every configured key verifies, the newest signs), carries its
deadline, expires after the grace period, and cannot be forged or altered."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from disclosure.errors import LinkError
from disclosure.portal.tokens import LinkClaims, sign, verify

pytestmark = pytest.mark.unit

DEADLINE = datetime(2021, 1, 15, 10, 0, tzinfo=UTC)
CLAIMS = LinkClaims(unit="U05", year=2020, generation=2, deadline=DEADLINE)
OLD, NEW = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
BEFORE = DEADLINE - timedelta(days=1)


def test_round_trip():
    token = sign(CLAIMS, [OLD])
    assert verify(token, [OLD], grace=timedelta(0), now=BEFORE) == CLAIMS


def test_rotation_old_links_verify_new_links_use_the_new_key():
    old_link = sign(CLAIMS, [OLD])
    assert verify(old_link, [NEW, OLD], grace=timedelta(0), now=BEFORE) == CLAIMS
    new_link = sign(CLAIMS, [NEW, OLD])
    assert verify(new_link, [NEW], grace=timedelta(0), now=BEFORE) == CLAIMS
    with pytest.raises(LinkError, match="signature"):
        verify(new_link, [OLD], grace=timedelta(0), now=BEFORE)


def test_expires_after_deadline_plus_grace():
    token = sign(CLAIMS, [OLD])
    grace = timedelta(days=7)
    assert verify(token, [OLD], grace=grace, now=DEADLINE + timedelta(days=6)).unit == "U05"
    with pytest.raises(LinkError, match="expired"):
        verify(token, [OLD], grace=grace, now=DEADLINE + timedelta(days=7, seconds=1))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), id="signature"),
        pytest.param(lambda t: t.replace(t.split(".")[0], t.split(".")[0][:-2] + "fQ"), id="payload"),
        pytest.param(lambda t: "garbage", id="garbage"),
        pytest.param(lambda t: "", id="empty"),
    ],
)
def test_forged_or_altered_tokens_are_refused(tamper):
    token = sign(CLAIMS, [OLD])
    with pytest.raises(LinkError):
        verify(tamper(token), [OLD], grace=timedelta(0), now=BEFORE)


def test_a_token_signed_for_another_purpose_is_refused():
    """Same key, other salt (the upload form's token): never a link."""
    from disclosure.portal.csrf import form_token

    with pytest.raises(LinkError):
        verify(form_token("x", [OLD]), [OLD], grace=timedelta(0), now=BEFORE)
