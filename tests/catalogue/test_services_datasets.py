"""Dataset services: create, update, delete and bulk create, with their side effects."""

import uuid
from datetime import UTC, datetime

import pytest

from catalogue.access import SYSTEM
from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.models import (
    Datablock,
    DataFile,
    Dataset,
    DatasetTerm,
    HistoryEntry,
    OrigDatablock,
    Policy,
    Proposal,
)
from catalogue.services import (
    datablock_add,
    dataset_bulk_create,
    dataset_create,
    dataset_delete,
    dataset_update,
    origdatablock_add,
)
from tests.factories import dataset_data, make_dataset, make_user


def written():
    """How many rows each table touched by dataset creation holds."""
    return {
        model.__name__: model.objects.count()
        for model in (Dataset, Policy, HistoryEntry, DatasetTerm)
    }


def terms(dataset, kind):
    return set(
        DatasetTerm.objects.filter(dataset=dataset, kind=kind).values_list("value", flat=True)
    )


def make_proposal(proposal_id="p1234", **extra):
    return Proposal.objects.create(
        proposal_id=proposal_id, email="pi@example.org", title="Beamtime", **extra
    )


@pytest.fixture
def deleter(db, settings):
    settings.DELETE_GROUPS = ["deleters"]
    return make_user("dora", "deleters")


# --- dataset_create: identifiers and permissions -------------------------------------------------


def test_server_pid_is_the_prefix_and_a_uuid(owner, settings):
    settings.PID_PREFIX = "20.500.12269"

    dataset = dataset_create(user=owner, data=dataset_data())

    prefix, rest = dataset.pid.split("/", 1)
    assert prefix == "20.500.12269"
    assert uuid.UUID(rest).version == 4


def test_plain_creator_may_not_choose_a_pid(owner):
    with pytest.raises(PermissionDenied, match="with a pid"):
        dataset_create(user=owner, data=dataset_data(pid="mine/1"))

    assert not Dataset.objects.exists()


def test_pid_group_member_may_choose_a_pid_for_an_own_group_only(db, settings):
    settings.CREATE_DATASET_WITH_PID_GROUPS = ["pid-makers"]
    user = make_user("pia", "p-owner", "pid-makers")

    dataset = dataset_create(user=user, data=dataset_data(pid="mine/1"))

    assert dataset.pid == "mine/1"
    with pytest.raises(PermissionDenied):
        dataset_create(user=user, data=dataset_data(pid="mine/2", owner_group="p-other"))


def test_privileged_creator_may_choose_any_group_and_pid(db, settings):
    settings.CREATE_DATASET_PRIVILEGED_GROUPS = ["ingestors"]
    user = make_user("ivan", "ingestors")

    dataset = dataset_create(user=user, data=dataset_data(pid="x/1", owner_group="p-any"))

    assert (dataset.pid, dataset.owner_group) == ("x/1", "p-any")


@pytest.mark.parametrize("persona", ["outsider", "member"])
def test_creating_for_a_group_one_is_not_in_is_refused(request, persona):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        dataset_create(user=user, data=dataset_data())


def test_anonymous_may_not_create(db):
    with pytest.raises(PermissionDenied, match="Forbidden resource"):
        dataset_create(user=None, data=dataset_data())


def test_client_pid_must_match_the_configured_regex(admin, settings):
    settings.DATASET_PID_REGEX = r"^scicat_testing/[0-9a-f-]{36}$"
    good = f"scicat_testing/{uuid.uuid4()}"

    with pytest.raises(InvalidInput, match="PID is not following required standards"):
        dataset_create(user=admin, data=dataset_data(pid="scicat_testing/nope"))
    assert dataset_create(user=admin, data=dataset_data(pid=good)).pid == good


def test_unanchored_pid_regex_is_a_search_as_in_scicat(admin, settings):
    settings.DATASET_PID_REGEX = r"^20\.500\.12269/"

    dataset = dataset_create(user=admin, data=dataset_data(pid="20.500.12269/abc"))

    assert dataset.pid == "20.500.12269/abc"


