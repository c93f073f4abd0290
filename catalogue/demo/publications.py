"""The demo's publications: each proposal's published datasets under one DOI, as a paper's
data would be, registered through the same services as the publication form.

Without DataCite configured (`DATACITE_URL` empty, the default) the DOIs stay `reserved`, which
the pages say; with the stand-in or a test account they go on to findable.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from catalogue.access import SYSTEM
from catalogue.models import Dataset
from catalogue.services import published_data_create, published_data_register

from .records import LPNC, PEOPLE_NAMES, PROPOSALS


def _creator(username: str) -> dict:
    first, last = PEOPLE_NAMES[username].split()
    return {
        "name": f"{last}, {first}",
        "nameType": "Personal",
        "givenName": first,
        "familyName": last,
        "affiliation": [{"name": LPNC}],
    }


def publications_create(now: datetime) -> int:
    """One registered publication per proposal with published datasets; returns how many."""
    published = defaultdict(list)
    rows = Dataset.objects.filter(is_published=True).order_by("pid")
    for pid, proposals in rows.values_list("pid", "proposal_ids"):
        for proposal in proposals or []:
            published[proposal].append(pid)
    made = 0
    for proposal_id, _, pi, title, abstract, *_ in PROPOSALS:
        pids = published.get(proposal_id)
        if not pids:
            continue
        publisher = "Kestrel Observatory" if proposal_id == "ko-b014" else LPNC
        metadata = {
            "creators": [_creator(pi)],
            "publisher": {"name": publisher},
            "publicationYear": now.year,
            "types": {"resourceTypeGeneral": "Dataset"},
            "rightsList": ["CC-BY-4.0"],
            "subjects": [{"subject": word} for word in title.lower().split()[:3]],
        }
        record = published_data_create(
            user=SYSTEM,
            data={
                "title": f"Data for: {title}",
                "abstract": abstract,
                "dataset_pids": pids,
                "metadata": metadata,
            },
        )
        published_data_register(user=SYSTEM, record=record)
        made += 1
    return made
