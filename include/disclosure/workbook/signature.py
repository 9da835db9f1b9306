"""The signed template identity: proof that a workbook is the template the bureau made for one unit and year.

The template writer signs (unit, year, format version, template revision) with the bureau's newest secret key
(:mod:`disclosure.secret_key`) and writes the signature next to the identity it vouches for (the very hidden
``_identity`` sheet and the document properties). Cells can be edited by anyone who unprotects a sheet; the
signature cannot be made without the key. Verification tries every configured key, so templates signed before
a key rotation keep verifying while the old key is listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

#: Separates these signatures from anything else signed with the same key (portal links …).
SALT = "disclosure.template-identity"
#: The identity fields a signature covers, in order.
SIGNED_FIELDS = ("unit_code", "year", "format_version", "template_revision")


@dataclass(frozen=True)
class SignedIdentity:
    """What a valid signature vouches for."""

    unit_code: str
    year: str
    format_version: str
    template_revision: str


def sign_identity(identity: Mapping[str, str], key: str) -> str:
    """The signature of ``identity``'s signed fields under ``key`` (URL-safe text, fits a cell)."""
    return URLSafeSerializer(key, salt=SALT).dumps([str(identity[name]) for name in SIGNED_FIELDS])


def verify_signature(signature: str, keys: Sequence[str]) -> SignedIdentity | None:
    """The identity ``signature`` was made for, when one of ``keys`` (newest first) made it; else None."""
    if not signature or not keys:
        return None
    # itsdangerous takes the keys oldest to newest; any of them verifies.
    serializer = URLSafeSerializer(list(reversed(keys)), salt=SALT)
    try:
        values = serializer.loads(signature)
    except BadSignature:
        return None
    if not isinstance(values, list) or len(values) != len(SIGNED_FIELDS):
        return None
    return SignedIdentity(*(str(v) for v in values))
