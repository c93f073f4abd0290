"""Byte-range parsing (RFC 9110) without HTTP around it."""

import pytest

from portal.downloads.ranges import ByteRange, Unsatisfiable, if_range_matches, parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=90-", ByteRange(90, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=-500", ByteRange(0, 99)),
        ("bytes=50-500", ByteRange(50, 99)),
        ("BYTES = 1 - 2", ByteRange(1, 2)),
    ],
)
def test_single_ranges(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize(
    "header",
    [None, "", "bytes=", "bytes=-", "bytes=5-1", "bytes=a-b", "lines=1-2", "bytes=0-1,3-4"],
)
def test_ranges_that_are_ignored(header):
    assert parse_range(header, 100) is None


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=100-", 100), ("bytes=-0", 100), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header, size):
    with pytest.raises(Unsatisfiable):
        parse_range(header, size)


def test_content_range_and_length():
    assert ByteRange(10, 19).content_range(100) == "bytes 10-19/100"
    assert ByteRange(10, 19).length == 10


def test_if_range_by_etag_and_by_date():
    mtime_ns = 1_700_000_000_123_456_789
    assert if_range_matches(None, '"a"', mtime_ns)
    assert if_range_matches('"a"', '"a"', mtime_ns)
    assert not if_range_matches('W/"a"', '"a"', mtime_ns)
    assert if_range_matches("Tue, 14 Nov 2023 22:13:20 GMT", '"a"', mtime_ns)
    assert not if_range_matches("Tue, 14 Nov 2023 22:13:21 GMT", '"a"', mtime_ns)