def test_duplicate_pid_is_a_conflict_and_writes_nothing(admin):
    proposal = make_proposal()
    make_dataset(user=admin, pid="dup/1")
    before = written()

    with pytest.raises(Conflict, match="dup/1 already exists"):
        dataset_create(
            user=admin,
            data=dataset_data(pid="dup/1", owner_group="p-new", proposal_ids=[proposal.pk]),
        )

    assert written() == before
    assert not Policy.objects.filter(owner_group="p-new").exists()
    proposal.refresh_from_db()
    assert proposal.number_of_datasets == 0


# --- dataset_create: validation ------------------------------------------------------------------


def test_missing_required_fields_are_named(owner):
    data = dataset_data()
    del data["owner"], data["contact_email"]

    with pytest.raises(InvalidInput) as raised:
        dataset_create(user=owner, data=data)

    assert "owner" in raised.value.message
    assert "contact_email" in raised.value.message


def test_unknown_field_is_refused_by_name(owner):
    with pytest.raises(InvalidInput, match="unknown dataset fields: colour"):
        dataset_create(user=owner, data=dataset_data(colour="red"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size", "big"),
        ("size", True),
        ("owner", 5),
        ("is_published", "yes"),
        ("keywords", "tomography"),
        ("keywords", [1, 2]),
        ("techniques", ["PaNET01188"]),
        ("creation_time", "yesterday"),
        ("data_quality_metrics", "good"),
        ("scientific_metadata", ["not", "an", "object"]),
        ("type", "fancy"),
        ("dataset_name", "x" * 501),
    ],
)
def test_value_of_the_wrong_type_is_refused_by_field_name(owner, field, value):
    with pytest.raises(InvalidInput, match=field):
        dataset_create(user=owner, data=dataset_data(**{field: value}))

    assert not Dataset.objects.exists()


def test_null_optional_field_takes_its_default(owner):
    dataset = dataset_create(user=owner, data=dataset_data(description=None, keywords=None))

    assert (dataset.description, dataset.keywords) == ("", [])


def test_source_folder_loses_its_trailing_slash(owner):
    dataset = dataset_create(user=owner, data=dataset_data(source_folder="/data/p1/run7/"))

    assert dataset.source_folder == "/data/p1/run7"


def test_dataset_name_defaults_to_the_last_two_folder_names(owner):
    named = dataset_create(user=owner, data=dataset_data(source_folder="/data/p1234/run0001/"))
    kept = dataset_create(user=owner, data=dataset_data(dataset_name="Mine"))

    assert named.dataset_name == "p1234/run0001"
    assert kept.dataset_name == "Mine"


def test_naive_pyscicat_time_is_read_in_the_server_time_zone(owner, settings):
    settings.SERVER_TIME_ZONE = "Europe/Zurich"

    dataset = dataset_create(
        user=owner, data=dataset_data(creation_time="2026-01-15 10:00:00.123456")
    )

    dataset.refresh_from_db()
    assert dataset.creation_time == datetime(2026, 1, 15, 9, 0, 0, 123456, tzinfo=UTC)


# --- dataset_create: policy and embargo ----------------------------------------------------------


def test_first_dataset_of_a_group_creates_its_default_policy(owner, settings):
    settings.EMBARGO_PERIOD_YEARS = 2.0

    make_dataset(user=owner)
    make_dataset(user=owner)

    policy = Policy.objects.get(owner_group="p-owner")
    assert policy.embargo_period == 2.0
    assert Policy.objects.count() == 1


def test_embargo_ends_a_period_after_the_end_of_the_experiment(owner, settings):
    settings.EMBARGO_PERIOD_YEARS = 3.0

    ended = make_dataset(user=owner, end_time="2026-02-01T00:00:00Z")
    created = make_dataset(user=owner, creation_time="2026-01-15T10:00:00Z")

    assert ended.embargo_end == datetime(2029, 2, 1, tzinfo=UTC)
    assert created.embargo_end == datetime(2029, 1, 15, 10, tzinfo=UTC)


