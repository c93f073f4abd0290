"""The six OAI-PMH 2.0 verbs. Each checks its arguments and fills the verb element.

Lists (ListIdentifiers, ListRecords) page by keyset (datestamp, DOI) with signed resumption
tokens (tokens.py); the last page of a split list carries an empty resumptionToken.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from lxml import etree

from catalogue.formats import publication_records
from catalogue.formats.dublincore import DC_NAMESPACE, OAI_DC_NAMESPACE
from catalogue.formats.record import site_name
from catalogue.formats.xml import sub

from . import records, sets, tokens
from .errors import OAIError
from .xml import oai_identifier_description, q

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DEFAULT_PAGE_SIZE = 100
PREFIX_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LIST_ARGUMENTS = ("from", "until", "set", "resumptionToken")
# verb -> (required arguments, optional arguments); resumptionToken is always exclusive.
ARGUMENTS = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
    "ListIdentifiers": (("metadataPrefix",), LIST_ARGUMENTS),
    "ListRecords": (("metadataPrefix",), LIST_ARGUMENTS),
}


def check_arguments(verb: str, args: dict[str, str]) -> None:
    required, optional = ARGUMENTS[verb]
    unknown = sorted(set(args) - {*required, *optional})
    if unknown:
        raise OAIError("badArgument", f"Illegal arguments for {verb}: {', '.join(unknown)}.")
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument.")
        return
    missing = [name for name in required if name not in args]
    if missing:
        raise OAIError("badArgument", f"Missing required arguments: {', '.join(missing)}.")
    prefix = args.get("metadataPrefix")
    if prefix is not None and not PREFIX_RE.match(prefix):
        raise OAIError("badArgument", f"{prefix!r} is not a valid metadataPrefix.")
    if "set" in args:
        sets.parse(args["set"])
    for name in ("from", "until"):
        if name in args:
            _moment(args[name], name)


def page_size() -> int:
    return max(1, int(getattr(settings, "OAI_PAGE_SIZE", DEFAULT_PAGE_SIZE)))


def admin_emails() -> list[str]:
    configured = getattr(settings, "OAI_ADMIN_EMAILS", None)
    if isinstance(configured, str):
        configured = [e.strip() for e in configured.split(",") if e.strip()]
    return list(configured or [f"admin@{records.repository_identifier()}"])


# --- Identify, ListMetadataFormats, ListSets -----------------------------------------------------


def identify(element, args, context) -> None:
    sub(element, q("repositoryName"), getattr(settings, "OAI_REPOSITORY_NAME", "") or site_name())
    sub(element, q("baseURL"), context["base_url"])
    sub(element, q("protocolVersion"), "2.0")
    for email in admin_emails():
        sub(element, q("adminEmail"), email)
    sub(element, q("earliestDatestamp"), records.earliest_datestamp())
    sub(element, q("deletedRecord"), "persistent")
    sub(element, q("granularity"), GRANULARITY)
    description = sub(element, q("description"))
    sample = records.oai_identifier("10.1234/example")
    description.append(oai_identifier_description(records.repository_identifier(), sample))


def list_metadata_formats(element, args, context) -> None:
    prefixes = list(records.METADATA_FORMATS)
    if "identifier" in args:
        record = _record_for(args["identifier"], context)
        prefixes = records.formats_for(record)
        if not prefixes:
            raise OAIError("noMetadataFormats", "The item was withdrawn; it has no metadata.")
    for prefix in prefixes:
        spec = records.METADATA_FORMATS[prefix]
        format_element = sub(element, q("metadataFormat"))
        sub(format_element, q("metadataPrefix"), prefix)
        sub(format_element, q("schema"), spec["schema"])
        sub(format_element, q("metadataNamespace"), spec["namespace"])


def list_sets(element, args, context) -> None:
    if not sets.enabled():
        raise OAIError("noSetHierarchy", "This repository does not support sets.")
    if "resumptionToken" in args:
        tokens.read(args["resumptionToken"], "ListSets")
        raise OAIError("badResumptionToken", "ListSets is never split.")
    found = sets.all_sets()
    if not found:
        raise OAIError("noSetHierarchy", "This repository has no sets yet.")
    for oai_set in found:
        set_element = sub(element, q("set"))
        sub(set_element, q("setSpec"), oai_set.spec)
        sub(set_element, q("setName"), oai_set.name)
        if oai_set.description:
            dc = etree.SubElement(
                sub(set_element, q("setDescription")),
                f"{{{OAI_DC_NAMESPACE}}}dc",
                nsmap={"oai_dc": OAI_DC_NAMESPACE, "dc": DC_NAMESPACE},
            )
            sub(dc, f"{{{DC_NAMESPACE}}}description", oai_set.description)


# --- Records -------------------------------------------------------------------------------------


def _record_for(identifier: str, context):
    item = records.item(identifier)
    if item is None:
        raise OAIError("idDoesNotExist", f"No item has the identifier {identifier!r}.")
    return publication_records([item], base_url=context["site_url"])[0]


def _header(parent, record) -> None:
    header = sub(parent, q("header"), status="deleted" if record.withdrawn else "")
    sub(header, q("identifier"), records.oai_identifier(record.identifier))
    sub(header, q("datestamp"), records.datestamp(record.updated))
    if sets.enabled():
        for spec in sets.specs_for(record):
            sub(header, q("setSpec"), spec)


def _record(parent, record, prefix: str) -> None:
    element = sub(parent, q("record"))
    _header(element, record)
    if not record.withdrawn:
        metadata = sub(element, q("metadata"))
        metadata.append(records.METADATA_FORMATS[prefix]["element"](record))


def _check_prefix(prefix: str) -> dict:
    if prefix not in records.METADATA_FORMATS:
        raise OAIError("cannotDisseminateFormat", f"The metadata format {prefix!r} is not offered.")
    return records.METADATA_FORMATS[prefix]


def get_record(element, args, context) -> None:
    spec = _check_prefix(args["metadataPrefix"])
    record = _record_for(args["identifier"], context)
    if not record.withdrawn and not spec["usable"](record):
        raise OAIError(
            "cannotDisseminateFormat",
            f"The item cannot be disseminated as {args['metadataPrefix']}.",
        )
    _record(element, record, args["metadataPrefix"])


def _moment(value: str, name: str) -> tuple[datetime, timedelta]:
    """The instant `value` names and its granularity (one day or one second)."""
    pattern, step = (
        ("%Y-%m-%d", timedelta(days=1))
        if _DAY_RE.match(value)
        else ("%Y-%m-%dT%H:%M:%SZ", timedelta(seconds=1))
    )
    if not (_DAY_RE.match(value) or _SECOND_RE.match(value)):
        raise OAIError("badArgument", f"{name}={value!r} is not YYYY-MM-DD or {GRANULARITY}.")
    try:
        return datetime.strptime(value, pattern).replace(tzinfo=UTC), step
    except ValueError:
        raise OAIError("badArgument", f"{name}={value!r} is not a valid date.") from None


def _selection(state: dict):
    queryset = records.items()
    bounds = {}
    for name in ("from", "until"):
        if state.get(name):
            bounds[name] = _moment(state[name], name)
    if len({step for _, step in bounds.values()}) > 1:
        raise OAIError("badArgument", "from and until must have the same granularity.")
    if "from" in bounds and "until" in bounds and bounds["from"][0] > bounds["until"][0]:
        raise OAIError("badArgument", "from must not be later than until.")
    if "from" in bounds:
        queryset = queryset.filter(updated_at__gte=bounds["from"][0])
    if "until" in bounds:
        moment, step = bounds["until"]
        queryset = queryset.filter(updated_at__lt=moment + step)
    if state.get("set"):
        if not sets.enabled():
            raise OAIError("noSetHierarchy", "This repository does not support sets.")
        queryset = queryset.filter(sets.publications_filter(state["set"]))
    return queryset


def _page(queryset, position, size: int, usable, base_url: str):
    """Up to `size` (item, record) pairs after `position`, and whether more items follow."""
    found = []
    while True:
        chunk = list(records.after(queryset, position)[: size + 1])
        if not chunk:
            return found, False
        for item, record in zip(chunk, publication_records(chunk, base_url=base_url), strict=True):
            if len(found) == size:
                return found, True
            position = (item.updated_at, item.doi)
            if record.withdrawn or usable(record):
                found.append((item, record))
        if len(chunk) <= size:
            return found, False


def list_items(element, args, context, *, verb: str) -> None:
    if "resumptionToken" in args:
        state = tokens.read(args["resumptionToken"], verb)
    else:
        state = {"verb": verb, "prefix": args["metadataPrefix"], "cursor": 0, "after": None}
        state |= {name: args[name] for name in ("from", "until", "set") if name in args}
    spec = _check_prefix(state["prefix"])
    queryset = _selection(state)
    if state.get("size") is None:
        state["size"] = queryset.count()
    position = None
    if state["after"]:
        position = (datetime.fromisoformat(state["after"][0]), state["after"][1])
    found, more = _page(queryset, position, page_size(), spec["usable"], context["site_url"])
    if not found:
        raise OAIError("noRecordsMatch", "No records match the request.")
    for _, record in found:
        if verb == "ListRecords":
            _record(element, record, state["prefix"])
        else:
            _header(element, record)
    cursor = state["cursor"]
    attributes = {"completeListSize": str(state["size"]), "cursor": str(cursor)}
    if more:
        last = found[-1][0]
        following = {**state, "cursor": cursor + len(found)}
        following["after"] = [last.updated_at.isoformat(), last.doi]
        token, expires = tokens.issue(following)
        sub(
            element,
            q("resumptionToken"),
            token,
            expirationDate=records.datestamp(expires),
            **attributes,
        )
    elif cursor:
        sub(element, q("resumptionToken"), **attributes)


VERBS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": lambda e, a, c: list_items(e, a, c, verb="ListIdentifiers"),
    "ListRecords": lambda e, a, c: list_items(e, a, c, verb="ListRecords"),
}
