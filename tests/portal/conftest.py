"""Portal fixtures: a fresh search index per test, a storage root with real files, and a small
catalogue with one dataset per access situation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.services import origdatablock_add
from search.backends import reset_backends
from search.indexing import index_datasets
from tests.factories import make_dataset, make_user
from tests.portal.e2e.provider import configure, serve


@pytest.fixture
def index_dir(settings, tmp_path):
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    yield settings.SEARCH_INDEX_DIR
    reset_backends()


@pytest.fixture
def shared_user(db):
    return make_user("sam", "other-group", email="sam@example.org")


def indexed(*datasets):
    index_datasets([d.pid for d in datasets])
    return datasets


@pytest.fixture
def catalogue(index_dir):
    """Datasets of p-owner in each access situation, indexed, named after the situation."""
    now = timezone.now()
    kinds = {
        "private": {"creation_time": "2021-03-01T10:00:00Z"},
        "readers": {"access_groups": ["p-readers"], "creation_time": "2022-03-01T10:00:00Z"},
        "shared": {"shared_with": ["sam@example.org"], "creation_time": "2022-05-01T10:00:00Z"},
        "embargoed": {
            "embargo_end": (now + timedelta(days=400)).isoformat(),
            "creation_time": "2023-03-01T10:00:00Z",
        },
        "ended": {
            "embargo_end": (now - timedelta(days=1)).isoformat(),
            "creation_time": "2019-03-01T10:00:00Z",
        },
        "published": {"is_published": True, "creation_time": "2020-03-01T10:00:00Z"},
    }
    made = {}
    for kind, fields in kinds.items():
        fields.setdefault("embargo_end", None)
        made[kind] = make_dataset(
            dataset_name=f"Tomography {kind}",
            keywords=[f"kw-{kind}"],
            owner_group="p-owner" if kind != "published" else "p-other",
            **fields,
        )
    indexed(*made.values())
    return made


@pytest.fixture
def storage(settings, tmp_path):
    """A download root holding one dataset folder with two files; DOWNLOAD_ROOTS points at it."""
    root = tmp_path / "storage"
    folder = root / "p1" / "run1"
    (folder / "sub").mkdir(parents=True)
    (folder / "scan.nxs").write_bytes(SCAN)  # 10,240 bytes
    (folder / "sub" / "notes.txt").write_text("beam was stable\n")
    settings.DOWNLOAD_ROOTS = [str(root)]
    settings.DOWNLOAD_X_ACCEL_PREFIX = ""
    return folder


def with_files(dataset, paths):
    block = origdatablock_add(
        user=SYSTEM,
        dataset=dataset,
        files=[{"path": path, "size": 1, "chk": f"c{n:02d}"} for n, path in enumerate(paths)],
        chk_alg="sha256",
    )
    return list(block.files.order_by("id"))


@pytest.fixture
def public_with_files(db, storage):
    """A published dataset in the storage folder listing its two files."""
    dataset = make_dataset(
        dataset_name="Powder scan",
        source_folder=str(storage),
        is_published=True,
        embargo_end=None,
        license="CC-BY-4.0",
    )
    files = with_files(dataset, ["scan.nxs", "sub/notes.txt"])
    return dataset, files


# --- downloads ---------------------------------------------------------------------------------

SCAN = bytes(range(256)) * 40  # the content of storage/p1/run1/scan.nxs


def file_url(dataset, datafile) -> str:
    return reverse("portal:dataset-file", kwargs={"pid": dataset.pid, "file_id": datafile.pk})


def zip_url(dataset) -> str:
    return reverse("portal:dataset-zip", kwargs={"pid": dataset.pid})


def licence_url(dataset) -> str:
    return reverse("portal:dataset-licence", kwargs={"pid": dataset.pid})


def accept(client, dataset, next_url=""):
    return client.post(licence_url(dataset), {"accept": "on", "next": next_url})


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def accepted(client, public_with_files):
    """The public dataset with files, its licence accepted by `client`."""
    dataset, files = public_with_files
    accept(client, dataset)
    return dataset, files


@pytest.fixture(scope="session")
def oidc_provider():
    """The OIDC test provider on loopback, one per test process (each test reads its own calls)."""
    with serve() as provider:
        yield provider


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    return configure(settings, oidc_provider)
