"""Landing pages of DOIs with content negotiation, and format exports.

`/doi/<doi>` answers HTML (with schema.org JSON-LD embedded) by default and any format of
catalogue.formats when the Accept header prefers its media type (DataCite's content negotiation
types); unknown types get the HTML page, as at doi.org. A withdrawn DOI answers a tombstone page
with 410 Gone in every representation. Anonymous users see registered DOIs; signed-in users may
also preview unregistered ones (fedcat's published-data rule), marked noindex.
`/export/doi/<doi>.<ext>` and `/export/datasets/<pid>.<ext>` give one format without negotiation;
datasets are exported only when public. Every answer carries FAIR Signposting Link headers.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from catalogue.access_entities import published_data_visible_to
from catalogue.formats import BY_MEDIA_TYPE, FORMATS, IncompleteMetadata, schemaorg
from catalogue.formats.record import dataset_record, publication_record, site_url
from catalogue.models import Dataset

HTML_TYPES = ("text/html", "application/xhtml+xml")
_URL_SAFE = ":/?&=#%()._-~;@!$*+,'"


def _publication(request, doi: str):
    visible = published_data_visible_to(request.user)
    found = visible.filter(doi=doi).first() or visible.filter(doi__iexact=doi).first()
    if found is None:
        raise Http404("No published data with this DOI")
    return found


def negotiate(request):
    """The Format the client prefers, or None for the HTML page."""
    chosen = request.get_preferred_type([*HTML_TYPES, *BY_MEDIA_TYPE])
    return None if chosen is None or chosen in HTML_TYPES else BY_MEDIA_TYPE[chosen]


def export_url(base_url: str, kind: str, identifier: str, key: str) -> str:
    path = reverse(f"export-{kind}", kwargs={"identifier": identifier, "fmt": key})
    return base_url + path


def signposting(record, kind: str, base_url: str) -> str:
    """FAIR Signposting links: cite-as, describedby (each format), license, item."""
    links = [(record.citation_url, "cite-as", "")]
    links += [
        (export_url(base_url, kind, record.identifier, f.key), "describedby", f.media_type)
        for f in FORMATS.values()
    ]
    links += [(r.uri, "license", "") for r in record.rights if r.uri]
    links += [(part.url, "item", "") for part in record.parts]
    return ", ".join(
        f'<{quote(url, safe=_URL_SAFE)}>; rel="{rel}"' + (f'; type="{media}"' if media else "")
        for url, rel, media in links
    )


def jsonld_script(record) -> str:
    """The JSON-LD for a <script> element, with <, > and & escaped as JSON allows."""
    text = json.dumps(schemaorg.to_jsonld(record), ensure_ascii=False, indent=2)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return mark_safe(text)


def citation(record) -> str:
    names = "; ".join(p.name for p in record.creators) or (
        record.publisher.name if record.publisher else ""
    )
    year = f" ({record.publication_year})" if record.publication_year else ""
    publisher = f" {record.publisher.name}." if record.publisher else ""
    return f"{names}{year}. {record.title}.{publisher} {record.citation_url}"


def _formatted(record, fmt, status: int = 200) -> HttpResponse:
    try:
        body = fmt.render(record)
    except IncompleteMetadata as error:
        message = f"Cannot produce {fmt.media_type} for this record: {error}\n"
        return HttpResponse(message, status=406, content_type="text/plain; charset=utf-8")
    return HttpResponse(body, status=status, content_type=fmt.content_type)


def _html(request, record, kind: str, base_url: str) -> HttpResponse:
    context = {
        "record": record,
        "jsonld": jsonld_script(record),
        "citation": citation(record),
        "exports": [
            (f.label, f.media_type, export_url(base_url, kind, record.identifier, f.key))
            for f in FORMATS.values()
        ],
        "noindex": not record.registered,
    }
    return render(request, "publishing/landing.html", context)


def _tombstone(request, record) -> HttpResponse:
    response = render(request, "publishing/tombstone.html", {"record": record}, status=410)
    response["Link"] = f'<{quote(record.citation_url, safe=_URL_SAFE)}>; rel="cite-as"'
    return response


@require_safe
def doi_landing(request, doi: str):
    base_url = site_url(request)
    record = publication_record(_publication(request, doi), base_url=base_url)
    if record.withdrawn:
        response = _tombstone(request, record)
    else:
        fmt = negotiate(request)
        response = _formatted(record, fmt) if fmt else _html(request, record, "doi", base_url)
        response["Link"] = signposting(record, "doi", base_url)
    patch_vary_headers(response, ["Accept"])
    return response


@require_safe
def doi_export(request, identifier: str, fmt: str):
    base_url = site_url(request)
    record = publication_record(_publication(request, identifier), base_url=base_url)
    if record.withdrawn:
        return _tombstone(request, record)
    response = _formatted(record, FORMATS[fmt])
    response["Link"] = signposting(record, "doi", base_url)
    return response


@require_safe
def dataset_export(request, identifier: str, fmt: str):
    dataset = Dataset.objects.visible_to(AnonymousUser()).filter(pid=identifier).first()
    if dataset is None:
        raise Http404("No public dataset with this pid")
    base_url = site_url(request)
    record = dataset_record(dataset, base_url=base_url)
    response = _formatted(record, FORMATS[fmt])
    response["Link"] = signposting(record, "dataset", base_url)
    return response
