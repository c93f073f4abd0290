"""Harvest runs and records in the admin: readable by admins, written by nobody."""

import pytest
from django.urls import reverse

from catalogue.harvest.run import harvest
from catalogue.models import HarvestRecord, HarvestRun

from .test_ingest import write_nexus


@pytest.fixture
def harvested(db, tmp_path):
    (tmp_path / "bad.nxs").write_bytes(b"junk")
    write_nexus(tmp_path / "scan.nxs")
    return harvest([tmp_path], owner_group="g", workers=0, previews=False)


@pytest.mark.parametrize("model", [HarvestRun, HarvestRecord])
def test_admins_read_runs_and_records_but_cannot_add_change_or_delete(
    admin_client, harvested, model
):
    name = f"admin:catalogue_{model._meta.model_name}"
    obj = model.objects.first()

    assert admin_client.get(reverse(f"{name}_changelist")).status_code == 200
    page = admin_client.get(reverse(f"{name}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"{name}_delete", args=[obj.pk])).status_code == 403


def test_the_run_page_shows_the_summary_and_the_record_list_the_reason(admin_client, harvested):
    run_page = admin_client.get(reverse("admin:catalogue_harvestrun_change", args=[harvested.pk]))
    failed = admin_client.get(
        reverse("admin:catalogue_harvestrecord_changelist") + "?state__exact=failed"
    )

    assert "1 new, 0 updated, 0 unchanged, 1 failed" in run_page.content.decode()
    assert "not a recognised format" in failed.content.decode()
