"""The demo's files, the mapping that places them, and the curation done after the harvest.

The files say what was measured; the mapping (written next to them, as a site keeps one) says
whose data it is: one owner group per proposal, the beamline staff as an access group on the SAXS,
neutron and simulation data, and folders as datasets for the neutron runs and telescope nights.
What no file can say is done afterwards through the services, as curators would: publication,
sharing by e-mail, the links from derived data to their inputs, and the proposals' titles.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from catalogue.access import SYSTEM
from catalogue.models import HarvestRecord, Policy, Proposal
from catalogue.services import dataset_update, policy_create, proposal_update

from .beamlines import neutron, saxs, tomography
from .publications import publications_create
from .records import LPNC, PEOPLE_NAMES, PROPOSALS, YEAR, Fate, email_of
from .simulation import simulation
from .telescope import telescope

CAMPAIGNS = (tomography, saxs, neutron, telescope, simulation)
MAPPING_FILE = "harvest-mapping.json"
TELESCOPE_EMBARGO_YEARS = 1.0


def files_write(root: Path, now: datetime) -> dict[str, Fate]:
    """Writes every demo file under `root`; returns the curation of each source."""
    fates = {}
    for campaign in CAMPAIGNS:
        fates.update(campaign(root, now))
    return fates


def mapping_write(root: Path) -> Path:
    """The harvest mapping of the demo tree, as JSON next to the files."""
    proposal = r"/demo-files/lpnc/(?P<beamline>tomo|saxs|hrpt)/\d{4}/(?P<proposal>\d+)/"
    mapping = {
        "owner_group": "lpnc-data",
        "contact_email": "data@lpnc.example.org",
        "rules": [
            {
                "pattern": proposal.replace("tomo|saxs|hrpt", "tomo"),
                "owner_group": "p{proposal}",
                "proposal_id": "{proposal}",
                "access_groups": [],
            },
            {
                "pattern": proposal.replace("tomo|saxs|hrpt", "saxs"),
                "owner_group": "p{proposal}",
                "proposal_id": "{proposal}",
                "access_groups": ["lpnc-staff"],
            },
            {
                "pattern": proposal.replace("tomo|saxs|hrpt", "hrpt"),
                "owner_group": "p{proposal}",
                "proposal_id": "{proposal}",
                "access_groups": ["lpnc-staff"],
                "group_by": "directory",
            },
            {
                "pattern": r"/demo-files/kestrel/t12/\d{4}/(?P<programme>ko-[a-z]\d+)/",
                "owner_group": "{programme}",
                "proposal_id": "{programme}",
                "access_groups": [],
                "contact_email": email_of("dave"),
                "group_by": "directory",
            },
            {
                "pattern": r"/demo-files/lpnc/theory/",
                "owner_group": "lpnc-theory",
                "access_groups": ["lpnc-staff"],
            },
        ],
    }
    path = root / MAPPING_FILE
    path.write_text(json.dumps(mapping, indent=2) + "\n")
    return path


def policies_set() -> None:
    """The observatory's one-year proprietary period, before its datasets are made."""
    if not Policy.objects.filter(owner_group="ko-b014").exists():
        data = {
            "owner_group": "ko-b014",
            "embargo_period": TELESCOPE_EMBARGO_YEARS,
            # Shown with the licence before a first download (docs/policies.md).
            "usage_conditions": "Publications using these images acknowledge the Kestrel "
            "Observatory and cite the dataset.",
        }
        policy_create(user=SYSTEM, data=data)


def curate(root: Path, fates: dict[str, Fate], now: datetime) -> None:
    """Publication, sharing and input links on the harvested datasets; then the proposals."""
    records = HarvestRecord.objects.filter(source__startswith=str(root) + os.sep)
    datasets = {
        os.path.relpath(record.source, root): record.dataset
        for record in records.select_related("dataset")
        if record.dataset is not None
    }
    missing = sorted(set(fates) - set(datasets))
    if missing:
        raise RuntimeError(f"the demo harvest made no dataset of {', '.join(missing)}")
    for source, fate in fates.items():
        changes = {}
        if fate.published:
            changes.update(is_published=True, embargo_end=None)
        if fate.shared_with:
            changes["shared_with"] = list(fate.shared_with)
        if fate.inputs:
            changes["input_datasets"] = [datasets[name].pid for name in fate.inputs]
        if changes:
            dataset_update(user=SYSTEM, dataset=datasets[source], changes=changes)
    publications_create(now)
    # Last, as is_loaded() looks for a titled proposal: an interrupted load is loaded again.
    for pid_, _, pi, title, abstract, years_ago, days in reversed(PROPOSALS):
        proposal = Proposal.objects.get(pk=pid_)
        first, last = PEOPLE_NAMES[pi].split()
        start = now - years_ago * YEAR
        changes = {
            "title": title,
            "abstract": abstract,
            "pi_email": email_of(pi),
            "pi_firstname": first,
            "pi_lastname": last,
            "firstname": first,
            "lastname": last,
            "start_time": start,
            "end_time": start + timedelta(days=days),
            "metadata": {"facility": LPNC if pid_ != "ko-b014" else "Kestrel Observatory"},
        }
        proposal_update(user=SYSTEM, proposal=proposal, changes=changes)
