"""Serving files: byte ranges, zips, confinement to the storage roots, the download log."""

import io
import os
import re
import time
import zipfile

import pytest
from django.urls import reverse

from catalogue.models import HarvestRecord
from portal.downloads.records import download_log_start
from portal.downloads.views import _counted
from portal.downloads.zips import READ_SIZE
from portal.models import DownloadKind, DownloadLog
from tests.factories import make_dataset
from tests.portal.conftest import (
    SCAN,
    accept,
    body,
    file_url,
    with_files,
    zip_url,
)

pytestmark = pytest.mark.django_db


# --- single files and ranges -------------------------------------------------------------------


def test_download_is_logged_with_bytes_and_address(client, accepted):
    dataset, files = accepted

    body(client.get(file_url(dataset, files[1]), REMOTE_ADDR="192.0.2.7"))

    log = DownloadLog.objects.get()
    assert (log.dataset_pid, log.kind, log.file_path) == (
        dataset.pid,
        DownloadKind.FILE,
        "sub/notes.txt",
    )
    assert (log.size, log.bytes_sent, log.completed) == (16, 16, True)
    assert log.ip == "192.0.2.7" and log.user is None


def test_file_response_headers(client, accepted):
    dataset, files = accepted

    response = client.get(file_url(dataset, files[1]))

    assert response["Content-Length"] == "16"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["ETag"].startswith('"')


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=10-19", 10, 19),
        ("bytes=-5", 10235, 10239),
        ("bytes=10230-", 10230, 10239),
        ("bytes=10000-99999", 10000, 10239),
    ],
)
def test_range_request_returns_206_with_the_bytes(client, accepted, header, start, end):
    dataset, files = accepted

    response = client.get(file_url(dataset, files[0]), HTTP_RANGE=header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/10240"
    assert response["Content-Length"] == str(end - start + 1)
    assert body(response) == SCAN[start : end + 1]
    assert DownloadLog.objects.get().byte_range == f"{start}-{end}"


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-20001", "bytes=-0"])
def test_unsatisfiable_range_is_416(client, accepted, header):
    dataset, files = accepted

    response = client.get(file_url(dataset, files[0]), HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10240"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=x-y"])
def test_ranges_a_server_may_ignore_give_the_whole_file(client, accepted, header):
    dataset, files = accepted

    response = client.get(file_url(dataset, files[0]), HTTP_RANGE=header)

    assert response.status_code == 200
    assert body(response) == SCAN


def test_if_range_honours_only_the_current_version(client, accepted):
    dataset, files = accepted
    url = file_url(dataset, files[0])
    etag = client.head(url)["ETag"]

    same = client.get(url, HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE=etag)
    changed = client.get(url, HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE='"0-0"')

    assert same.status_code == 206 and body(same) == SCAN[:4]
    assert changed.status_code == 200 and body(changed) == SCAN


def test_head_sends_headers_and_logs_nothing(client, accepted):
    dataset, files = accepted

    response = client.head(file_url(dataset, files[0]))

    assert response.status_code == 200
    assert response["Content-Length"] == "10240"
    assert not DownloadLog.objects.exists()


def test_x_accel_redirect_hands_the_file_to_the_front_server(client, accepted, settings, storage):
    dataset, files = accepted
    settings.DOWNLOAD_X_ACCEL_PREFIX = "/_protected/"

    response = client.get(file_url(dataset, files[0]))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected" + str((storage / "scan.nxs").resolve())
    assert response.content == b""
    assert DownloadLog.objects.get().bytes_sent is None


def test_harvested_dataset_files_come_from_the_record_folder(client, storage):
    dataset = make_dataset(
        source_folder="/pnfs/example.org/data/run1", is_published=True, embargo_end=None
    )
    files = with_files(dataset, ["scan.nxs"])
    HarvestRecord.objects.create(
        key="k" * 64,
        source=str(storage),
        kind="directory",
        folder=str(storage),
        dataset=dataset,
        state="new",
    )
    accept(client, dataset)

    assert body(client.get(file_url(dataset, files[0]))) == SCAN


# --- confinement -----------------------------------------------------------------------------


def _dataset_listing(storage, path):
    dataset = make_dataset(source_folder=str(storage), is_published=True, embargo_end=None)
    return dataset, with_files(dataset, [path])[0]


@pytest.mark.parametrize(
    "path", ["../../../outside.txt", "sub/../../../outside.txt", "/etc/hostname"]
)
def test_paths_leaving_the_roots_are_refused(client, storage, tmp_path, path):
    (tmp_path / "outside.txt").write_text("secret")
    dataset, datafile = _dataset_listing(storage, path)
    accept(client, dataset)

    response = client.get(file_url(dataset, datafile))

    assert response.status_code == 403
    assert b"secret" not in response.content
    assert "outside the storage areas" in response.content.decode()


def test_symlink_out_of_the_root_is_refused(client, storage, tmp_path):
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", storage / "link.txt")
    dataset, datafile = _dataset_listing(storage, "link.txt")
    accept(client, dataset)

    response = client.get(file_url(dataset, datafile))

    assert response.status_code == 403
    assert b"secret" not in response.content


def test_symlinked_folder_out_of_the_root_is_refused_in_zips_too(client, storage, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "data.bin").write_text("secret")
    os.symlink(tmp_path / "elsewhere", storage / "linked")
    dataset, _ = _dataset_listing(storage, "linked/data.bin")
    accept(client, dataset)

    response = client.get(zip_url(dataset))

    assert response.status_code == 403
    assert not DownloadLog.objects.exists()


