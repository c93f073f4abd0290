"""Helpers shared by the /Datasets API tests (this module holds no tests).

Requests go through `clients.client_for` (a Bearer token, as SciCat clients send it). Group
settings are pinned so the environment cannot change what the tests expect.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest

BASE = "/api/v3/Datasets"
GROUP_SETTINGS = {
    "ADMIN_GROUPS": ["admin"],
    "DELETE_GROUPS": ["deleters"],
    "UPDATE_DATASET_LIFECYCLE_GROUPS": ["archivemanager"],
    "CREATE_DATASET_GROUPS": ["#all"],
    "CREATE_DATASET_WITH_PID_GROUPS": ["pid-ingestors"],
    "CREATE_DATASET_PRIVILEGED_GROUPS": ["ingestors"],
    "ACCESS_GROUPS_STATIC_VALUES": [],
    "DATASET_TYPES": ["raw", "derived"],
    "DATASET_PID_REGEX": "",
    "SERVER_TIME_ZONE": "UTC",
}


@pytest.fixture(autouse=True)
def group_settings(settings):
    for name, value in GROUP_SETTINGS.items():
        setattr(settings, name, value)


def item_url(pid: str, suffix: str = "") -> str:
    """The URL of one dataset, its pid percent-encoded as clients send it."""
    return f"{BASE}/{quote(pid, safe='')}{suffix}"


def with_params(path: str, **params) -> str:
    """`path?name=<json>`; strings are sent as they are, everything else as JSON."""
    encoded = {
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in params.items()
    }
    return f"{path}?{urlencode(encoded)}"


def raw_body(**overrides) -> dict:
    """A v3 raw dataset as pyscicat's RawDataset sends it."""
    body = {
        "type": "raw",
        "ownerGroup": "p-owner",
        "accessGroups": ["p-readers"],
        "owner": "Olivia Owner",
        "contactEmail": "olivia@example.org",
        "sourceFolder": "/data/p-owner/run0042/",
        "creationTime": "2026-02-01T09:30:00Z",
        "principalInvestigator": "Ada Lovelace",
        "creationLocation": "/PSI/SLS/TOMCAT",
        "proposalId": "20260001",
        "sampleId": "sample-7",
        "instrumentId": "tomcat",
        "keywords": ["tomography", "steel"],
        "isPublished": False,
        "scientificMetadata": {"energy": {"value": 12.4, "unit": "keV"}},
    }
    body.update(overrides)
    return body


def derived_body(**overrides) -> dict:
    body = {
        "type": "derived",
        "ownerGroup": "p-owner",
        "owner": "Olivia Owner",
        "contactEmail": "olivia@example.org",
        "sourceFolder": "/data/p-owner/reduced",
        "creationTime": "2026-02-02T10:00:00Z",
        "investigator": "Grace Hopper",
        "inputDatasets": ["fedcat/raw-1"],
        "usedSoftware": ["https://github.com/example/reduce"],
        "jobParameters": {"binning": 2},
    }
    body.update(overrides)
    return body


def pids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["pid"] for item in response.json()}
