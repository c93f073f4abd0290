"""`include` of the dataset filter: related records added to each dataset as arrays.

Relations: origdatablocks, datablocks, attachments (shown where the user may download, as the
sub-resource endpoints decide), proposals and samples (only those the user may read, so an
include never shows what GET /Proposals/{id} would refuse), instruments (public), and `all`.
Each relation costs one query for the whole page, not one per dataset. `scope` is not applied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from catalogue.access import Action, can
from catalogue.access_entities import proposals_visible_to, samples_visible_to
from catalogue.api.camel import iso, model_to_camel
from catalogue.api.where import FilterError
from catalogue.models import Attachment, Datablock, DataFile, Dataset, Instrument, OrigDatablock

RELATIONS = ("attachments", "datablocks", "instruments", "origdatablocks", "proposals", "samples")
BLOCK_HIDDEN = ("id", "dataset", "number_of_files")
FILE_TEXTS = ("chk", "uid", "gid", "perm", "type")


def relation_names(include: Iterable[dict]) -> tuple[str, ...]:
    names = []
    for item in include:
        name = str(item.get("relation", "")).lower()
        if name == "all":
            names.extend(RELATIONS)
        elif name in RELATIONS:
            names.append(name)
        else:
            raise FilterError(
                f"unknown relation {item.get('relation')!r}; use {', '.join(RELATIONS)} or all"
            )
    return tuple(dict.fromkeys(names))


def related(user, datasets: list[Dataset], names: Iterable[str]) -> dict[int, dict[str, list]]:
    """{dataset pk: {relation: [records as SciCat JSON]}} for the datasets of one page."""
    found: dict[int, dict[str, list]] = {d.pk: {} for d in datasets}
    downloadable = [d for d in datasets if can(user, Action.DOWNLOAD, d)]
    for name in names:
        loader = LOADERS[name]
        rows = loader(user, downloadable if name in DOWNLOAD_ONLY else datasets)
        for dataset in datasets:
            found[dataset.pk][name] = rows.get(dataset.pk, [])
    return found


def _file(row: DataFile) -> dict:
    data = {"path": row.path, "size": row.size}
    if row.time is not None:
        data["time"] = iso(row.time)
    for name in FILE_TEXTS:
        if getattr(row, name):
            data[name] = getattr(row, name)
    return data


def _blocks(model, datasets: list[Dataset]) -> dict[int, list]:
    pids = {d.pk: d.pid for d in datasets}
    blocks = list(model.objects.filter(dataset_id__in=pids).order_by("created_at", "id"))
    link = "origdatablock_id" if model is OrigDatablock else "datablock_id"
    files = defaultdict(list)
    rows = DataFile.objects.filter(**{f"{link}__in": [b.pk for b in blocks]}).order_by("id")
    for row in rows.iterator(chunk_size=5000):
        files[getattr(row, link)].append(_file(row))
    found = defaultdict(list)
    for block in blocks:
        doc = {"_id": str(block.pk), "id": str(block.pk), "datasetId": pids[block.dataset_id]}
        doc.update(model_to_camel(block, exclude=BLOCK_HIDDEN))
        doc["dataFileList"] = files[block.pk]
        found[block.dataset_id].append(doc)
    return found


def _origdatablocks(user, datasets):
    return _blocks(OrigDatablock, datasets)


def _datablocks(user, datasets):
    return _blocks(Datablock, datasets)


def _attachments(user, datasets):
    pids = {d.pk: d.pid for d in datasets}
    found = defaultdict(list)
    for row in Attachment.objects.filter(dataset_id__in=pids).order_by("created_at", "id"):
        doc = {"_id": str(row.pk), "id": str(row.pk), "datasetId": pids[row.dataset_id]}
        doc.update(model_to_camel(row, exclude=("id", "dataset", "proposal", "sample")))
        found[row.dataset_id].append(doc)
    return found


def _by_ids(datasets, attribute: str, records: dict) -> dict[int, list]:
    found = {}
    for dataset in datasets:
        ids = getattr(dataset, attribute) or []
        found[dataset.pk] = [{"_id": i, **records[i]} for i in ids if i in records]
    return found


def _wanted(datasets, attribute: str) -> set:
    return {value for d in datasets for value in getattr(d, attribute) or []}


def _proposals(user, datasets):
    rows = proposals_visible_to(user).filter(proposal_id__in=_wanted(datasets, "proposal_ids"))
    records = {row.proposal_id: model_to_camel(row, exclude=("embargo_period",)) for row in rows}
    return _by_ids(datasets, "proposal_ids", records)


def _samples(user, datasets):
    rows = samples_visible_to(user).filter(sample_id__in=_wanted(datasets, "sample_ids"))
    records = {row.sample_id: model_to_camel(row, exclude=("unit_issues",)) for row in rows}
    return _by_ids(datasets, "sample_ids", records)


def _instruments(user, datasets):
    rows = Instrument.objects.filter(pid__in=_wanted(datasets, "instrument_ids"))
    records = {row.pid: model_to_camel(row, exclude=("unit_issues",)) for row in rows}
    return _by_ids(datasets, "instrument_ids", records)


LOADERS = {
    "attachments": _attachments,
    "datablocks": _datablocks,
    "instruments": _instruments,
    "origdatablocks": _origdatablocks,
    "proposals": _proposals,
    "samples": _samples,
}
DOWNLOAD_ONLY = frozenset({"attachments", "datablocks", "origdatablocks"})
