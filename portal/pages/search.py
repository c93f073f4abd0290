"""The search page: one query box, facets that refine, highlighted results, paging, a chart.

Every state is in the URL (q, sort, size, page). The query is parsed by search.query and run
by search.service.search, which applies the access rules inside the engine, so results, totals,
facet counts and the year chart only count datasets the user may read. As the search design
note advises, facets (and the chart) are asked for on the first page only.
"""

from __future__ import annotations

import math
from dataclasses import replace
from urllib.parse import quote, urlencode

from django.db.models.functions import Left, Length
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS, escape_leading_slashes

from catalogue.access import Action, can
from catalogue.models import Attachment, Dataset, Instrument
from search.query import DEFAULT_LIMIT, FACETS, MAX_WINDOW, QueryError, parse_query_string
from search.query.render import atom
from search.service import search

from ..forms import SearchForm
from . import federated

FACET_LABELS = {
    "type": "Type",
    "year": "Year",
    "instrument": "Instrument",
    "technique": "Technique",
    "keywords": "Keyword",
    "owner_group": "Owner group",
    "license": "Licence",
    "facility": "Facility",
    "creation_location": "Location",
}
# facet -> the field name a refinement writes into the query
FACET_FIELDS = {
    "instrument": "instrument",
    "technique": "technique",
    "owner_group": "ownerGroup",
    "type": "type",
    "keywords": "keyword",
    "year": "year",
    "license": "license",
    "facility": "facility",
    "creation_location": "creationLocation",
}
FACETS_SHOWN = 10  # per facet; the rest fold away
MAX_THUMBNAIL = 300_000  # characters of a data URI shown in a result list
THUMBNAIL_PREFIXES = tuple(
    f"data:image/{kind};base64," for kind in ("png", "jpeg", "jpg", "gif", "webp")
)
PREFIX_LENGTH = max(len(prefix) for prefix in THUMBNAIL_PREFIXES)
SNIPPET_LABELS = {"keywords": "Keywords", "description": "", "metadata": "Metadata"}
# What a result shows, and what the download check (catalogue.access.relations) reads.
HIT_FIELDS = (
    "pid",
    "dataset_name",
    "type",
    "creation_time",
    "owner",
    "number_of_files",
    "size",
    "description",
    "is_published",
    "embargo_end",
    "owner_group",
    "access_groups",
    "shared_with",
)


def search_page(request):
    data = request.GET.copy()
    data.setdefault("size", str(DEFAULT_LIMIT))  # so the control shows the size in force
    form = SearchForm(data)
    q = request.GET.get("q", "")
    error = None
    sort, size, page = "", None, 1
    if not form.is_valid():
        error = next(iter(form.errors.values()))[0]
    else:
        sort = form.cleaned_data["sort"] or ""
        if form.cleaned_data["size"] != str(DEFAULT_LIMIT):
            size = form.cleaned_data["size"]
        page = form.cleaned_data["page"] or 1
    parsed = None
    if error is None:
        try:
            parsed = parse_query_string(q, page=page, size=size, facets=FACETS if page == 1 else ())
        except QueryError as exc:
            error = exc.message
    keep = {key: value for key, value in (("q", q), ("sort", sort), ("size", size)) if value}
    partners = request.GET.get("partners") == "1"  # search partner catalogues too
    if partners:
        keep["partners"] = "1"
    context = {"form": form, "q": q, "error": error, "keep": keep, "searched": bool(keep)}
    context |= {"partners": partners, "federation_offered": partners or federated.offered()}
    if parsed is not None and partners:
        context.update(federated.results(request, parsed, keep))
        error = context.get("error")
    elif parsed is not None:
        context.update(_results(request, parsed, sort, keep))
    return render(request, "portal/search.html", context, status=400 if error else 200)


def _url(params: dict, base: str = "") -> str:
    """The search page with these parameters; `base` is its path when the caller knows it (a
    page builds a hundred of these links, and reversing the path each time costs more than the
    rest of the link)."""
    params = {key: value for key, value in params.items() if value}
    return (base or reverse("portal:search")) + ("?" + urlencode(params) if params else "")


