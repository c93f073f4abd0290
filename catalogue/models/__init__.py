from .access_requests import AccessRequest, AccessRequestStatus
from .attachments import Attachment
from .audit import AccessEvent, AccessEventKind
from .base import Ownable, Queryable
from .datablocks import Datablock, DataFile, OrigDatablock
from .datasets import Dataset, DatasetQuerySet, DatasetTerm, DatasetType, HasTerm, TermKind
from .entities import Instrument, Proposal, Sample, Technique
from .harvest import HarvestRecord, HarvestRun, HarvestRunStatus, HarvestSourceKind, HarvestState
from .history import HistoryEntry, HistoryOperation
from .policies import DatasetPolicy, EmbargoNotice, Policy
from .publishing import PublishedData, PublishedDataStatus
from .tokens import ApiToken

__all__ = [
    "AccessEvent",
    "AccessEventKind",
    "AccessRequest",
    "AccessRequestStatus",
    "ApiToken",
    "Attachment",
    "DataFile",
    "Datablock",
    "Dataset",
    "DatasetPolicy",
    "DatasetQuerySet",
    "DatasetTerm",
    "DatasetType",
    "EmbargoNotice",
    "HarvestRecord",
    "HarvestRun",
    "HarvestRunStatus",
    "HarvestSourceKind",
    "HarvestState",
    "HasTerm",
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
