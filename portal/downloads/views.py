"""Download views: one file (with byte ranges), a zip, and the licence form before either.

Order of checks: downloads enabled, dataset exists (404), readable (403), downloadable (403),
licence accepted (else a redirect to the licence form), then the file on disk (403 outside the
roots, 404 missing). Scripts may send an API token (``Authorization: Bearer``) instead of a
session cookie; the licence must then have been accepted once by that user in the browser.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header, http_date, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from catalogue.access import Action, can
from catalogue.models import DataFile
from catalogue.policies.licences import licence as licence_of
from catalogue.selectors import datafiles_iter
from catalogue.services.policies import usage_conditions_for
from catalogue.services.tokens import bearer_user
from portal.forms import LicenceForm
from portal.models import DownloadKind
from portal.pages.common import PageError, error_page, readable_dataset, spdx_url

from .ranges import Unsatisfiable, if_range_matches, parse_range
from .records import (
    client_ip,
    download_log_finish,
    download_log_start,
    licence_accept,
    licence_accepted,
)
from .sendfile import Sender, direct_socket
from .storage import (
    NOT_ENABLED,
    FileUnavailable,
    dataset_folder,
    download_roots,
    open_file,
    resolve,
)
from .zips import DIRECT_MIN, READ_SIZE, SMALL, DirectZip, archive_name, build_zip, chunks

CHUNK = READ_SIZE  # single files are read as the zips read them: 1 MiB at a time
MAX_SELECTION = 10_000


def download_user(request):
    """The session's user, else the user of an API token in the Authorization header."""
    if request.user.is_authenticated:
        return request.user
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return bearer_user(value.strip()) or request.user
    return request.user


def _downloadable(request, user, pid: str):
    if not download_roots():
        raise PageError(404, NOT_ENABLED)
    dataset = readable_dataset(user, pid)
    if not can(user, Action.DOWNLOAD, dataset):
        raise PageError(403, "You may see this dataset but not download its files.")
    return dataset


def _licence_redirect(request, dataset):
    url = reverse("portal:dataset-licence", kwargs={"pid": dataset.pid})
    return HttpResponseRedirect(f"{url}?next={quote(request.get_full_path(), safe='')}")


@require_http_methods(["GET", "HEAD"])
def file_download(request, pid: str, file_id: int):
    user = download_user(request)
    try:
        dataset = _downloadable(request, user, pid)
    except PageError as exc:
        return error_page(request, exc.status, exc.message)
    if not licence_accepted(user=user, session=request.session, dataset=dataset):
        return _licence_redirect(request, dataset)
    datafile = DataFile.objects.filter(
        pk=file_id, dataset=dataset, origdatablock__isnull=False
    ).first()
    if datafile is None:
        return error_page(request, 404, f"This dataset has no file number {file_id}.")
    try:
        real = resolve(dataset_folder(dataset), datafile.path, download_roots())
        opened = open_file(real, datafile.path)
    except FileUnavailable as exc:
        return error_page(request, exc.status, exc.message)
    accel = getattr(settings, "DOWNLOAD_X_ACCEL_PREFIX", "")
    if accel:
        opened.handle.close()
        return _accel_response(request, user, dataset, datafile, opened, accel)
    return _file_response(request, user, dataset, datafile, opened)


