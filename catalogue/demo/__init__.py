"""Demo data: a small, realistic catalogue to try fedcat with (`make demo`, `make run`).

The datasets come from files, as on a real site: `data_load` writes small NeXus, FITS and openPMD
files under FEDCAT_DATA_DIR/demo-files/ with a harvest mapping next to them, harvests them with
the code behind `manage.py harvest`, and then curates through the services what files cannot
say (campaigns.py). Two facilities: the Lakeside Photon and Neutron Centre (LPNC: a synchrotron
with a tomography and a SAXS beamline, a neutron powder diffractometer, and a theory group's
laser-plasma simulations) and the Kestrel Observatory (an imaging telescope). Four proposals,
their samples, instruments, techniques, file lists with checksums, previews, and 48 datasets in
every access state: published, embargoed, embargo ended (public by itself), private with an
access group, shared by e-mail.

Demo people (one shared password, generated once and kept in the data dir):

    alice  PI of the tomography and SAXS proposals (groups p443117, p443233)
    bob    PI of the neutron proposal (p443305); alice shares SAXS data with him
    carol  LPNC beamline scientist (lpnc-staff, an access group on SAXS, neutron and
           simulation data)
    dave   astronomer, PI of the telescope programme (ko-b014)
    oscar  signed in, in no group: sees only public data

Dates in the files are relative to the moment of loading, so the embargoes mean the same
whenever it runs. Self-contained: nothing else imports it.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from catalogue.models import Proposal

from .campaigns import curate, files_write, mapping_write, policies_set
from .records import PEOPLE, email_of

__all__ = [
    "ADMIN_USERNAME",
    "CREDENTIALS_FILE",
    "FILES_DIR",
    "PEOPLE",
    "data_load",
    "email_of",
    "is_loaded",
    "passwords_ensure",
    "users_ensure",
]

MARKER_PROPOSAL = "443117"  # titled by the last step of the load: the demo is loaded
CREDENTIALS_FILE = "demo_credentials.json"
FILES_DIR = "demo-files"
ADMIN_USERNAME = "admin"


def is_loaded() -> bool:
    return (
        Proposal.objects.filter(proposal_id=MARKER_PROPOSAL)
        .exclude(title=f"Proposal {MARKER_PROPOSAL}")  # the harvest's placeholder title
        .exists()
    )


@transaction.atomic
def data_load(*, now: datetime | None = None) -> int:
    """Writes, harvests and curates the demo unless it is there already; returns the datasets
    the harvest created."""
    from catalogue.harvest.run import HarvestError, harvest, summary

    if is_loaded():
        return 0
    now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    root = Path(settings.DATA_DIR) / FILES_DIR
    root.mkdir(parents=True, exist_ok=True)
    fates = files_write(root, now)
    mapping = mapping_write(root)
    policies_set()
    run = harvest([root], mapping_file=str(mapping), workers=0)
    if run.error or run.failed:
        raise HarvestError(f"the demo harvest did not succeed: {summary(run)}")
    curate(root, fates, now)
    return run.new


# --- Demo accounts -------------------------------------------------------------------------------


def passwords_ensure(path: Path) -> dict[str, str]:
    """The demo passwords ({"admin": ..., "demo": ...}), generated once and kept in `path`."""
    if path.exists():
        return json.loads(path.read_text())
    values = {ADMIN_USERNAME: secrets.token_urlsafe(12), "demo": secrets.token_urlsafe(9)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle, indent=2)
    return values


def users_ensure(*, passwords: dict[str, str]) -> list[str]:
    """Creates the demo admin and the demo people that are missing; never resets a password.

    Demo people are staff without any permission, only so that they can sign in through the
    admin login form until the portal has its own (the front page then lists what they may see).
    """
    created = []
    if not User.objects.filter(username=ADMIN_USERNAME).exists():
        User.objects.create_superuser(
            ADMIN_USERNAME, "admin@example.org", passwords[ADMIN_USERNAME]
        )
        created.append(ADMIN_USERNAME)
    for username, first, last, groups in PEOPLE:
        user, is_new = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": email_of(username)},
        )
        if is_new:
            user.is_staff = True
            user.set_password(passwords["demo"])
            user.save()
            user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
            created.append(username)
    return created