def _results(request, parsed, sort: str, keep: dict) -> dict:
    wanted = replace(parsed, sort=sort) if sort else parsed
    result = search(request.user, wanted)
    if result.error:
        return {"notice": result.error, "hits": [], "total": 0}
    pages = min(math.ceil(result.total / parsed.limit), MAX_WINDOW // parsed.limit)
    base = reverse("portal:search")
    return {
        "hits": _hits(request.user, result.hits),
        "total": result.total,
        "first": parsed.offset + 1,
        "last": parsed.offset + len(result.hits),
        "paging": _paging(parsed.page, pages, keep, base),
        "facets": _facets(parsed, result.facets, keep, base),
        "chart": year_chart(result.facets.get("year") or [], keep, base),
        "facets_asked": bool(parsed.facets),
        "first_page_url": _url(keep, base),
    }


def dataset_path(prefix: str, pid: str) -> str:
    """reverse("portal:dataset", kwargs={"pid": pid}) for `prefix` = that URL up to the pid,
    without resolving the pattern again for every hit (the same quoting as reverse)."""
    return escape_leading_slashes(prefix + quote(pid, safe=RFC3986_SUBDELIMS + "/~:@"))


def _hits(user, hits) -> list[dict]:
    pids = [hit.pid for hit in hits]
    datasets = {
        d.pid: d
        for d in Dataset.objects.visible_to(user)
        .filter(pid__in=pids)
        .only(*HIT_FIELDS)
        .order_by()  # the engine's order is kept below
    }
    thumbnails = _thumbnails(user, datasets.values())
    prefix = reverse("portal:dataset", kwargs={"pid": "-"})[:-1]
    out = []
    for hit in hits:
        dataset = datasets.get(hit.pid)
        if dataset is None:  # the index is a moment behind the database
            continue
        highlights = hit.highlights or {}
        out.append(
            {
                "dataset": dataset,
                "url": dataset_path(prefix, dataset.pid),
                "title": highlights.get("dataset_name", ""),
                "snippets": [
                    (label, highlights[name])
                    for name, label in SNIPPET_LABELS.items()
                    if highlights.get(name)
                ],
                "thumbnail": thumbnails.get(dataset.pk),
            }
        )
    return out


def _thumbnails(user, datasets) -> dict[int, dict]:
    """The first image attachment of each dataset the user may download (a data URI of an
    image type, at most MAX_THUMBNAIL characters). Only those are read whole: a dataset's other
    attachments may be large, and the result list shows one."""
    allowed = [d.pk for d in datasets if can(user, Action.DOWNLOAD, d)]
    if not allowed:
        return {}
    candidates = (
        Attachment.objects.filter(dataset_id__in=allowed)
        .exclude(thumbnail="")
        .order_by("dataset_id", "created_at", "id")
        .values_list("dataset_id", "id", Left("thumbnail", PREFIX_LENGTH), Length("thumbnail"))
    )
    first: dict[int, object] = {}
    for dataset_id, attachment_id, head, size in candidates:
        fits = size <= MAX_THUMBNAIL and head.startswith(THUMBNAIL_PREFIXES)
        if fits and dataset_id not in first:
            first[dataset_id] = attachment_id
    if not first:
        return {}
    rows = Attachment.objects.filter(id__in=first.values()).values_list(
        "dataset_id", "thumbnail", "caption"
    )
    return {dataset_id: {"src": src, "caption": caption} for dataset_id, src, caption in rows}


def _paging(page: int, pages: int, keep: dict, base: str = "") -> dict:
    def link(number: int) -> str:
        return _url({**keep, "page": number if number > 1 else None}, base)

    window = range(max(1, page - 3), min(pages, page + 3) + 1)
    return {
        "page": page,
        "pages": pages,
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
        "numbers": [(number, link(number)) for number in window],
    }


def _facets(parsed, facets: dict, keep: dict, base: str = "") -> list[dict]:
    q = keep.get("q", "").strip()
    filters = parsed.filters
    names = {}
    if facets.get("instrument"):
        pids = [value for value, _ in facets["instrument"]]
        names = dict(Instrument.objects.filter(pid__in=pids).values_list("pid", "name"))
    out = []
    for facet in FACETS:
        values = facets.get(facet) or []
        if not values:
            continue
        field = FACET_FIELDS[facet]
        entries = []
        for value, count in values:
            term = f"year:{value}" if facet == "year" else f"{field}:{atom(value)}"
            active = _active_filter(term, filters)
            if active is not None:
                rest = replace(parsed, filters=tuple(f for f in filters if f != active))
                url = _url({**keep, "q": rest.to_query_string()}, base)
            else:
                url = _url({**keep, "q": f"{q} {term}".strip()}, base)
            entries.append(
                {
                    "value": value,
                    "label": names.get(value, value) if facet == "instrument" else value,
                    "count": count,
                    "url": url,
                    "active": active is not None,
                }
            )
        if facet == "year":
            entries.sort(key=lambda entry: entry["value"], reverse=True)
        out.append(
            {
                "name": facet,
                "label": FACET_LABELS[facet],
                "shown": entries[:FACETS_SHOWN],
                "more": entries[FACETS_SHOWN:],
            }
        )
    return out


def _active_filter(term: str, filters):
    """The filter of `filters` that clicking `term` would add, or None (cheap when no filter
    is set, which is the common case)."""
    if not filters:
        return None
    try:
        candidate = parse_query_string(term).filters[0]
    except (QueryError, IndexError):
        return None
    return candidate if candidate in filters else None


def year_chart(years: list, keep: dict, base: str = "") -> dict | None:
    """Bars of datasets per year (gaps filled with zero), as numbers for an inline SVG."""
    counts = {}
    for value, count in years:
        if str(value).isdigit():
            counts[int(value)] = count
    if not counts:
        return None
    first, last = min(counts), max(counts)
    first = max(first, last - 59)  # at most 60 bars
    q = keep.get("q", "").strip()
    top = max(counts.values())
    bar, gap, height = 16, 4, 80
    bars = []
    for index, year in enumerate(range(first, last + 1)):
        count = counts.get(year, 0)
        h = round(height * count / top) if count else 0
        bars.append(
            {
                "year": year,
                "count": count,
                "x": index * (bar + gap),
                "y": height - h,
                "height": h,
                "url": _url({**keep, "q": f"{q} year:{year}".strip()}, base) if count else "",
            }
        )
    return {
        "bars": bars,
        "width": len(bars) * (bar + gap),
        "height": height,
        "bar": bar,
        "first": first,
        "last": last,
        "top": top,
    }
