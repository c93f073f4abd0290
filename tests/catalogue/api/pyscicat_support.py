"""Driving fedcat with pyscicat 0.4.8 over real HTTP (tests/catalogue/api/test_pyscicat.py).

The server is pytest-django's `live_server` (a threaded server on the test database); the client
is pyscicat itself, unchanged, so every request is the one an ingestor's script sends: JSON
bodies dumped with `exclude_none`, the token in both `Authorization: Bearer` and
`?access_token=`, pids quoted with `quote_plus`.

Group settings follow pyscicat's own integration CI (`ADMIN_GROUPS=admin,ingestor`) and SciCat's
test configuration (test/config/.env) for the other tiers.
"""

from __future__ import annotations

from pathlib import Path

import requests
from pyscicat.client import ScicatClient, encode_thumbnail, get_file_mod_time, get_file_size
from pyscicat.model import DataFile, DerivedDataset, RawDataset

SCICAT_TEST_SETTINGS = {
    "ADMIN_GROUPS": ["admin", "ingestor"],
    "CREATE_DATASET_GROUPS": ["group1", "group2", "group3"],
    "CREATE_DATASET_WITH_PID_GROUPS": ["group2"],
    "CREATE_DATASET_PRIVILEGED_GROUPS": ["datasetingestor", "group3"],
    "UPDATE_DATASET_LIFECYCLE_GROUPS": ["archivemanager"],
    "DELETE_GROUPS": ["archivemanager"],
    "PROPOSAL_GROUPS": ["proposalingestor"],
    "SAMPLE_GROUPS": ["group1"],
    "SAMPLE_PRIVILEGED_GROUPS": ["sampleingestor"],
}

# A 1x1 PNG: what encode_thumbnail reads from a facility's preview image.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def api_url(live_server) -> str:
    return f"{live_server.url}/api/v3"


def password_of(user) -> str:
    return f"pw-{user.username}"  # tests.factories.make_user's convention


def client_for(live_server, user) -> ScicatClient:
    """A pyscicat client signed in with the user's password (POST auth/login)."""
    return ScicatClient(
        base_url=api_url(live_server), username=user.username, password=password_of(user)
    )


def login_token(live_server, user) -> str:
    response = requests.post(
        f"{api_url(live_server)}/auth/login",
        json={"username": user.username, "password": password_of(user)},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["id"]


def scicat_request(live_server, method: str, path: str, token: str | None = None, **kwargs):
    """A plain HTTP call for what pyscicat 0.4.8 has no method for (tokens, publishing)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        method, f"{api_url(live_server)}/{path}", headers=headers, timeout=30, **kwargs
    )


def data_files(folder: Path, names=("scan_0001.h5", "scan_0002.h5")) -> list[Path]:
    """Real files for get_file_size / get_file_mod_time, as an ingestor walks its folder."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, name in enumerate(names, start=1):
        path = folder / name
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100 * number))
        paths.append(path)
    return paths


def thumbnail_file(folder: Path) -> Path:
    path = folder / "preview.png"
    path.write_bytes(PNG_1X1)
    return path


def raw_dataset(folder: Path, *, owner_group: str = "group1", **overrides) -> RawDataset:
    """A RawDataset as an ingestor builds it: creationTime from get_file_mod_time (naive)."""
    first = data_files(folder)[0]
    fields = {
        "ownerGroup": owner_group,
        "accessGroups": ["group-readers"],
        "owner": "Ada Lovelace",
        "ownerEmail": "ada@example.org",
        "contactEmail": "ada@example.org",
        "sourceFolder": str(folder),
        "creationTime": get_file_mod_time(first),
        "datasetName": "Tomography scan 17",
        "description": "Absorption tomography of a limestone core",
        "keywords": ["tomography", "limestone"],
        "creationLocation": "/PSI/SLS/TOMCAT",
        "principalInvestigator": "Ada Lovelace",
        "dataFormat": "NeXus",
        "scientificMetadata": {
            "energy": {"value": 12.4, "unit": "keV"},
            "beamlineParameters": {"Ring current": {"v": 0.402246, "u": "A"}},
        },
    }
    fields.update(overrides)
    return RawDataset(**fields)


def derived_dataset(folder: Path, inputs: list[str], **overrides) -> DerivedDataset:
    first = data_files(folder, names=("reconstruction.tiff",))[0]
    fields = {
        "ownerGroup": "group1",
        "owner": "Ada Lovelace",
        "contactEmail": "ada@example.org",
        "sourceFolder": str(folder),
        "creationTime": get_file_mod_time(first),
        "investigator": "Ada Lovelace",
        "inputDatasets": inputs,
        "usedSoftware": ["https://github.com/tomopy/tomopy"],
        "jobParameters": {"algorithm": "gridrec"},
        "jobLogData": "reconstruction finished",
    }
    fields.update(overrides)
    return DerivedDataset(**fields)


def datafiles_of(paths: list[Path], root: Path) -> list[DataFile]:
    """DataFile entries without `time`, as pyscicat's examples write them."""
    return [DataFile(path=str(path.relative_to(root)), size=get_file_size(path)) for path in paths]


def thumbnail_of(folder: Path) -> str:
    return encode_thumbnail(thumbnail_file(folder), imType="png")