def _headers(response, datafile, opened) -> None:
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = opened.etag
    response["Last-Modified"] = http_date(opened.mtime_ns // 1_000_000_000)
    response["Cache-Control"] = "private"
    # Always an attachment: an HTML file from a dataset must never run in the site's origin.
    response["Content-Disposition"] = content_disposition_header(
        True, PurePosixPath(datafile.path).name or "file"
    )


def _content_type(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def _file_response(request, user, dataset, datafile, opened):
    size = opened.size
    honour = if_range_matches(request.META.get("HTTP_IF_RANGE"), opened.etag, opened.mtime_ns)
    try:
        wanted = parse_range(request.META.get("HTTP_RANGE") if honour else None, size)
    except Unsatisfiable:
        opened.handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    start, length = (0, size) if wanted is None else (wanted.start, wanted.length)
    if request.method == "HEAD":
        opened.handle.close()
        response = HttpResponse(content_type=_content_type(datafile.path))
    else:
        log = download_log_start(
            user=user,
            dataset=dataset,
            kind=DownloadKind.FILE,
            size=length,
            ip=client_ip(request),
            datafile=datafile,
            byte_range="" if wanted is None else f"{wanted.start}-{wanted.end}",
        )
        sock = direct_socket(request.META) if length >= DIRECT_MIN else None
        stream = _stream(opened.handle, start, length, log, None if sock is None else Sender(sock))
        response = StreamingHttpResponse(stream, content_type=_content_type(datafile.path))
    if wanted is not None:
        response.status_code = 206
        response["Content-Range"] = wanted.content_range(size)
    response["Content-Length"] = str(length)
    _headers(response, datafile, opened)
    return response


def _stream(handle, start: int, length: int, log, sender: Sender | None = None):
    """The file's bytes from `start`; with a `sender` (under gunicorn, see sendfile.py) all but
    the first SMALL bytes go out by sendfile, the first taking the headers with them."""
    sent = 0
    try:
        handle.seek(start)
        while sent < length:
            if sender is not None and sent:
                sender.send(handle.fileno(), start + sent, length - sent)
                break
            chunk = handle.read(min(CHUNK if sender is None else SMALL, length - sent))
            if not chunk:
                break  # the file shrank meanwhile
            sent += len(chunk)
            yield chunk
    finally:
        handle.close()
        download_log_finish(log, bytes_sent=sent + (sender.sent if sender else 0))


def _accel_response(request, user, dataset, datafile, opened, prefix: str):
    """Hands the file to nginx (internal location `prefix` aliased to /); nginx does ranges."""
    response = HttpResponse(content_type=_content_type(datafile.path))
    response["X-Accel-Redirect"] = prefix.rstrip("/") + quote(str(opened.path))
    _headers(response, datafile, opened)
    if request.method != "HEAD":
        download_log_start(
            user=user,
            dataset=dataset,
            kind=DownloadKind.FILE,
            size=opened.size,
            ip=client_ip(request),
            datafile=datafile,
            byte_range=request.META.get("HTTP_RANGE", "")[:64],
        )
    return response


def _selection(request) -> list[int] | None:
    raw = ",".join(request.GET.getlist("files")).replace(" ", ",")
    parts = [part for part in raw.split(",") if part]
    if not parts:
        return None
    if len(parts) > MAX_SELECTION or not all(part.isdigit() for part in parts):
        raise PageError(400, f"files must be up to {MAX_SELECTION} file numbers, e.g. files=3,5")
    return sorted({int(part) for part in parts})


@require_http_methods(["GET"])
def zip_download(request, pid: str):
    user = download_user(request)
    try:
        dataset = _downloadable(request, user, pid)
        if not licence_accepted(user=user, session=request.session, dataset=dataset):
            return _licence_redirect(request, dataset)
        wanted = _selection(request)
        if wanted is None:
            files = datafiles_iter(user=user, dataset=dataset)
        else:
            files = list(
                DataFile.objects.filter(
                    dataset=dataset, origdatablock__isnull=False, pk__in=wanted
                ).order_by("id")
            )
            missing = sorted(set(wanted) - {f.pk for f in files})
            if missing:
                raise PageError(404, f"This dataset has no file number {missing[0]}.")
        top = archive_name(dataset)
        planned = build_zip(files, folder=dataset_folder(dataset), roots=download_roots(), top=top)
    except PageError as exc:
        return error_page(request, exc.status, exc.message)
    except FileUnavailable as exc:
        return error_page(request, exc.status, exc.message)
    size = len(planned.archive)
    log = download_log_start(
        user=user,
        dataset=dataset,
        kind=DownloadKind.ZIP,
        size=size,
        ip=client_ip(request),
        number_of_files=planned.count,
    )
    sock = direct_socket(request.META)
    stream = chunks(planned.archive) if sock is None else DirectZip(planned, sock)
    response = StreamingHttpResponse(_counted(stream, log), content_type="application/zip")
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition_header(True, f"{top}.zip")
    response["Cache-Control"] = "private"
    return response


def _counted(body, log):
    """`body`'s pieces; at the end (or when the client goes away) `body` is closed and the log
    gets the bytes sent: those yielded and those the body sent itself (`sent_directly`)."""
    sent = 0
    try:
        for chunk in body:
            sent += len(chunk)
            yield chunk
    finally:
        if hasattr(body, "close"):
            body.close()
        download_log_finish(log, bytes_sent=sent + getattr(body, "sent_directly", 0))


@require_http_methods(["GET", "POST"])
def licence_page(request, pid: str):
    """The dataset's licence and conditions, accepted with a POST (CSRF-protected)."""
    try:
        dataset = _downloadable(request, request.user, pid)
    except PageError as exc:
        return error_page(request, exc.status, exc.message)
    dataset_url = reverse("portal:dataset", kwargs={"pid": dataset.pid})
    form = LicenceForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        licence_accept(
            user=request.user, session=request.session, dataset=dataset, ip=client_ip(request)
        )
        target = form.cleaned_data["next"]
        safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        if not (safe and target.startswith(dataset_url + "/")):
            target = dataset_url
        return HttpResponseRedirect(target)
    context = {
        "dataset": dataset,
        "form": form,
        "licence": dataset.license,
        "licence_url": spdx_url(dataset.license),
        "licence_info": licence_of(dataset.license),
        "conditions": usage_conditions_for(dataset),
        "accepted": licence_accepted(user=request.user, session=request.session, dataset=dataset),
    }
    return render(request, "portal/licence.html", context, status=400 if form.errors else 200)
