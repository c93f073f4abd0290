"""URLs and request bodies shared by the block and attachment API tests."""

from __future__ import annotations

import json
from urllib.parse import quote

from catalogue.models import Dataset

FILE_TIME = "2026-01-15 10:00:00.123456"  # pyscicat's get_file_mod_time: naive, space-separated


def nested(dataset, suffix: str = "origdatablocks") -> str:
    return f"/api/v3/Datasets/{quote(dataset.pid, safe='')}/{suffix}"


def body(response):
    """The JSON of a response, streamed or not (a stream can be read once: kept on it)."""
    if not hasattr(response, "parsed"):
        streamed = response.streaming
        response.parsed = (
            json.loads(b"".join(response.streaming_content)) if streamed else response.json()
        )
    return response.parsed


def files(count: int, *, size: int = 100, start: int = 0):
    for number in range(start, start + count):
        yield {"path": f"raw/scan_{number:06d}.h5", "size": size, "time": FILE_TIME, "uid": "1000"}


def pyscicat_block(count: int = 2, size: int = 100) -> dict:
    """CreateDatasetOrigDatablockDto as pyscicat 0.4.8 dumps it: chkAlg an int, no `time`."""
    return {
        "chkAlg": 1,
        "size": count * size,
        "dataFileList": [
            {"path": f"f{n}.tif", "size": size, "perm": "-rw-r--r--"} for n in range(count)
        ],
    }


def counters(dataset) -> tuple[int, int]:
    stored = Dataset.objects.get(pk=dataset.pk)
    return stored.size, stored.number_of_files
