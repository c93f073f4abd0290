"""dataFileList entries: checked, turned into rows and written in batches.

`files` is consumed lazily in batches of FILE_BATCH rows, each written in one go (COPY or
executemany, see _writer), so a list of 200,000 files never sits in memory.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection

from catalogue.errors import InvalidInput
from catalogue.models import DataFile, OrigDatablock

from ..common import as_int, clean_text, in_batches, parse_timestamp

FILE_BATCH = 5000
FILE_FIELDS = frozenset({"path", "size", "time", "chk", "uid", "gid", "perm", "type"})
# At most this many problems are listed by a validity check; the rest are counted.
MAX_REPORTED_ERRORS = 20
# The DataFile columns of one INSERT row, in order.
_COLUMNS = ("dataset", "origdatablock", "datablock", "path", "size", "time")
_COLUMNS += ("chk", "uid", "gid", "perm", "type")
_LIMIT = {name: DataFile._meta.get_field(name).max_length for name in FILE_FIELDS}


class _FileRows:
    """Turns dataFileList entries into INSERT rows for one block.

    This runs once per file, 200,000 times for a big list, so the common case is kept lean:
    error messages are only built on failure and the per-block constants are looked up once.
    """

    def __init__(self, link: tuple):
        self.link = link  # (dataset id, origdatablock id, datablock id)
        self.zone = zoneinfo.ZoneInfo(settings.SERVER_TIME_ZONE)
        self.adapt_time = _time_adapter()

    def __call__(self, index: int, entry) -> tuple:
        """The row for entry `index`; InvalidInput names the entry and the problem."""
        try:
            return self._row(entry)
        except InvalidInput as exc:
            raise InvalidInput(f"dataFileList[{index}]{exc.message}") from None

    def _row(self, entry) -> tuple:
        if not isinstance(entry, dict):
            raise InvalidInput(" must be an object")
        if not entry.keys() <= FILE_FIELDS:
            unknown = ", ".join(sorted(set(entry) - FILE_FIELDS))
            raise InvalidInput(f" has unknown fields: {unknown}")
        path = entry.get("path")
        # SciCat allows any string as a path; empty or NUL-carrying ones can never name a file.
        if not isinstance(path, str) or not path.strip():
            raise InvalidInput(".path must be a non-empty string")
        clean_text(path, ".path")
        size = entry.get("size")
        if size is None:
            raise InvalidInput(".size is required")
        if type(size) is not int or not 0 <= size < 2**63:  # as_int only for the odd cases
            size = as_int(size, ".size", minimum=0)
        return (
            *self.link,
            path,
            size,
            self._time(entry.get("time")),
            _text(entry.get("chk"), ".chk"),
            _text(entry.get("uid"), ".uid"),
            _text(entry.get("gid"), ".gid"),
            _text(entry.get("perm"), ".perm"),
            _text(entry.get("type"), ".type"),
        )

    def _time(self, value):
        # pyscicat leaves time out (upstream requires it): accepted, stored as unknown.
        if value is None or value == "":
            return None
        try:
            moment = datetime.fromisoformat(value)  # the usual form, fast
        except (TypeError, ValueError):
            moment = parse_timestamp(value, ".time")  # wider forms, or the error
        if moment.tzinfo is None:  # naive: the server's zone, as parse_timestamp reads it
            moment = moment.replace(tzinfo=self.zone)
        return self.adapt_time(moment)


def _time_adapter():
    """How an aware datetime goes into a raw INSERT on this backend."""
    if connection.vendor == "sqlite":
        # Django's SQLite format, naive text in the connection's zone, without its adapter's
        # per-call hasattr(value, "resolve_expression") miss: a third of the time per file.
        zone = connection.timezone
        return lambda moment: str(moment.astimezone(zone).replace(tzinfo=None))
    return connection.ops.adapt_datetimefield_value


def _text(value, label: str) -> str:
    if value is None:
        return ""
    if type(value) is int:
        value = str(value)  # uid, gid and perm arrive as numbers from os.stat
    return clean_text(value, label, max_length=_LIMIT[label[1:]])


def chk_alg_text(value) -> str:
    """pyscicat 0.4.8 types chkAlg as an int; SciCat stores a string."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    max_length = OrigDatablock._meta.get_field("chk_alg").max_length
    return clean_text(value, "chkAlg", max_length=max_length).strip()


