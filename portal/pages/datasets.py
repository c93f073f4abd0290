"""The dataset page and its citation exports.

Missing pids are 404, datasets the user may not read 403 (see common.readable_dataset). The
file list, previews and download links need the download right as well; the list is read by
keyset paging (``?after=<file id>``), so any page of a 200,000-file dataset costs the same.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from catalogue.access import Action, can
from catalogue.access_entities import proposals_visible_to, samples_visible_to
from catalogue.models import Instrument, OrigDatablock
from catalogue.selectors import datafiles_page
from portal.downloads.storage import downloads_enabled

from .citation import bibtex, citation_for, ris, schema_org, script_json
from .common import (
    PageError,
    access_state,
    error_page,
    readable_dataset,
    search_url,
    spdx_url,
)
from .search import THUMBNAIL_PREFIXES

FILES_PER_PAGE = 100


def _dataset_or_error(request, pid):
    try:
        return readable_dataset(request.user, pid), None
    except PageError as exc:
        return None, error_page(request, exc.status, exc.message)


def _cursor(request) -> int | None:
    raw = request.GET.get("after", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _techniques(dataset) -> list[dict]:
    out = []
    for item in dataset.techniques or []:
        if isinstance(item, dict):
            out.append({"pid": str(item.get("pid", "")), "name": str(item.get("name", ""))})
        elif item:
            out.append({"pid": str(item), "name": str(item)})
    return out


def _links(user, dataset) -> dict:
    """Proposals, samples and instruments: titles where the user may read the record."""
    proposal_ids = [str(p) for p in dataset.proposal_ids or []]
    sample_ids = [str(s) for s in dataset.sample_ids or []]
    instrument_ids = [str(i) for i in dataset.instrument_ids or []]
    proposals = dict(
        proposals_visible_to(user).filter(pk__in=proposal_ids).values_list("pk", "title")
    )
    samples = dict(
        samples_visible_to(user).filter(pk__in=sample_ids).values_list("pk", "description")
    )
    instruments = dict(Instrument.objects.filter(pk__in=instrument_ids).values_list("pk", "name"))
    return {
        "proposals": [(p, proposals.get(p), p in proposals) for p in proposal_ids],
        "samples": [(s, samples.get(s), s in samples) for s in sample_ids],
        "instruments": [(i, instruments.get(i), i in instruments) for i in instrument_ids],
    }


def _files(request, dataset) -> dict:
    after = _cursor(request)
    files, next_cursor = datafiles_page(
        user=request.user, dataset=dataset, after_id=after, limit=FILES_PER_PAGE
    )
    blocks = {f.origdatablock_id for f in files}
    algorithms = (
        dict(OrigDatablock.objects.filter(id__in=blocks).values_list("id", "chk_alg"))
        if blocks
        else {}
    )
    enabled = downloads_enabled()
    rows = [
        {
            "file": f,
            "algorithm": algorithms.get(f.origdatablock_id, ""),
            "url": reverse("portal:dataset-file", kwargs={"pid": dataset.pid, "file_id": f.pk})
            if enabled
            else "",
        }
        for f in files
    ]
    return {
        "files": rows,
        "files_after": after,
        "files_next": f"?after={next_cursor}#files" if next_cursor else "",
        "downloads_enabled": enabled,
    }


def _previews(dataset) -> list[dict]:
    return [
        {"src": thumbnail, "caption": caption}
        for thumbnail, caption in dataset.attachments.values_list("thumbnail", "caption")
        if thumbnail.startswith(THUMBNAIL_PREFIXES)
    ]


def python_snippet(base: str, pid: str, first_file=None) -> str:
    api = f"{base}/api/v3"
    lines = [
        "# pip install pyscicat requests",
        "from pyscicat.client import ScicatClient",
        "",
        "TOKEN = '...'  # from POST /api/v3/auth/login (the 'id' field)",
        f"client = ScicatClient(base_url={api!r}, token=TOKEN)",
        f"dataset = client.datasets_get_one({pid!r})",
        f"blocks = client.datasets_origdatablocks_get_one({pid!r})",
        "",
        "# or plain HTTP",
        "import requests",
        "from urllib.parse import quote",
        "",
        "headers = {'Authorization': f'Bearer {TOKEN}'}  # leave out for public data",
        f"url = {api + '/datasets/'!r} + quote({pid!r}, safe='')",
        "dataset = requests.get(url, headers=headers, timeout=30).json()",
    ]
    if first_file is not None:
        file_url = base + reverse(
            "portal:dataset-file", kwargs={"pid": pid, "file_id": first_file.pk}
        )
        name = first_file.path.rsplit("/", 1)[-1] or "file"
        lines += [
            "",
            "# a file (accept the dataset's licence once in the browser first)",
            f"with requests.get({file_url!r}, headers=headers, stream=True, timeout=60) as r:",
            "    r.raise_for_status()",
            f"    with open({name!r}, 'wb') as out:",
            "        for chunk in r.iter_content(1 << 20):",
            "            out.write(chunk)",
        ]
    return "\n".join(lines)


def dataset_page(request, pid: str):
    dataset, refusal = _dataset_or_error(request, pid)
    if refusal:
        return refusal
    user = request.user
    may_download = can(user, Action.DOWNLOAD, dataset)
    page_url = request.build_absolute_uri(reverse("portal:dataset", kwargs={"pid": dataset.pid}))
    citation = citation_for(dataset, url=page_url)
    techniques = _techniques(dataset)
    context = {
        "dataset": dataset,
        "access": access_state(user, dataset),
        "may_download": may_download,
        "licence_url": spdx_url(dataset.license),
        "techniques": techniques,
        "keywords": [(str(k), search_url("keyword", str(k))) for k in dataset.keywords or []],
        "citation": citation,
        # script_json escapes <, > and &, so the JSON cannot end the script element.
        "jsonld": mark_safe(
            script_json(schema_org(dataset, citation, techniques=[t["name"] for t in techniques]))
        ),
        **_links(user, dataset),
    }
    if may_download:
        context.update(_files(request, dataset))
        context["previews"] = _previews(dataset)
        first = context["files"][0]["file"] if context["files"] else None
    else:
        first = None
    base = request.build_absolute_uri("/").rstrip("/")
    context["python"] = python_snippet(base, dataset.pid, first if downloads_enabled() else None)
    return render(request, "portal/dataset.html", context)


def _export(request, pid: str, render_format, content_type: str, extension: str):
    dataset, refusal = _dataset_or_error(request, pid)
    if refusal:
        return refusal
    url = request.build_absolute_uri(reverse("portal:dataset", kwargs={"pid": dataset.pid}))
    citation = citation_for(dataset, url=url)
    response = HttpResponse(render_format(citation), content_type=content_type)
    name = "".join(c if c.isalnum() else "-" for c in dataset.pid).strip("-")[-60:] or "dataset"
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


def dataset_bibtex(request, pid: str):
    return _export(request, pid, bibtex, "application/x-bibtex; charset=utf-8", "bib")


def dataset_ris(request, pid: str):
    return _export(request, pid, ris, "application/x-research-info-systems; charset=utf-8", "ris")
