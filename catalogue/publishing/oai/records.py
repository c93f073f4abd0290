"""What OAI-PMH serves: registered publications, public to anonymous users, as records.

The items are `published_data_visible_to(AnonymousUser())` (registered and amended DOIs); their
datasets reach the records only through `Dataset.objects.visible_to(AnonymousUser())`
(catalogue/formats/record.py). A withdrawn publication stays an item for ever and is served as a
deleted record (deletedRecord "persistent"); registered DOIs are never deleted, so the promise
holds. The datestamp is the row's `updated_at`: every change of the record, its registration and
its withdrawal move it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Min, Q, QuerySet

from catalogue.access_entities import published_data_visible_to
from catalogue.formats import datacite, dublincore
from catalogue.models import PublishedData

from .xml import oai_datacite_element

DATESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DEFAULT_REPOSITORY_IDENTIFIER = "fedcat.local"


def repository_identifier() -> str:
    return getattr(settings, "OAI_REPOSITORY_IDENTIFIER", "") or DEFAULT_REPOSITORY_IDENTIFIER


def oai_identifier(doi: str) -> str:
    return f"oai:{repository_identifier()}:{doi}"


def doi_of(identifier: str) -> str | None:
    prefix = f"oai:{repository_identifier()}:"
    return identifier[len(prefix) :] if identifier.startswith(prefix) else None


def datestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DATESTAMP_FORMAT)


def items() -> QuerySet[PublishedData]:
    """Every OAI item, in harvest order: datestamp, then DOI."""
    return published_data_visible_to(AnonymousUser()).order_by("updated_at", "doi")


def item(identifier: str) -> PublishedData | None:
    doi = doi_of(identifier)
    return items().filter(doi=doi).first() if doi else None


def after(queryset: QuerySet, position) -> QuerySet:
    """Items strictly after the keyset `position` = (updated_at, doi); all when None."""
    if position is None:
        return queryset
    moment, doi = position
    return queryset.filter(Q(updated_at__gt=moment) | Q(updated_at=moment, doi__gt=doi))


def earliest_datestamp() -> str:
    earliest = items().aggregate(first=Min("updated_at"))["first"]
    return datestamp(earliest) if earliest else "1970-01-01T00:00:00Z"


# --- Metadata formats ----------------------------------------------------------------------------


def _datacite_usable(record) -> bool:
    return not datacite.problems(record)


METADATA_FORMATS = {
    "oai_dc": {
        "schema": "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "namespace": dublincore.OAI_DC_NAMESPACE,
        "element": dublincore.element,
        "usable": lambda record: True,
    },
    "oai_datacite": {
        "schema": "http://schema.datacite.org/oai/oai-1.1/oai.xsd",
        "namespace": "http://schema.datacite.org/oai/oai-1.1/",
        "element": oai_datacite_element,
        "usable": _datacite_usable,
    },
}


def formats_for(record) -> list[str]:
    """The metadataPrefixes a record can be disseminated in (none for a deleted record)."""
    if record.withdrawn:
        return []
    return [prefix for prefix, spec in METADATA_FORMATS.items() if spec["usable"](record)]