def required_text(value, name: str, model, field: str) -> str:
    text = clean_text(value, name, max_length=model._meta.get_field(field).max_length)
    if not text.strip():
        raise InvalidInput(f"{name} must not be empty")
    return text


def _columns() -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(DataFile._meta.get_field(name).column) for name in _COLUMNS)


def _writer(cursor):
    """A function writing a list of rows: COPY on PostgreSQL, executemany elsewhere.

    Not bulk_create: the ORM spent over 90% of its time building model instances and SQL, and
    200,000 files took ~10x longer. On PostgreSQL executemany still runs one statement per
    file, and client-side-bound multi-row INSERTs cost more CPU still; COPY is the bulk path.
    """
    table = connection.ops.quote_name(DataFile._meta.db_table)
    if connection.vendor == "postgresql":
        copy_sql = f"COPY {table} ({_columns()}) FROM STDIN"

        def write(rows):
            with cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)

        return write
    marks = ", ".join(["%s"] * len(_COLUMNS))
    sql = f"INSERT INTO {table} ({_columns()}) VALUES ({marks})"
    return lambda rows: cursor.executemany(sql, rows)


def _entries(files):
    if isinstance(files, dict | str | bytes):
        raise InvalidInput("dataFileList must be a list of objects")
    try:
        return enumerate(files)
    except TypeError as exc:
        raise InvalidInput("dataFileList must be a list of objects") from exc


def insert_files(files: Iterable[dict], *, dataset, block) -> tuple[int, int]:
    """Inserts the files batch by batch; returns (count, total size). Empty lists are refused."""
    entries = _entries(files)
    block_id = OrigDatablock._meta.pk.get_db_prep_value(block.pk, connection)
    if isinstance(block, OrigDatablock):
        to_row = _FileRows((dataset.pk, block_id, None))
    else:
        to_row = _FileRows((dataset.pk, None, block_id))
    count = total = 0
    with connection.cursor() as cursor:
        write = _writer(cursor)
        for batch in in_batches(entries, FILE_BATCH):
            rows = [to_row(index, entry) for index, entry in batch]
            write(rows)
            count += len(rows)
            total += sum(row[4] for row in rows)
    if not count:
        raise InvalidInput("dataFileList must not be empty")
    return count, as_int(total, "the sum of the file sizes")


def file_problems(files) -> list[str]:
    """What is wrong with a dataFileList, without writing anything ([] when all is well)."""
    try:
        entries = _entries(files)
    except InvalidInput as exc:
        return [exc.message]
    to_row = _FileRows((None, None, None))
    problems, count = [], 0
    for index, entry in entries:
        count += 1
        try:
            to_row(index, entry)
        except InvalidInput as exc:
            problems.append(exc.message)
    if not count:
        return ["dataFileList must not be empty"]
    if len(problems) > MAX_REPORTED_ERRORS:
        more = len(problems) - MAX_REPORTED_ERRORS
        problems = [*problems[:MAX_REPORTED_ERRORS], f"... and {more} more problems"]
    return problems


def insert_block_files(parts: Iterable[tuple[list[dict], object, OrigDatablock]]) -> None:
    """insert_files for many (files, dataset, block) at once, every row in one COPY or
    executemany (a harvest batch: one statement, not one per dataset). Each list must hold a
    file; an entry that is not one is an InvalidInput, as there."""
    to_row = _FileRows((None, None, None))
    rows = []
    for files, dataset, block in parts:
        block_id = OrigDatablock._meta.pk.get_db_prep_value(block.pk, connection)
        to_row.link = (dataset.pk, block_id, None)
        rows += [to_row(index, entry) for index, entry in _entries(files)]
    with connection.cursor() as cursor:
        write = _writer(cursor)
        for batch in in_batches(rows, FILE_BATCH):
            write(batch)
