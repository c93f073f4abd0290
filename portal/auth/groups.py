"""Group names from the provider's entitlement claim (pure: no database, no network).

Helmholtz AAI sends group memberships in `eduperson_entitlement` as AARC-G002 URNs:

    urn:geant:helmholtz.de:group:HZB:p12345#login.helmholtz.de
    urn:geant:helmholtz.de:group:HZB:p12345:role=member#login.helmholtz.de

An entitlement becomes a group when it starts with one of the configured prefixes: the prefix,
the `#authority` and a trailing `:role=...` are removed, the percent-escapes decoded, and the
rest ("HZB:p12345") is the group name, unless the mapping renames it. A longer prefix
(`urn:geant:helmholtz.de:group:HZB:`) gives shorter names ("p12345"). Anything else in the
claim (other namespaces, resource capabilities) is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

MAX_GROUP_NAME = 150  # django.contrib.auth Group.name


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`["HZB:admins=admin", "HZB:old="]` -> {"HZB:admins": "admin", "HZB:old": ""}.

    An empty target drops the group. Items without "=" are ignored."""
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if sep and source.strip():
            mapping[source.strip()] = target.strip()
    return mapping


def _values(raw) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list | tuple):
        return [item for item in raw if isinstance(item, str)]
    return []


def group_name(entitlement: str, prefixes: Iterable[str]) -> str:
    """The group an entitlement names, or "" when it names none under the prefixes."""
    body = entitlement.strip().split("#", 1)[0]
    for prefix in sorted(prefixes, key=len, reverse=True):
        if prefix and body.startswith(prefix):
            segments = body[len(prefix) :].split(":")
            break
    else:
        return ""
    if segments and segments[-1].startswith("role="):
        segments = segments[:-1]
    name = ":".join(unquote(segment) for segment in segments if segment).strip()
    if not name or len(name) > MAX_GROUP_NAME or any(ord(c) < 32 for c in name):
        return ""
    return name


def groups_from_claims(
    claims: dict, *, claim: str, prefixes: Iterable[str], mapping: dict[str, str]
) -> set[str]:
    """The fedcat group names of a user, from their claims."""
    prefixes = list(prefixes)
    found = set()
    for value in _values(claims.get(claim)):
        name = group_name(value, prefixes)
        if name:
            name = mapping.get(name, name)
        if name:
            found.add(name)
    return found
