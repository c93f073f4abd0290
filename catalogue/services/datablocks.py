"""Writes of file lists: OrigDatablocks (the files as found) and Datablocks (archive packages).

`files` is consumed lazily in batches of FILE_BATCH rows, each written in one go (COPY or
executemany, see _writer), so a list of 200,000 files never sits in memory. Each add is one
transaction: a bad file anywhere and nothing is written. The dataset's counters move by F()
expressions, so concurrent adds do not lose each other's updates, and each move leaves an
"update" entry in the dataset's history.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from catalogue.access import SYSTEM, Action, can
from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.models import Datablock, DataFile, Dataset, OrigDatablock

from .common import (
    actor_name,
    as_int,
    clean_text,
    in_batches,
    parse_timestamp,
    snapshot,
)
from .history import history_record

FILE_BATCH = 5000
FILE_FIELDS = frozenset({"path", "size", "time", "chk", "uid", "gid", "perm", "type"})
# The DataFile columns of one INSERT row, in order.
_COLUMNS = ("dataset", "origdatablock", "datablock", "path", "size", "time")
_COLUMNS += ("chk", "uid", "gid", "perm", "type")
_LIMIT = {name: DataFile._meta.get_field(name).max_length for name in FILE_FIELDS}


# --- Validation ----------------------------------------------------------------------------------


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


def _chk_alg(value) -> str:
    """pyscicat 0.4.8 types chkAlg as an int; SciCat stores a string."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    max_length = OrigDatablock._meta.get_field("chk_alg").max_length
    return clean_text(value, "chkAlg", max_length=max_length).strip()


def _required_text(value, name: str, model, field: str) -> str:
    text = clean_text(value, name, max_length=model._meta.get_field(field).max_length)
    if not text.strip():
        raise InvalidInput(f"{name} must not be empty")
    return text


# --- Shared steps --------------------------------------------------------------------------------


def _ownership(dataset: Dataset) -> dict:
    """SciCat copies these from the dataset; the client never sends them for a block."""
    return {
        "owner_group": dataset.owner_group,
        "access_groups": list(dataset.access_groups or []),
        "instrument_group": dataset.instrument_group,
        "is_published": dataset.is_published,
    }


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


def _insert_files(files: Iterable[dict], *, dataset: Dataset, block) -> tuple[int, int]:
    """Inserts the files batch by batch; returns (count, total size). Empty lists are refused."""
    if isinstance(files, dict | str | bytes):
        raise InvalidInput("dataFileList must be a list of objects")
    try:
        entries = enumerate(files)
    except TypeError as exc:
        raise InvalidInput("dataFileList must be a list of objects") from exc
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


def _move_counters(*, user, dataset: Dataset, deltas: dict[str, int]) -> None:
    """Adds `deltas` to the dataset's counters and records before/after in its history.

    The UPDATE locks the row until commit, so reading it back gives exactly our result and
    `before` is that minus our deltas, whatever other transactions did earlier.
    """
    updated = Dataset.objects.filter(pk=dataset.pk).update(
        **{name: F(name) + delta for name, delta in deltas.items()},
        updated_by=actor_name(user),
        updated_at=timezone.now(),
    )
    if not updated:
        raise NotFound(f"dataset: {dataset.pid} not found")
    after = Dataset.objects.filter(pk=dataset.pk).values(*deltas).get()
    before = {name: after[name] - delta for name, delta in deltas.items()}
    for name, value in after.items():
        setattr(dataset, name, value)  # the caller's copy shows the new counters
    history_record(user=user, instance=dataset, operation="update", before=before, after=after)


def _require(user, action: Action, dataset: Dataset, message: str) -> None:
    if not can(user, action, dataset):
        raise PermissionDenied(message)


# --- OrigDatablocks ------------------------------------------------------------------------------


@transaction.atomic
def origdatablock_add(
    *,
    user,
    dataset: Dataset,
    files: Iterable[dict],
    size: int | None = None,
    chk_alg: str | int = "",
) -> OrigDatablock:
    """Adds a block of files to a dataset; the dataset's size and numberOfFiles grow with it.

    The block's size is `size` when given (SciCat trusts the client's figure), else the sum of
    the file sizes.
    """
    _require(user, Action.UPDATE, dataset, "Unauthorized to update this dataset")
    declared = None if size is None else as_int(size, "size", minimum=0)
    actor = actor_name(user)
    block = OrigDatablock.objects.create(
        dataset=dataset,
        chk_alg=_chk_alg(chk_alg),
        created_by=actor,
        updated_by=actor,
        **_ownership(dataset),
    )
    count, total = _insert_files(files, dataset=dataset, block=block)
    block.size = total if declared is None else declared
    block.number_of_files = count
    block.save(update_fields=["size", "number_of_files"])
    _move_counters(
        user=user, dataset=dataset, deltas={"size": block.size, "number_of_files": count}
    )
    return block