def test_existing_group_policy_sets_the_embargo(owner):
    Policy.objects.create(owner_group="p-owner", embargo_period=1.0)

    dataset = make_dataset(user=owner, creation_time="2026-01-15T10:00:00Z")

    assert dataset.embargo_end == datetime(2027, 1, 15, 10, tzinfo=UTC)


def test_proposal_embargo_period_overrides_the_group_policy(owner):
    make_proposal("p77", embargo_period=0.0)

    dataset = make_dataset(user=owner, proposal_ids=["p77"], creation_time="2026-01-15T10:00:00Z")

    assert dataset.embargo_end == datetime(2026, 1, 15, 10, tzinfo=UTC)


def test_published_dataset_has_no_embargo_end(owner):
    assert make_dataset(user=owner, is_published=True).embargo_end is None


# --- dataset_create: metadata, proposals, terms --------------------------------------------------


def test_quantities_get_si_values_and_unknown_units_are_recorded(owner):
    metadata = {
        "energy": {"value": 12.4, "unit": "keV"},
        "mood": {"value": 3, "unit": "furlongs/blorp"},
    }

    dataset = make_dataset(user=owner, scientific_metadata=metadata)

    dataset.refresh_from_db()
    energy = dataset.scientific_metadata["energy"]
    assert energy["unitSI"] == "J"
    assert energy["valueSI"] == pytest.approx(12.4 * 1.602176634e-16)
    assert "valueSI" not in dataset.scientific_metadata["mood"]
    assert dataset.unit_issues == [{"path": "mood", "unit": "furlongs/blorp", "reason": "unknown"}]


def test_client_cannot_set_system_fields(owner):
    dataset = make_dataset(user=owner, created_by="mallory", unit_issues=["fake"])

    assert dataset.created_by == "olivia"
    assert dataset.unit_issues == []


def test_proposal_counts_its_datasets_up_and_down(owner, deleter):
    proposal = make_proposal()
    dataset = make_dataset(user=owner, proposal_ids=["p1234"])
    make_dataset(user=owner, proposal_ids=["p1234"])
    proposal.refresh_from_db()
    assert proposal.number_of_datasets == 2

    dataset_delete(user=deleter, dataset=dataset)

    proposal.refresh_from_db()
    assert proposal.number_of_datasets == 1


def test_deleting_a_dataset_of_a_proposal_registered_later_keeps_the_count_at_zero(owner, deleter):
    dataset = make_dataset(user=owner, proposal_ids=["late"])
    proposal = make_proposal("late")

    dataset_delete(user=deleter, dataset=dataset)

    proposal.refresh_from_db()
    assert proposal.number_of_datasets == 0


def test_terms_mirror_the_array_fields(owner):
    dataset = make_dataset(
        user=owner,
        access_groups=["p-readers"],
        shared_with=["Guest@Example.org"],
        keywords=["tomo", "tomo", "bone"],
        techniques=[{"pid": "PaNET01188", "name": "tomography"}],
    )

    assert terms(dataset, "access_group") == {"p-readers"}
    assert terms(dataset, "shared_with") == {"guest@example.org"}
    assert terms(dataset, "keyword") == {"tomo", "bone"}
    assert terms(dataset, "technique") == {"PaNET01188"}


# --- dataset_update ------------------------------------------------------------------------------


def test_update_records_only_changed_fields_and_the_user(owner):
    dataset = make_dataset(user=owner, description="old", keywords=["a"])

    dataset_update(
        user=owner,
        dataset=dataset,
        changes={"description": "new", "keywords": ["a"], "owner": dataset.owner},
    )

    entry = HistoryEntry.objects.filter(document_id=dataset.pid, operation="update").get()
    assert (entry.before, entry.after, entry.user) == (
        {"description": "old"},
        {"description": "new"},
        "olivia",
    )


