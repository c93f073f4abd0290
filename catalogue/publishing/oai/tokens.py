"""Resumption tokens: signed, stateless, expiring.

A token carries the whole list request (verb, metadataPrefix, from, until, set), the keyset
position of the last item sent (its datestamp with microseconds and its DOI, so re-issuing a
token never skips or repeats records even when items change between pages), the cursor, the
complete list size and an expiry. It is signed with SECRET_KEY by django.core.signing, so it
survives restarts and works on every node that shares the key; nothing is stored. A forged,
mangled, expired or other-verb token is a badResumptionToken.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from .errors import OAIError

SALT = "fedcat.publishing.oai.resumption-token"
DEFAULT_TTL_SECONDS = 24 * 3600


def ttl_seconds() -> int:
    return int(getattr(settings, "OAI_TOKEN_TTL_SECONDS", DEFAULT_TTL_SECONDS))


def issue(state: dict, *, now: datetime | None = None) -> tuple[str, datetime]:
    """A token for `state` and the moment it expires (UTC, whole seconds)."""
    now = now or timezone.now()
    expires = (now + timedelta(seconds=ttl_seconds())).astimezone(UTC).replace(microsecond=0)
    token = signing.dumps({**state, "exp": int(expires.timestamp())}, salt=SALT, compress=True)
    return token, expires


def read(token: str, verb: str, *, now: datetime | None = None) -> dict:
    """The state in `token`; raises badResumptionToken when it cannot be used for `verb`."""
    now = now or timezone.now()
    try:
        state = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise OAIError("badResumptionToken", "The resumptionToken is invalid.") from None
    if not isinstance(state, dict) or state.get("verb") != verb:
        raise OAIError("badResumptionToken", f"The resumptionToken was not issued for {verb}.")
    if int(state.get("exp", 0)) < now.timestamp():
        raise OAIError("badResumptionToken", "The resumptionToken has expired.")
    return state