def test_symlink_inside_the_root_is_followed(client, storage):
    os.symlink(storage / "scan.nxs", storage / "alias.nxs")
    dataset, datafile = _dataset_listing(storage, "alias.nxs")
    accept(client, dataset)

    assert body(client.get(file_url(dataset, datafile))) == SCAN


def test_missing_file_is_404_with_a_message(client, storage):
    dataset, datafile = _dataset_listing(storage, "gone.nxs")
    accept(client, dataset)

    response = client.get(file_url(dataset, datafile))

    assert response.status_code == 404
    assert "gone.nxs is not on the storage" in response.content.decode()


def test_file_of_another_dataset_is_404(client, accepted, storage):
    dataset, _ = accepted
    _, foreign = _dataset_listing(storage, "scan.nxs")

    response = client.get(file_url(dataset, foreign))

    assert response.status_code == 404


# --- zips --------------------------------------------------------------------------------------


def test_zip_of_the_whole_dataset_holds_every_file(client, accepted):
    dataset, _ = accepted

    response = client.get(zip_url(dataset))

    data = body(response)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"] == 'attachment; filename="powder-scan.zip"'
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["powder-scan/scan.nxs", "powder-scan/sub/notes.txt"]
        assert archive.read("powder-scan/scan.nxs") == SCAN
        assert archive.read("powder-scan/sub/notes.txt") == b"beam was stable\n"
    log = DownloadLog.objects.get()
    assert (log.kind, log.number_of_files, log.size) == (DownloadKind.ZIP, 2, len(data))
    assert log.bytes_sent == len(data) and log.completed


def test_zip_of_files_larger_than_a_read_keeps_bytes_dates_and_modes(client, accepted, storage):
    dataset, _ = accepted
    big = os.urandom(2 * READ_SIZE + 12_345)  # three reads, the CRC carried across them
    scan = storage / "scan.nxs"
    scan.write_bytes(big)
    scan.chmod(0o640)
    stamp = time.mktime((2024, 5, 6, 7, 8, 10, 0, 0, -1))  # local time, even seconds (DOS)
    os.utime(scan, (stamp, stamp))

    chunks = list(client.get(zip_url(dataset)).streaming_content)

    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        assert archive.testzip() is None  # every member's CRC-32 checks out
        member = archive.getinfo("powder-scan/scan.nxs")
        assert archive.read(member) == big
    assert member.date_time == (2024, 5, 6, 7, 8, 10)
    assert member.external_attr >> 16 == 0o100640
    # Streamed a read at a time, never the whole file at once: memory stays flat.
    assert max(len(chunk) for chunk in chunks) == READ_SIZE


def test_single_file_larger_than_a_read_arrives_whole_and_in_ranges(client, accepted, storage):
    dataset, files = accepted
    big = os.urandom(2 * READ_SIZE + 7)
    (storage / "scan.nxs").write_bytes(big)
    across = f"bytes={READ_SIZE - 5}-{READ_SIZE + 4}"

    whole = body(client.get(file_url(dataset, files[0])))
    part = body(client.get(file_url(dataset, files[0]), HTTP_RANGE=across))

    assert whole == big
    assert part == big[READ_SIZE - 5 : READ_SIZE + 5]


def test_zip_of_a_selection(client, accepted):
    dataset, files = accepted

    data = body(client.get(zip_url(dataset), {"files": str(files[1].pk)}))

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["powder-scan/sub/notes.txt"]


def test_zip_selection_from_the_page_checkboxes(client, accepted):
    dataset, files = accepted

    response = client.get(zip_url(dataset) + f"?files={files[0].pk}&files={files[1].pk}")

    with zipfile.ZipFile(io.BytesIO(body(response))) as archive:
        assert len(archive.namelist()) == 2


@pytest.mark.parametrize("files", ["abc", "1;2"])
def test_zip_with_a_bad_selection_is_400(client, accepted, files):
    dataset, _ = accepted

    assert client.get(zip_url(dataset), {"files": files}).status_code == 400


def test_zip_with_a_missing_file_is_refused_before_streaming(client, accepted, storage):
    dataset, _ = accepted
    (storage / "sub" / "notes.txt").unlink()

    response = client.get(zip_url(dataset))

    assert response.status_code == 404
    assert "sub/notes.txt" in response.content.decode()
    assert not DownloadLog.objects.exists()


def test_a_download_cut_short_is_logged_as_incomplete(accepted):
    dataset, _ = accepted
    log = download_log_start(
        user=None, dataset=dataset, kind=DownloadKind.ZIP, size=4, ip=None, number_of_files=1
    )
    stream = _counted(iter([b"ab", b"cd"]), log)

    next(stream)
    stream.close()  # what the server does when the client goes away

    log.refresh_from_db()
    assert (log.bytes_sent, log.completed) == (2, False)


def test_dataset_page_links_files_when_downloads_are_enabled(client, public_with_files):
    dataset, files = public_with_files

    html = client.get(reverse("portal:dataset", kwargs={"pid": dataset.pid})).content.decode()

    assert f'href="{file_url(dataset, files[0])}"' in html
    assert re.search(rf'action="{re.escape(zip_url(dataset))}"', html)