def test_update_that_changes_nothing_records_nothing(owner):
    dataset = make_dataset(user=owner, description="same", creation_time="2026-01-15T10:00:00Z")

    # pyscicat sends the whole model back, times possibly in another offset.
    dataset_update(
        user=owner,
        dataset=dataset,
        changes={"description": "same", "creation_time": "2026-01-15T11:00:00+01:00"},
    )

    assert not HistoryEntry.objects.filter(operation="update").exists()


def test_update_keeps_terms_in_sync(owner):
    dataset = make_dataset(user=owner, access_groups=["p-readers"], keywords=["a"])

    dataset_update(
        user=owner, dataset=dataset, changes={"access_groups": ["p-new"], "keywords": ["b"]}
    )

    assert terms(dataset, "access_group") == {"p-new"}
    assert terms(dataset, "keyword") == {"b"}


def test_update_moves_proposal_counts(owner):
    first, second = make_proposal("p1"), make_proposal("p2")
    dataset = make_dataset(user=owner, proposal_ids=["p1"])

    dataset_update(user=owner, dataset=dataset, changes={"proposal_ids": ["p2"]})

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.number_of_datasets, second.number_of_datasets) == (0, 1)


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_only_owner_or_admin_may_update(request, owner, admin, persona):
    dataset = make_dataset(user=owner, access_groups=["p-readers"])

    with pytest.raises(PermissionDenied, match="Unauthorized to update this dataset"):
        dataset_update(
            user=request.getfixturevalue(persona), dataset=dataset, changes={"comment": "x"}
        )
    dataset_update(user=admin, dataset=dataset, changes={"comment": "by admin"})

    dataset.refresh_from_db()
    assert dataset.comment == "by admin"


def test_lifecycle_manager_may_change_only_the_lifecycle(owner, settings):
    settings.UPDATE_DATASET_LIFECYCLE_GROUPS = ["archivists"]
    archivist = make_user("arch", "archivists")
    dataset = make_dataset(user=owner)
    lifecycle = {**dataset.datasetlifecycle, "archiveStatusMessage": "isOnTape"}

    dataset_update(user=archivist, dataset=dataset, changes={"datasetlifecycle": lifecycle})
    with pytest.raises(PermissionDenied):
        dataset_update(
            user=archivist,
            dataset=dataset,
            changes={"datasetlifecycle": lifecycle, "comment": "x"},
        )

    dataset.refresh_from_db()
    assert dataset.datasetlifecycle["archiveStatusMessage"] == "isOnTape"
    assert dataset.comment == ""


def test_update_ignores_pid_and_version(owner):
    dataset = make_dataset(user=owner)

    updated = dataset_update(
        user=owner, dataset=dataset, changes={"pid": "other/1", "version": "9", "comment": "x"}
    )

    updated.refresh_from_db()
    assert (updated.pid, updated.version, updated.comment) == (dataset.pid, "3", "x")


def test_update_checks_types_like_create(owner):
    dataset = make_dataset(user=owner)

    with pytest.raises(InvalidInput, match="size"):
        dataset_update(user=owner, dataset=dataset, changes={"size": "big"})
    with pytest.raises(InvalidInput, match="owner must not be null"):
        dataset_update(user=owner, dataset=dataset, changes={"owner": None})


def test_update_of_a_deleted_dataset_is_not_found(owner, deleter):
    dataset = make_dataset(user=owner)
    dataset_delete(user=deleter, dataset=Dataset.objects.get(pk=dataset.pk))

    with pytest.raises(NotFound):
        dataset_update(user=owner, dataset=dataset, changes={"comment": "x"})


# --- dataset_delete ------------------------------------------------------------------------------


def test_only_delete_groups_may_delete(owner, admin):
    dataset = make_dataset(user=owner)

    for user in (owner, admin):
        with pytest.raises(PermissionDenied, match="Forbidden resource"):
            dataset_delete(user=user, dataset=dataset)

    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_delete_keeps_the_last_state_in_the_history(owner, deleter):
    dataset = make_dataset(user=owner, description="last words")

    returned = dataset_delete(user=deleter, dataset=dataset)

    entry = HistoryEntry.objects.filter(document_id=dataset.pid, operation="delete").get()
    assert entry.before["description"] == "last words"
    assert entry.before == returned
    assert entry.user == "dora"


