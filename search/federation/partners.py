"""The partner registry: the local catalogue, partners from settings, partners from the admin.

    FEDERATION_PARTNERS='[{"name": "psi", "type": "panosc", "url": "https://dacat.psi.ch/panosc-api",
                           "timeout": 2, "title": "PSI"}]'

A partner of type ``panosc`` is a PaNOSC Common Search API root (the aggregator's PROVIDERS
entries); one of type ``fedcat`` is a fedcat site's root URL (its /panosc-api/ and /api/search/
are asked). Settings partners come first, then enabled admin rows; a name given twice keeps the
first. Every remote URL must be allowed by FEDERATION_ALLOWED_HOSTS (default: the hosts of
FEDERATION_PARTNERS), checked again before each request.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

LOCAL, PANOSC, FEDCAT = "local", "panosc", "fedcat"
KINDS = (PANOSC, FEDCAT)
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MIN_TIMEOUT, MAX_TIMEOUT = 0.05, 60.0


@dataclass(frozen=True)
class PartnerConfig:
    name: str
    kind: str  # local | panosc | fedcat
    url: str = ""  # "" for the local catalogue
    timeout: float = 3.0
    title: str = ""

    @property
    def label(self) -> str:
        return self.title or self.name

    @property
    def remote(self) -> bool:
        return self.kind != LOCAL


def local_partner() -> PartnerConfig:
    name = getattr(settings, "FEDERATION_LOCAL_NAME", "") or LOCAL
    title = getattr(settings, "SITE_NAME", "") or "This catalogue"
    return PartnerConfig(name=name, kind=LOCAL, title=title)


# --- the allowlist ------------------------------------------------------------------------------
def _host_port(url: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password:
        return None
    return parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def allowed_hosts() -> list[str]:
    """FEDERATION_ALLOWED_HOSTS, else the hosts (with ports) of FEDERATION_PARTNERS."""
    configured = getattr(settings, "FEDERATION_ALLOWED_HOSTS", None) or []
    if configured:
        return [entry.strip().lower() for entry in configured if entry.strip()]
    hosts = []
    for partner in settings_partners():
        found = _host_port(partner.url)
        if found:
            hosts.append(f"{found[0]}:{found[1]}")
    return hosts


def _parse_entry(entry: str) -> tuple[str, str]:
    """ "host", "host:port", "[v6]", "[v6]:port" or "*.domain" -> (host, port or "")."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, port
    return entry, ""


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _entry_matches(entry: str, host: str, port: int) -> bool:
    name, wanted_port = _parse_entry(entry)
    if wanted_port and wanted_port != str(port):
        return False
    if name.startswith("*."):  # names under a domain; never an address
        return host.endswith(name[1:]) and not _is_address(host)
    return host == name


def url_allowed(url: str, hosts: list[str] | None = None) -> bool:
    """An http(s) URL without credentials whose host (and port, when the entry names one) is
    in the allowlist. ``*.example.org`` allows names under example.org, not addresses."""
    found = _host_port(url)
    if found is None:
        return False
    host, port = found
    return any(_entry_matches(e, host, port) for e in (allowed_hosts() if hosts is None else hosts))


# --- validation ---------------------------------------------------------------------------------
def check_partner_fields(*, name: str, url: str, timeout, kind: str | None = None) -> dict:
    """{field: message} for a partner definition (the admin form and settings entries)."""
    problems = {}
    if not isinstance(name, str) or not NAME.match(name):
        problems["name"] = "lower-case letters, digits, - and _; at most 50 characters"
    elif name == (getattr(settings, "FEDERATION_LOCAL_NAME", "") or LOCAL):
        problems["name"] = f"{name!r} is the local catalogue's name"
    if kind is not None and kind not in KINDS:
        problems["kind"] = f"one of {', '.join(KINDS)}"
    if not isinstance(url, str) or _host_port(url) is None:
        problems["base_url"] = "an http(s) URL without user or password"
    elif not url_allowed(url):
        problems["base_url"] = "its host is not in FEDERATION_ALLOWED_HOSTS"
    if not isinstance(timeout, int | float) or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        problems["timeout_seconds"] = f"between {MIN_TIMEOUT} and {MAX_TIMEOUT} seconds"
    return problems


def _from_setting(entry) -> PartnerConfig | None:
    if not isinstance(entry, dict):
        logger.error("FEDERATION_PARTNERS: an entry is not an object: %r", entry)
        return None
    default = float(getattr(settings, "FEDERATION_TIMEOUT_SECONDS", 3.0))
    partner = PartnerConfig(
        name=entry.get("name"),
        kind=entry.get("type") or entry.get("kind"),
        url=entry.get("url") or entry.get("base_url"),
        timeout=entry.get("timeout", default),
        title=str(entry.get("title") or ""),
    )
    shape = _host_port(partner.url) if isinstance(partner.url, str) else None
    bad_name = not isinstance(partner.name, str) or not NAME.match(partner.name)
    bad_timeout = not isinstance(partner.timeout, int | float) or not (
        MIN_TIMEOUT <= partner.timeout <= MAX_TIMEOUT
    )
    if bad_name or partner.kind not in KINDS or shape is None or bad_timeout:
        logger.error("FEDERATION_PARTNERS: ignoring an invalid entry: %r", entry)
        return None
    return partner


def settings_partners() -> list[PartnerConfig]:
    raw = getattr(settings, "FEDERATION_PARTNERS", "") or ""
    if isinstance(raw, str):
        if not raw.strip():
            return []
        try:
            raw = json.loads(raw)
        except ValueError:
            logger.error("FEDERATION_PARTNERS is not JSON; no partners from settings")
            return []
    if not isinstance(raw, list):
        logger.error("FEDERATION_PARTNERS must be a JSON list of partners")
        return []
    return [p for p in (_from_setting(entry) for entry in raw) if p is not None]


def admin_partners() -> list[PartnerConfig]:
    from search.models import Partner

    return [
        PartnerConfig(
            name=row.name,
            kind=row.kind,
            url=row.base_url,
            timeout=row.timeout_seconds,
            title=row.title,
        )
        for row in Partner.objects.filter(enabled=True).order_by("name")
    ]


def all_partners(*, include_local: bool = True) -> list[PartnerConfig]:
    """The local catalogue (first), then settings partners, then the admin's enabled ones."""
    found = [local_partner()] if include_local else []
    names = {local_partner().name}
    for partner in [*settings_partners(), *admin_partners()]:
        if partner.name in names:
            logger.warning("federation partner %r is defined twice; the first wins", partner.name)
            continue
        names.add(partner.name)
        found.append(partner)
    return found


def remote_partners() -> list[PartnerConfig]:
    return all_partners(include_local=False)
