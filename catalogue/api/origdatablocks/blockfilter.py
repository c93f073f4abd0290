"""`filter`, `fields` and `limits` of the block lists, turned into queryset operations.

Names are SciCat's: `_id`/`id`, `datasetId`, the camelCase block fields, and
`dataFileList.<path|size|time|chk|...>` for conditions on the files. fullquery's `fields` use
its vocabulary: `text` (case-insensitive substring of a file path or the dataset pid; upstream
uses a Mongo word search), `userGroups`, `mode` (a raw `where`), `{begin, end}` and `{min, max}`
ranges, lists as any-of, anything else as equality. Every bad name or value is a FilterError
(400) raised before a response starts streaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import and_

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from catalogue.models import Dataset, TermKind

from ..fields import model_field_resolver
from ..filters import Filter, Limits, parse_json_param, parse_limits
from ..where import FieldRef, FilterError, where_to_q

FILES = "dataFileList."
FILE_KINDS = {"path": "scalar", "size": "number", "time": "date", "chk": "scalar"}
FILE_KINDS |= {"uid": "scalar", "gid": "scalar", "perm": "scalar", "type": "scalar"}
# Model fields that are links, not values a client can compare.
LINKS = frozenset({"dataset", "files"})


def block_resolver(model: type[Model]):
    """Resolves SciCat names of `model`'s fields (OrigDatablock or Datablock) for where_to_q."""
    own = model_field_resolver(model)

    def resolve(name) -> FieldRef:
        if name in ("_id", "id"):
            return FieldRef(lookup="id", kind="uuid")
        if name == "datasetId":
            return FieldRef(lookup="dataset__pid")
        if isinstance(name, str) and name.startswith(FILES):
            return file_ref(name[len(FILES) :], prefix="files__")
        ref = own(name)
        if ref.lookup.split("__")[0] in LINKS:
            raise FilterError(f"unknown field {name!r}")
        return ref

    return resolve


def file_ref(name: str, *, prefix: str = "") -> FieldRef:
    if name not in FILE_KINDS:
        raise FilterError(f"unknown dataFileList field {name!r}")
    return FieldRef(lookup=prefix + name, kind=FILE_KINDS[name])


def _range(value: dict) -> dict | None:
    """fullquery's {begin, end} (dates) and {min, max} (numbers) as where operators."""
    for low, high in (("begin", "end"), ("min", "max")):
        if value and set(value) <= {low, high}:
            return {op: value[key] for op, key in (("gte", low), ("lte", high)) if key in value}
    return None


def _text_q(text) -> Q:
    if not isinstance(text, str) or not text.strip():
        raise FilterError("text must be a non-empty string")
    text = text.strip()
    return Q(files__path__icontains=text) | Q(dataset__pid__icontains=text)


def _groups_q(groups) -> Q:
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise FilterError("userGroups must be a list of group names")
    in_access = Dataset.objects.filter(terms__kind=TermKind.ACCESS_GROUP, terms__value__in=groups)
    return Q(dataset__owner_group__in=groups) | Q(dataset__in=in_access.values("pk"))


def fullquery_q(fields, resolve) -> Q:
    if fields in (None, {}):
        return Q()
    if not isinstance(fields, dict):
        raise FilterError("fields must be a JSON object")
    parts = []
    for key, value in fields.items():
        if key == "text":
            parts.append(_text_q(value))
        elif key == "userGroups":
            parts.append(_groups_q(value))
        elif key == "mode":
            parts.append(where_to_q(value, resolve))
        elif isinstance(value, list):
            condition = value[0] if len(value) == 1 else {"inq": value}
            parts.append(where_to_q({key: condition}, resolve))
        elif isinstance(value, dict):
            parts.append(where_to_q({key: _range(value) or value}, resolve))
        else:
            parts.append(where_to_q({key: value}, resolve))
    return reduce(and_, parts, Q())


@dataclass(frozen=True)
class BlockQuery:
    """A condition on blocks of `model`, their order and the page wanted."""

    model: type[Model]
    q: Q = field(default_factory=Q)
    limits: Limits = field(default_factory=Limits)
    fields: tuple[str, ...] = ()
    per_file: bool = False  # rows are files (fullquery/files): they may be ordered by file fields

    @classmethod
    def from_filter(cls, model, flt: Filter) -> BlockQuery:
        query = cls(model, where_to_q(flt.where, block_resolver(model)), flt.limits, flt.fields)
        query.check()
        return query

    @classmethod
    def from_fullquery(cls, model, fields_json, limits_json, *, per_file: bool = False):
        fields = parse_json_param(fields_json, "fields")
        limits = parse_limits(parse_json_param(limits_json, "limits"))
        query = cls(model, fullquery_q(fields, block_resolver(model)), limits, per_file=per_file)
        query.check()
        return query

    @property
    def with_files(self) -> bool:
        return not self.fields or "dataFileList" in self.fields

    def check(self) -> None:
        """Builds the SQL once: a bad value (an _id that is no uuid) fails here, as a 400."""
        self.narrow(self.model.objects.all())
        self._order(self._file_order if self.per_file else self._block_order)

    def narrow(self, records: QuerySet) -> QuerySet:
        if self.q == Q():
            return records
        try:
            # A subquery, not a join: conditions on files would repeat each block per file.
            return records.filter(pk__in=self.model.objects.filter(self.q).values("pk"))
        except (ValidationError, ValueError, TypeError) as exc:
            raise FilterError(f"invalid value in filter: {_message(exc)}") from exc

    def apply(self, records: QuerySet) -> QuerySet:
        ordered = self.narrow(records).order_by(*self._order(self._block_order))
        return ordered[self.limits.skip : self.limits.skip + self.limits.limit]

    def page_files(self, files: QuerySet) -> QuerySet:
        ordered = files.order_by(*self._order(self._file_order))
        return ordered[self.limits.skip : self.limits.skip + self.limits.limit]

    def _order(self, lookup_of) -> list[str]:
        order = [("-" if desc else "") + lookup_of(name) for name, desc in self.limits.order]
        return [*order, "id"]

    def _block_order(self, name: str) -> str:
        lookup = block_resolver(self.model)(name).lookup
        if lookup.startswith("files__"):  # would repeat each block once per file
            raise FilterError(f"blocks cannot be ordered by {name}")
        return lookup

    def _file_order(self, name: str) -> str:
        if name.startswith(FILES):
            return file_ref(name[len(FILES) :]).lookup
        return "origdatablock__" + self._block_order(name)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)