def test_delete_removes_blocks_files_and_terms(owner, deleter):
    dataset = make_dataset(user=owner, keywords=["k"])
    kept = make_dataset(user=owner, keywords=["k"])
    files = [{"path": "a", "size": 1}, {"path": "b", "size": 2}]
    origdatablock_add(user=owner, dataset=dataset, files=files)
    datablock_add(user=owner, dataset=dataset, archive_id="t1", version="1", files=files)
    origdatablock_add(user=owner, dataset=kept, files=files)

    dataset_delete(user=deleter, dataset=dataset)

    assert set(OrigDatablock.objects.values_list("dataset", flat=True)) == {kept.pk}
    assert not Datablock.objects.exists()
    assert set(DataFile.objects.values_list("dataset", flat=True)) == {kept.pk}
    assert set(DatasetTerm.objects.values_list("dataset", flat=True)) == {kept.pk}


# --- dataset_bulk_create -------------------------------------------------------------------------


def test_bulk_create_makes_datasets_with_terms_policies_and_history(owner, settings):
    settings.EMBARGO_PERIOD_YEARS = 1.0
    make_proposal("p1")
    drafts = (dataset_data(keywords=[f"k{n}"], proposal_ids=["p1"]) for n in range(5))

    created = dataset_bulk_create(user=owner, drafts=drafts, batch_size=2)

    assert created == 5
    datasets = list(Dataset.objects.all())
    assert len({d.pid for d in datasets}) == 5
    assert DatasetTerm.objects.filter(kind="keyword").count() == 5
    assert Policy.objects.get(owner_group="p-owner").embargo_period == 1.0
    assert all(d.embargo_end == datetime(2027, 1, 15, 10, tzinfo=UTC) for d in datasets)
    assert HistoryEntry.objects.filter(operation="create", user="olivia").count() == 5
    assert Proposal.objects.get(pk="p1").number_of_datasets == 5


def test_bulk_create_checks_every_owner_group(owner):
    drafts = [dataset_data(), dataset_data(owner_group="p-other")]

    with pytest.raises(PermissionDenied):
        dataset_bulk_create(user=owner, drafts=drafts)

    assert written() == {"Dataset": 0, "Policy": 0, "HistoryEntry": 0, "DatasetTerm": 0}


def test_bad_draft_stops_the_bulk_and_its_batch_writes_nothing(owner):
    drafts = [dataset_data() for _ in range(4)] + [dataset_data(size="big")]

    with pytest.raises(InvalidInput, match="draft 4: size"):
        dataset_bulk_create(user=owner, drafts=drafts, batch_size=3)

    assert Dataset.objects.count() == 3  # the first batch, committed before the bad one


def test_bulk_create_makes_its_own_pids(admin):
    with pytest.raises(InvalidInput, match="own pids"):
        dataset_bulk_create(user=admin, drafts=[dataset_data(pid="x/1")])

    assert not Dataset.objects.exists()


def test_blocks_and_attachments_follow_the_datasets_ownership(db):
    from catalogue.services import attachment_add, origdatablock_add

    dataset = make_dataset(access_groups=["p-readers"])
    block = origdatablock_add(user=SYSTEM, dataset=dataset, files=[{"path": "a.h5", "size": 1}])
    preview = attachment_add(user=SYSTEM, dataset=dataset, thumbnail="data:image/png;base64,AA==")
    dataset_update(
        user=SYSTEM,
        dataset=dataset,
        changes={"owner_group": "p-new", "access_groups": [" p-x ", ""], "is_published": True},
    )
    for record in (block, preview):
        record.refresh_from_db()
        assert (record.owner_group, record.access_groups, record.is_published) == (
            "p-new",
            ["p-x"],
            True,
        )