@transaction.atomic
def origdatablock_delete(*, user, block: OrigDatablock) -> dict:
    """Deletes a block and its files, shrinking the dataset; returns the block's last state."""
    # The locked row, not the caller's copy: two deletes of one block must not subtract twice.
    locked = OrigDatablock.objects.select_for_update().filter(pk=block.pk).first()
    if locked is None:
        raise NotFound(f"origdatablock: {block.pk} not found")
    dataset = locked.dataset
    _require(user, Action.DELETE, dataset, "Forbidden resource")
    last_state = snapshot(locked)
    # Recorded first: delete() clears the instance's pk, which names the history document.
    history_record(user=user, instance=locked, operation="delete", before=last_state)
    locked.delete()
    _move_counters(
        user=user,
        dataset=dataset,
        deltas={"size": -locked.size, "number_of_files": -locked.number_of_files},
    )
    return last_state


# --- Datablocks ----------------------------------------------------------------------------------


@transaction.atomic
def datablock_add(
    *,
    user,
    dataset: Dataset,
    archive_id: str,
    version: str,
    files: Iterable[dict],
    size: int | None = None,
    packed_size: int = 0,
    chk_alg: str | int = "",
) -> Datablock:
    """Adds an archive package. The dataset's packedSize and numberOfFilesArchived grow; its
    size and numberOfFiles (the original files) stay as they are."""
    _require(user, Action.UPDATE, dataset, "Unauthorized to update this dataset")
    archive_id = _required_text(archive_id, "archiveId", Datablock, "archive_id")
    version = _required_text(version, "version", Datablock, "version")
    declared = None if size is None else as_int(size, "size", minimum=0)
    packed = as_int(packed_size, "packedSize", minimum=0)
    if Datablock.objects.filter(archive_id=archive_id).exists():
        raise Conflict(f"A datablock with archiveId {archive_id} already exists!")
    actor = actor_name(user)
    block = Datablock(
        dataset=dataset,
        archive_id=archive_id,
        version=version,
        packed_size=packed,
        chk_alg=_chk_alg(chk_alg),
        created_by=actor,
        updated_by=actor,
        **_ownership(dataset),
    )
    try:
        with transaction.atomic():
            block.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent add of the same archiveId won the race
        raise Conflict(f"A datablock with archiveId {archive_id} already exists!") from exc
    count, total = _insert_files(files, dataset=dataset, block=block)
    block.size = total if declared is None else declared
    block.number_of_files = count
    block.save(update_fields=["size", "number_of_files"])
    _move_counters(
        user=user,
        dataset=dataset,
        deltas={"packed_size": packed, "number_of_files_archived": count},
    )
    return block


@transaction.atomic
def datablock_delete(*, user, block: Datablock) -> dict:
    """Deletes an archive package and its files; returns the block's last state."""
    locked = Datablock.objects.select_for_update().filter(pk=block.pk).first()
    if locked is None:
        raise NotFound(f"datablock: {block.pk} not found")
    dataset = locked.dataset
    _require(user, Action.DELETE, dataset, "Forbidden resource")
    last_state = snapshot(locked)
    # Recorded first: delete() clears the instance's pk, which names the history document.
    history_record(user=user, instance=locked, operation="delete", before=last_state)
    locked.delete()
    _move_counters(
        user=user,
        dataset=dataset,
        deltas={
            "packed_size": -locked.packed_size,
            "number_of_files_archived": -locked.number_of_files,
        },
    )
    return last_state


# --- Repair --------------------------------------------------------------------------------------


@transaction.atomic
def dataset_recount(*, dataset_id: int) -> Dataset:
    """Recomputes a dataset's size and numberOfFiles from its origdatablocks' files.

    A repair tool (run by a task, as the system). The row is locked first, so an add that
    commits meanwhile either is counted here or applies its delta on top of our total.
    """
    dataset = Dataset.objects.select_for_update().filter(pk=dataset_id).first()
    if dataset is None:
        raise NotFound(f"dataset: {dataset_id} not found")
    totals = DataFile.objects.filter(dataset_id=dataset_id, origdatablock__isnull=False).aggregate(
        size=Sum("size"), number_of_files=Count("id")
    )
    after = {"size": totals["size"] or 0, "number_of_files": totals["number_of_files"]}
    before = {name: getattr(dataset, name) for name in after}
    if after != before:
        Dataset.objects.filter(pk=dataset_id).update(
            **after, updated_by=SYSTEM.username, updated_at=timezone.now()
        )
        for name, value in after.items():
            setattr(dataset, name, value)
        history_record(
            user=SYSTEM, instance=dataset, operation="update", before=before, after=after
        )
    return dataset
