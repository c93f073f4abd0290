import pytest

from catalogue.access import SYSTEM
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.models import HistoryEntry, Instrument, Proposal, Sample
from catalogue.services import (
    attachment_add,
    instrument_create,
    instrument_delete,
    proposal_create,
    proposal_update,
    sample_create,
    sample_update,
    technique_ensure,
)
from tests.factories import make_dataset, make_user

PNG = "data:image/png;base64,iVBORw0KGgo="


def proposal_data(**overrides):
    data = {
        "proposal_id": "20261234",
        "email": "pi@example.org",
        "title": "Strain in additively manufactured steel",
        "owner_group": "p-owner",
    }
    return {**data, **overrides}


def test_proposal_create_needs_admin_or_proposal_group(owner, admin, settings):
    with pytest.raises(PermissionDenied):
        proposal_create(user=owner, data=proposal_data())
    settings.PROPOSAL_GROUPS = ["p-owner"]
    assert proposal_create(user=owner, data=proposal_data()).title.startswith("Strain")
    assert proposal_create(user=admin, data=proposal_data(proposal_id="2")).proposal_id == "2"


def test_proposal_create_rejects_duplicates_and_missing_fields(db):
    proposal_create(user=SYSTEM, data=proposal_data())
    with pytest.raises(Conflict):
        proposal_create(user=SYSTEM, data=proposal_data())
    with pytest.raises(InvalidInput, match="title"):
        proposal_create(user=SYSTEM, data=proposal_data(proposal_id="9", title=""))
    assert Proposal.objects.count() == 1


def test_proposal_update_records_before_and_after(db):
    proposal = proposal_create(user=SYSTEM, data=proposal_data())
    proposal_update(user=SYSTEM, proposal=proposal, changes={"title": "New title"})
    entry = HistoryEntry.objects.filter(subsystem="Proposal", operation="update").get()
    assert entry.before == {"title": "Strain in additively manufactured steel"}
    assert entry.after == {"title": "New title"}
    assert entry.user == "system"


def test_sample_characteristics_get_si_values_and_unknown_units_are_flagged(owner):
    sample = sample_create(
        user=owner,
        data={
            "owner_group": "p-owner",
            "sample_characteristics": {
                "thickness": {"value": 250, "unit": "µm"},
                "hardness": {"value": 7, "unit": "mohs"},
            },
        },
    )
    assert sample.sample_characteristics["thickness"]["valueSI"] == pytest.approx(2.5e-4)
    assert sample.sample_characteristics["thickness"]["unitSI"] == "m"
    assert "valueSI" not in sample.sample_characteristics["hardness"]
    assert [issue["path"] for issue in sample.unit_issues] == ["hardness"]
    assert len(sample.sample_id) == 36


def test_sample_of_another_group_needs_privileged_group(owner, settings):
    with pytest.raises(PermissionDenied):
        sample_create(user=owner, data={"owner_group": "someone-else"})
    settings.SAMPLE_PRIVILEGED_GROUPS = ["p-owner"]
    assert sample_create(user=owner, data={"owner_group": "someone-else"}).owner_group


def test_sample_cannot_be_moved_to_a_foreign_group(owner):
    sample = sample_create(user=owner, data={"owner_group": "p-owner"})
    with pytest.raises(PermissionDenied):
        sample_update(user=owner, sample=sample, changes={"owner_group": "someone-else"})
    assert Sample.objects.get(pk=sample.pk).owner_group == "p-owner"


def test_instrument_create_accepts_pyscicat_pid_and_defaults_unique_name(admin):
    instrument = instrument_create(
        user=admin,
        data={
            "pid": "inst/tomcat",
            "name": "TOMCAT",
            "custom_metadata": {"pixel": {"value": 6.5, "unit": "um"}},
        },
    )
    assert (instrument.pid, instrument.unique_name) == ("inst/tomcat", "TOMCAT")
    assert instrument.custom_metadata["pixel"]["valueSI"] == pytest.approx(6.5e-6)
    with pytest.raises(Conflict):
        instrument_create(user=admin, data={"name": "TOMCAT"})


def test_instrument_writes_are_for_admins_and_deletes_for_delete_groups(owner, admin, settings):
    with pytest.raises(PermissionDenied):
        instrument_create(user=owner, data={"name": "SAXS"})
    instrument = instrument_create(user=admin, data={"name": "SAXS"})
    with pytest.raises(PermissionDenied):
        instrument_delete(user=admin, instrument=instrument)
    settings.DELETE_GROUPS = ["admin"]
    assert instrument_delete(user=admin, instrument=instrument)["name"] == "SAXS"
    assert not Instrument.objects.exists()


def test_technique_ensure_is_idempotent(db):
    pid = "http://purl.org/pan-science/PaNET/PaNET01188"
    technique_ensure(pid=pid, name="small angle scattering")
    technique_ensure(pid=pid, name="small angle scattering")
    with pytest.raises(InvalidInput):
        technique_ensure(pid="", name="x")


def test_attachment_copies_groups_from_the_dataset_and_checks_the_owner(owner, outsider):
    dataset = make_dataset(access_groups=["p-readers"])
    attachment = attachment_add(user=owner, dataset=dataset, thumbnail=PNG, caption="preview")
    assert attachment.owner_group == "p-owner"
    assert attachment.access_groups == ["p-readers"]
    with pytest.raises(PermissionDenied):
        attachment_add(user=outsider, dataset=dataset, thumbnail=PNG)
    with pytest.raises(InvalidInput):
        attachment_add(user=owner, dataset=dataset, thumbnail="not a data uri")


def test_static_access_groups_let_members_write_samples(db, settings):
    settings.ACCESS_GROUPS_STATIC_VALUES = ["everyone"]
    user = make_user("sam")
    assert sample_create(user=user, data={"owner_group": "everyone"}).owner_group == "everyone"
