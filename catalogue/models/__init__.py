from .attachments import Attachment
from .base import Ownable, Queryable
from .datablocks import Datablock, DataFile, OrigDatablock
from .datasets import Dataset, DatasetQuerySet, DatasetTerm, DatasetType, TermKind
from .entities import Instrument, Proposal, Sample, Technique
from .harvest import HarvestRecord, HarvestRun, HarvestRunStatus, HarvestSourceKind, HarvestState
from .history import HistoryEntry, HistoryOperation
from .policies import Policy
from .publishing import PublishedData, PublishedDataStatus
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "Attachment",
    "DataFile",
    "Datablock",
    "Dataset",
    "DatasetQuerySet",
    "DatasetTerm",
    "DatasetType",
    "HarvestRecord",
    "HarvestRun",
    "HarvestRunStatus",
    "HarvestSourceKind",
    "HarvestState",
    "HistoryEntry",
    "HistoryOperation",
    "Instrument",
    "OrigDatablock",
    "Ownable",
    "Policy",
    "Proposal",
    "PublishedData",
    "PublishedDataStatus",
    "Queryable",
    "Sample",
    "Technique",
    "TermKind",
]
