"""Reads of the catalogue. Every dataset read asks the access rules first.

File lists are read by keyset pagination on the file id (`id > cursor ORDER BY id LIMIT n`): each
page costs the same however deep it is, pages never skip or repeat a file while others add
blocks, and no read ever holds a dataset's whole file list in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterator
from functools import cache
from types import SimpleNamespace

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.core.signals import setting_changed
from django.db import connections
from django.db.models import QuerySet
from django.dispatch import receiver

from catalogue.access import Action, can
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.models import DataFile, Dataset, HistoryEntry, OrigDatablock

MAX_PAGE = 10_000
MAX_PINNED_GROUPS = 100  # datasets_visible asks the rules once per group


def dataset_by_pid(pid: str) -> Dataset | None:
    """The dataset with `pid`, whoever asks (check access after). pyscicat quotes pids with
    quote_plus, so a space arrives as '+': when the literal pid is unknown, try that reading."""
    dataset = Dataset.objects.filter(pid=pid).order_by().first()
    if dataset is None and "+" in pid:
        dataset = Dataset.objects.filter(pid=pid.replace("+", " ")).order_by().first()
    return dataset


def dataset_get(*, user, pid: str) -> Dataset:
    """The dataset with `pid`; as SciCat: 404 when it does not exist, then 403 when not readable."""
    dataset = dataset_by_pid(pid)
    if dataset is None:
        raise NotFound(f"dataset: {pid} not found")
    _require_read(user, dataset)
    return dataset


def datasets_visible(user, *, owner_groups: frozenset[str] = frozenset()) -> QuerySet:
    """Dataset.objects.visible_to(user), for a caller whose own filter keeps only datasets of
    `owner_groups` (none: no such promise).

    When `user` may read every dataset of each of those groups, the access filter adds nothing
    and is left out: the rows are the same, but without its OR the database can count from the
    owner-group index alone instead of visiting every row. Whether that holds is asked of the
    rules themselves: `can` on a dataset that has its owner group and nothing else. The rules
    only ever add relations (published, access group, shared, ...) to a dataset, so what such a
    bare dataset grants, every dataset of the group grants. Otherwise the rules are told the
    groups too (their owner test then names only those of them that are the user's).
    """
    few = 0 < len(owner_groups) <= MAX_PINNED_GROUPS
    if few and all(_reads_whole_group(user, group) for group in owner_groups):
        return Dataset.objects.all()
    return Dataset.objects.visible_to(user, owner_groups=owner_groups)


def _reads_whole_group(user, owner_group: str) -> bool:
    return can(user, Action.READ, SimpleNamespace(**_bare_dataset(), owner_group=owner_group))


@cache
def _bare_dataset() -> dict:
    """The field values of a new Dataset(): what the rules see of a dataset with nothing set.
    A plain namespace of them costs a hundredth of building a model instance per request."""
    values = {field.attname: field.get_default() for field in Dataset._meta.concrete_fields}
    values.pop("owner_group")
    return values


def count(queryset: QuerySet) -> int:
    """queryset.count(), for a filter on the model's own table as `SELECT COUNT(*) FROM table
    WHERE ...` with the where compiled by the ORM: the same statement the ORM sends, without its
    aggregation machinery, which cost twice the database's own time for a count from an index.
    Anything else (joins, slices, distinct, annotations, unions) goes to queryset.count()."""
    statement = _count_statement(queryset)
    return queryset.count() if statement is None else _run_count(statement)


def _count_statement(queryset: QuerySet) -> tuple | None:
    """(database alias, SQL, params) of count(queryset); ZERO when it matches nothing; None when
    the ORM must count (see count)."""
    query = queryset.query
    table = query.model._meta.db_table
    if (
        query.distinct
        or query.combinator
        or query.is_sliced
        or query.annotations
        or query.group_by
        or list(query.alias_map) not in ([], [table])
    ):
        return None
    compiler = query.get_compiler(queryset.db)
    try:
        where, params = compiler.compile(query.where)
    except EmptyResultSet:
        return ZERO
    except FullResultSet:
        where, params = "", ()
    sql = f"SELECT COUNT(*) FROM {connections[queryset.db].ops.quote_name(table)}"
    return queryset.db, f"{sql} WHERE {where}" if where else sql, tuple(params)


def _run_count(statement: tuple) -> int:
    if statement is ZERO:
        return 0
    alias, sql, params = statement
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# key -> (database alias, SQL, params) of a count, ZERO, or None for a queryset count() cannot
# write itself. Cleared when full, and when a test changes the settings the rules read.
_COUNT_STATEMENTS: dict[Hashable, tuple | None] = {}
_COUNT_STATEMENTS_MAX = 1024
ZERO = ("", "", ())


def count_remembered(key: Hashable, build: Callable[[], QuerySet]) -> int:
    """count(build()), with the statement remembered under `key` in this process.

    For a caller whose queryset is a function of `key` alone (and of the settings): a request's
    filter and the Principal it is asked for. Building the queryset (the filter, the access
    rules) and compiling it cost the API more CPU than the database takes to count from an
    index; the statement they give is the same each time. It holds nothing of the moment it was
    built: the rules compare dates with the database's clock (access._relation_q).
    """
    statement = _COUNT_STATEMENTS.get(key, False)
    if statement is False:
        queryset = build()
        statement = _count_statement(queryset)
        if len(_COUNT_STATEMENTS) >= _COUNT_STATEMENTS_MAX:
            _COUNT_STATEMENTS.clear()
        _COUNT_STATEMENTS[key] = statement
        if statement is None:
            return queryset.count()
    elif statement is None:
        return build().count()
    return _run_count(statement)


@receiver(setting_changed)
def _forget_count_statements(**kwargs) -> None:
    _COUNT_STATEMENTS.clear()


def _require_read(user, dataset: Dataset) -> None:
    if not can(user, Action.READ, dataset):
        raise PermissionDenied("Unauthorized access")


def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{name} must be a positive integer, got {value!r}")
    return value


def _block_id(dataset: Dataset, origdatablock) -> uuid.UUID:
    """The id of `origdatablock` (an instance or an id), which must belong to `dataset`."""
    raw = getattr(origdatablock, "pk", origdatablock)
    try:
        block_id = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"origdatablock: {raw} not found") from exc
    if not OrigDatablock.objects.filter(pk=block_id, dataset_id=dataset.pk).exists():
        raise NotFound(f"origdatablock: {raw} not found")
    return block_id


def _files(dataset: Dataset, block_id: uuid.UUID | None) -> QuerySet[DataFile]:
    # The original files only: archive packages (datablocks) list their own, separately.
    files = DataFile.objects.filter(dataset_id=dataset.pk)
    if block_id is None:
        return files.filter(origdatablock__isnull=False)
    return files.filter(origdatablock_id=block_id)


def _page(files: QuerySet[DataFile], after_id, limit: int) -> tuple[list[DataFile], int | None]:
    if after_id is not None:
        files = files.filter(id__gt=after_id)
    # One row more than asked tells whether another page follows, without a COUNT.
    page = list(files.order_by("id")[: limit + 1])
    if len(page) > limit:
        del page[limit:]
        return page, page[-1].id
    return page, None


def datafiles_page(
    *,
    user,
    dataset: Dataset,
    after_id: int | None = None,
    limit: int = 1000,
    origdatablock=None,
) -> tuple[list[DataFile], int | None]:
    """One page of a dataset's files (or of one origdatablock's) in id order.

    Returns the files after `after_id` and the cursor of the next page (None on the last one).
    `limit` is capped at MAX_PAGE.
    """
    _require_read(user, dataset)
    limit = min(_positive(limit, "limit"), MAX_PAGE)
    if after_id is not None and (isinstance(after_id, bool) or not isinstance(after_id, int)):
        raise InvalidInput(f"after_id must be an integer, got {after_id!r}")
    block_id = None if origdatablock is None else _block_id(dataset, origdatablock)
    return _page(_files(dataset, block_id), after_id, limit)


def datafiles_iter(*, user, dataset: Dataset, chunk: int = 5000) -> Iterator[DataFile]:
    """All of a dataset's original files in id order, read `chunk` rows at a time.

    Access is checked here, at the call, not at the first next(): a zip download must be refused
    before its response starts.
    """
    _require_read(user, dataset)
    chunk = min(_positive(chunk, "chunk"), MAX_PAGE)
    return _iter_files(_files(dataset, None), chunk)


def _iter_files(files: QuerySet[DataFile], chunk: int) -> Iterator[DataFile]:
    after_id = None
    while True:
        page, after_id = _page(files, after_id, chunk)
        yield from page
        if after_id is None:
            return


def dataset_history(*, user, dataset: Dataset) -> QuerySet[HistoryEntry]:
    """The dataset's history entries, newest first."""
    _require_read(user, dataset)
    return HistoryEntry.objects.filter(subsystem="Dataset", document_id=dataset.pid).order_by(
        "-timestamp", "-id"
    )
