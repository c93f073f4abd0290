"""Fixtures for the operations tests: a data dir of their own, a closed port, metric samples."""

from __future__ import annotations

import socket

import pytest
from prometheus_client.parser import text_string_to_metric_families


@pytest.fixture
def data_dir(settings, tmp_path):
    """FEDCAT_DATA_DIR for this test only: the heartbeat file is not the site's."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format, None if it is absent."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return None


def scrape(client, **headers) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    return response.content.decode()
