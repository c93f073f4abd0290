"""pyscicat 0.4.8, unchanged, against a live fedcat: every public client method and alias.

Each test is one thing an ingestor's script does. The requests are pyscicat's own (scicat-api.md
§4), so these tests pin the leniencies of §5: PATCH with the full model dump (type, pid,
isPublished), naive space-separated timestamps, an int chkAlg, DataFiles without time,
attachments without caption, instruments sent with a pid and no uniqueName, and the bare-JSON
query of instruments_get_one(name=...).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pyscicat.client import (
    ScicatClient,
    ScicatCommError,
    ScicatLoginError,
    from_credentials,
    from_token,
    get_checksum,
    get_file_mod_time,
    get_file_size,
)
from pyscicat.model import (
    Attachment,
    CreateDatasetOrigDatablockDto,
    DataFile,
    Instrument,
    Proposal,
    Sample,
)

from tests.factories import make_user

from .pyscicat_support import (
    SCICAT_TEST_SETTINGS,
    api_url,
    client_for,
    data_files,
    datafiles_of,
    derived_dataset,
    login_token,
    password_of,
    raw_dataset,
    scicat_request,
    thumbnail_of,
)

# live_server needs a database the server thread can see: committed, flushed after each test.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def scicat_groups(settings):
    for name, value in SCICAT_TEST_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture
def ingestor(admin):
    """The facility's ingestion account: the admin persona (ADMIN_GROUPS), as in pyscicat's CI."""
    return admin


@pytest.fixture
def user1(transactional_db):
    """A scientist in group1, which may create datasets and samples for its own group."""
    return make_user("user1", "group1")


@pytest.fixture
def archive_manager(transactional_db):
    """In DELETE_GROUPS."""
    return make_user("archivemanager", "archivemanager")


@pytest.fixture
def scicat(live_server, ingestor) -> ScicatClient:
    return client_for(live_server, ingestor)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "p20231" / "scan_17"


@pytest.fixture
def raw_pid(scicat, folder) -> str:
    return scicat.datasets_create(raw_dataset(folder))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _mtime_ms(path) -> datetime:
    """A file's modification time in UTC as the API writes times: to the millisecond."""
    exact = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return exact.replace(microsecond=exact.microsecond // 1000 * 1000)


# --- signing in ----------------------------------------------------------------------------------


def test_client_logs_in_with_password_and_uses_the_token(live_server, user1):
    client = ScicatClient(
        base_url=api_url(live_server), username="user1", password=password_of(user1)
    )

    response = scicat_request(live_server, "GET", "users/my/self", token=client._token)

    assert response.status_code == 200
    assert response.json()["username"] == "user1"


def test_login_with_a_wrong_password_raises_scicat_login_error(live_server, user1):
    with pytest.raises(ScicatLoginError):
        ScicatClient(base_url=api_url(live_server), username="user1", password="wrong")


def test_login_can_be_deferred_and_called_explicitly(live_server, user1):
    client = ScicatClient(
        base_url=api_url(live_server),
        username="user1",
        password=password_of(user1),
        auto_login=False,
    )
    assert client._token is None

    client.login()

    assert client.datasets_get_many() == []


def test_from_credentials_returns_a_signed_in_client(live_server, user1, folder):
    client = from_credentials(api_url(live_server), "user1", password_of(user1))

    pid = client.datasets_create(raw_dataset(folder))

    assert client.datasets_get_one(pid)["createdBy"] == "user1"


def test_long_lived_token_from_users_jwt_drives_from_token(live_server, ingestor, user1, folder):
    admin_token = login_token(live_server, ingestor)
    issued = scicat_request(
        live_server, "POST", f"users/{user1.pk}/jwt", admin_token, json={"expiresIn": "30d"}
    )
    assert issued.status_code == 201
    client = from_token(api_url(live_server), issued.json()["jwt"])

    pid = client.datasets_create(raw_dataset(folder))

    assert client.datasets_get_one(pid)["ownerGroup"] == "group1"


def test_client_with_an_unknown_token_sees_published_datasets_only(live_server, scicat, folder):
    public = scicat.datasets_create(raw_dataset(folder / "a", isPublished=True))
    scicat.datasets_create(raw_dataset(folder / "b"))
    stranger = from_token(api_url(live_server), "fc_not-a-token")

    found = stranger.datasets_get_many()

    assert [dataset["pid"] for dataset in found] == [public]


# --- datasets ------------------------------------------------------------------------------------


def test_datasets_create_stores_a_raw_dataset_with_a_naive_file_time(scicat, folder):
    dataset = raw_dataset(folder)

    pid = scicat.datasets_create(dataset)

    stored = scicat.datasets_get_one(pid)
    assert " " in dataset.creationTime  # naive, space-separated, as get_file_mod_time writes
    assert _utc(stored["creationTime"]) == _mtime_ms(folder / "scan_0001.h5")
    assert stored["type"] == "raw"
    assert stored["principalInvestigator"] == "Ada Lovelace"
    assert stored["creationLocation"] == "/PSI/SLS/TOMCAT"
    assert stored["scientificMetadata"]["energy"]["value"] == 12.4


def test_datasets_create_stores_a_derived_dataset(scicat, raw_pid, tmp_path):
    pid = scicat.datasets_create(derived_dataset(tmp_path / "derived", [raw_pid]))

    stored = scicat.datasets_get_one(pid)
    assert stored["type"] == "derived"
    assert stored["investigator"] == "Ada Lovelace"
    assert stored["inputDatasets"] == [raw_pid]
    assert stored["usedSoftware"] == ["https://github.com/tomopy/tomopy"]
    assert stored["jobParameters"] == {"algorithm": "gridrec"}


def test_datasets_create_with_the_ingestors_own_pid_is_found_by_that_pid(scicat, folder):
    pid = scicat.datasets_create(raw_dataset(folder, pid="20.500.12269/tomcat-scan-17"))

    assert pid == "20.500.12269/tomcat-scan-17"
    assert scicat.datasets_get_one(pid)["pid"] == pid


def test_a_pid_with_a_space_is_refused_or_found_again(scicat, folder):
    try:
        pid = scicat.datasets_create(raw_dataset(folder, pid="fedcat/scan 17"))
    except ScicatCommError as refused:
        assert "400" in refused.message
        return

    assert scicat.datasets_get_one(pid)["pid"] == "fedcat/scan 17"


def test_create_dataset_and_upload_new_dataset_are_aliases_of_datasets_create(scicat, folder):
    first = scicat.create_dataset(raw_dataset(folder / "one"))
    second = scicat.upload_new_dataset(raw_dataset(folder / "two"))

    assert {d["pid"] for d in scicat.datasets_get_many()} == {first, second}


def test_group_member_creates_a_dataset_for_the_own_group(live_server, user1, folder):
    pid = client_for(live_server, user1).datasets_create(raw_dataset(folder, owner_group="group1"))

    assert pid


def test_datasets_create_for_a_foreign_group_raises_scicat_comm_error(live_server, user1, folder):
    client = client_for(live_server, user1)

    with pytest.raises(ScicatCommError, match="403"):
        client.datasets_create(raw_dataset(folder, owner_group="group2"))


def test_datasets_update_accepts_the_full_model_dump_with_type_pid_and_is_published(scicat, folder):
    dataset = raw_dataset(folder)
    pid = scicat.datasets_create(dataset)
    dataset.pid = pid
    dataset.description = "Re-analysed with a new flat field"
    dataset.keywords = ["tomography", "flat-field"]

    returned = scicat.datasets_update(dataset, pid)

    stored = scicat.datasets_get_one(pid)
    assert returned == pid
    assert stored["description"] == "Re-analysed with a new flat field"
    assert stored["keywords"] == ["tomography", "flat-field"]
    assert stored["type"] == "raw"


def test_datasets_update_accepts_a_derived_dataset_dump(scicat, raw_pid, tmp_path):
    dataset = derived_dataset(tmp_path / "derived", [raw_pid])
    pid = scicat.datasets_create(dataset)
    dataset.pid = pid
    dataset.usedSoftware = ["https://github.com/tomopy/tomopy", "numpy"]

    scicat.datasets_update(dataset, pid)

    assert scicat.datasets_get_one(pid)["usedSoftware"] == dataset.usedSoftware


def test_update_dataset_alias_publishes_a_dataset(live_server, scicat, folder):
    dataset = raw_dataset(folder)
    pid = scicat.datasets_create(dataset)
    dataset.isPublished = True

    scicat.update_dataset(dataset, pid)

    anonymous = from_token(api_url(live_server), "fc_not-a-token")
    assert anonymous.datasets_get_one(pid)["isPublished"] is True


def test_datasets_get_one_of_a_missing_pid_raises_scicat_comm_error(scicat):
    with pytest.raises(ScicatCommError, match="404"):
        scicat.datasets_get_one("fedcat/no-such-dataset")


def test_get_dataset_by_pid_alias_returns_the_dataset(scicat, raw_pid):
    assert scicat.get_dataset_by_pid(raw_pid)["pid"] == raw_pid


def test_datasets_get_many_filters_with_a_where_condition(scicat, folder):
    wanted = scicat.datasets_create(raw_dataset(folder / "a", proposalId="20231"))
    scicat.datasets_create(raw_dataset(folder / "b", proposalId="20232"))

    found = scicat.datasets_get_many({"proposalId": "20231"})

    assert [dataset["pid"] for dataset in found] == [wanted]


def test_datasets_get_many_matches_partial_strings_with_like(scicat, folder):
    wanted = scicat.datasets_create(raw_dataset(folder / "a", datasetName="flat field 1"))
    scicat.datasets_create(raw_dataset(folder / "b", datasetName="dark current"))

    found = scicat.get_datasets({"datasetName": {"like": "flat"}})

    assert [dataset["pid"] for dataset in found] == [wanted]


def test_datasets_get_many_matches_values_with_spaces(scicat, folder):
    wanted = scicat.datasets_create(raw_dataset(folder / "a", datasetName="flat field 1"))
    scicat.datasets_create(raw_dataset(folder / "b", datasetName="flat field 2"))

    found = scicat.datasets_get_many({"datasetName": "flat field 1"})

    assert [dataset["pid"] for dataset in found] == [wanted]


def test_find_datasets_alias_without_filter_lists_all_readable_datasets(scicat, folder):
    pids = {scicat.datasets_create(raw_dataset(folder / name)) for name in ("a", "b")}

    assert {dataset["pid"] for dataset in scicat.find_datasets()} == pids


def test_datasets_find_runs_a_fullquery_over_fields(scicat, folder):
    wanted = scicat.datasets_create(raw_dataset(folder / "a", creationLocation="/PSI/SLS/cSAXS"))
    scicat.datasets_create(raw_dataset(folder / "b"))

    found = scicat.datasets_find(query_fields={"creationLocation": "/PSI/SLS/cSAXS"})

    assert [dataset["pid"] for dataset in found] == [wanted]


def test_datasets_find_searches_text(scicat, folder):
    wanted = scicat.datasets_create(raw_dataset(folder / "a", description="limestone core"))
    scicat.datasets_create(raw_dataset(folder / "b", description="sandstone slab"))

    found = scicat.find_datasets_full_query(query_fields={"text": "sandstone"})

    assert wanted not in [dataset["pid"] for dataset in found]
    assert [dataset["description"] for dataset in found] == ["sandstone slab"]


def test_datasets_find_pages_with_skip_and_limit_newest_first(scicat, folder):
    times = ["2024-01-01 08:00:00", "2024-01-02 08:00:00", "2024-01-03 08:00:00"]
    for number, time in enumerate(times):
        scicat.datasets_create(raw_dataset(folder / str(number), creationTime=time))

    page = scicat.get_datasets_full_query(skip=1, limit=1)

    assert [_utc(dataset["creationTime"]).day for dataset in page] == [2]


def test_datasets_delete_by_a_delete_group_removes_the_dataset(
    live_server, archive_manager, scicat, raw_pid
):
    client_for(live_server, archive_manager).datasets_delete(raw_pid)

    with pytest.raises(ScicatCommError, match="404"):
        scicat.datasets_get_one(raw_pid)


def test_delete_dataset_by_an_admin_outside_delete_groups_is_refused(scicat, raw_pid):
    with pytest.raises(ScicatCommError, match="403"):
        scicat.delete_dataset(raw_pid)


# --- origdatablocks and attachments --------------------------------------------------------------


def test_origdatablock_create_accepts_int_chkalg_and_files_without_time(scicat, raw_pid, folder):
    files = data_files(folder)
    block = CreateDatasetOrigDatablockDto(
        chkAlg=1,
        size=sum(get_file_size(p) for p in files),
        dataFileList=datafiles_of(files, folder),
    )

    created = scicat.datasets_origdatablock_create(raw_pid, block)

    assert created["datasetId"] == raw_pid
    assert created["chkAlg"] == "1"
    assert [f["path"] for f in created["dataFileList"]] == ["scan_0001.h5", "scan_0002.h5"]


def test_origdatablock_create_updates_the_dataset_size_and_file_count(scicat, raw_pid, folder):
    files = data_files(folder)
    size = sum(get_file_size(p) for p in files)
    block = CreateDatasetOrigDatablockDto(size=size, dataFileList=datafiles_of(files, folder))

    scicat.upload_dataset_origdatablock(raw_pid, block)

    stored = scicat.datasets_get_one(raw_pid)
    assert (stored["size"], stored["numberOfFiles"]) == (size, 2)


def test_create_dataset_origdatablock_alias_keeps_checksums_and_file_times(scicat, raw_pid, folder):
    path = data_files(folder)[0]
    entry = DataFile(
        path=path.name,
        size=get_file_size(path),
        time=get_file_mod_time(path),
        chk=get_checksum(path),
        uid="1001",
        gid="1001",
        perm="-rw-r--r--",
    )
    block = CreateDatasetOrigDatablockDto(size=entry.size, chkAlg=None, dataFileList=[entry])

    created = scicat.create_dataset_origdatablock(raw_pid, block)

    stored = created["dataFileList"][0]
    assert stored["chk"] == get_checksum(path)
    assert _utc(stored["time"]) == _mtime_ms(path)


def test_origdatablock_create_takes_a_large_file_list(scicat, raw_pid):
    files = [DataFile(path=f"frames/frame_{n:05d}.tif", size=4096) for n in range(10_000)]
    block = CreateDatasetOrigDatablockDto(size=4096 * len(files), dataFileList=files)

    created = scicat.datasets_origdatablock_create(raw_pid, block)

    assert len(created["dataFileList"]) == 10_000
    assert scicat.datasets_get_one(raw_pid)["numberOfFiles"] == 10_000


def test_get_dataset_origdatablocks_lists_the_blocks_of_a_dataset(scicat, raw_pid, folder):
    files = data_files(folder)
    for path in files:
        dto = CreateDatasetOrigDatablockDto(
            size=get_file_size(path), dataFileList=datafiles_of([path], folder)
        )
        scicat.datasets_origdatablock_create(raw_pid, dto)

    blocks = scicat.get_dataset_origdatablocks(raw_pid)

    assert sorted(b["dataFileList"][0]["path"] for b in blocks) == ["scan_0001.h5", "scan_0002.h5"]
    assert scicat.datasets_origdatablocks_get_one(raw_pid) == blocks


def test_datasets_attachment_create_without_caption_stores_the_thumbnail(
    live_server, ingestor, scicat, raw_pid, folder
):
    thumbnail = thumbnail_of(folder)
    attachment = Attachment(datasetId=raw_pid, thumbnail=thumbnail, ownerGroup="group1")

    created = scicat.datasets_attachment_create(attachment)

    listed = scicat_request(
        live_server, "GET", f"Datasets/{raw_pid}/attachments", login_token(live_server, ingestor)
    ).json()
    assert created["thumbnail"] == thumbnail
    assert [a["thumbnail"] for a in listed] == [thumbnail]


def test_upload_attachment_and_create_dataset_attachment_aliases_keep_captions(
    scicat, raw_pid, folder
):
    thumbnail = thumbnail_of(folder)
    first = Attachment(datasetId=raw_pid, thumbnail=thumbnail, caption="A", ownerGroup="group1")
    second = Attachment(datasetId=raw_pid, thumbnail=thumbnail, caption="B", ownerGroup="group1")

    made = [scicat.upload_attachment(first), scicat.create_dataset_attachment(second)]

    assert [a["caption"] for a in made] == ["A", "B"]
    assert {a["datasetId"] for a in made} == {raw_pid}


# --- samples -------------------------------------------------------------------------------------


def _sample(**overrides) -> Sample:
    fields = {
        "ownerGroup": "group1",
        "owner": "Ada Lovelace",
        "description": "Limestone core, 5 mm",
        "sampleCharacteristics": {"porosity": {"value": 0.12, "unit": ""}, "origin": "Jura"},
    }
    fields.update(overrides)
    return Sample(**fields)


def test_samples_create_generates_a_sample_id(scicat):
    sample_id = scicat.samples_create(_sample())

    assert scicat.samples_get_one(sample_id)["description"] == "Limestone core, 5 mm"


def test_upload_sample_alias_keeps_the_ingestors_sample_id(scicat):
    assert scicat.upload_sample(_sample(sampleId="core-17")) == "core-17"


def test_samples_update_changes_fields_and_keeps_the_id(scicat):
    sample_id = scicat.samples_create(_sample(sampleId="core-18"))

    returned = scicat.samples_update(_sample(sampleId="core-18", description="Cut in half"))

    assert returned == sample_id
    assert scicat.get_sample(sample_id)["description"] == "Cut in half"


def test_samples_get_many_filters_on_nested_sample_characteristics(scicat):
    scicat.samples_create(_sample(sampleId="jura"))
    scicat.samples_create(
        _sample(sampleId="alps", sampleCharacteristics={"origin": "Alps", "porosity": 0.2})
    )

    found = scicat.samples_get_many({"sampleCharacteristics.origin": "Alps"})

    assert [sample["sampleId"] for sample in found] == ["alps"]


def test_group_member_creates_a_sample_for_the_own_group(live_server, user1):
    sample_id = client_for(live_server, user1).samples_create(_sample())

    assert sample_id


# --- instruments ---------------------------------------------------------------------------------


def test_instruments_create_accepts_a_pid_and_no_unique_name(scicat):
    pid = scicat.instruments_create(Instrument(pid="psi/tomcat", name="TOMCAT"))

    stored = scicat.instruments_get_one(pid="psi/tomcat")
    assert pid == "psi/tomcat"
    assert stored["name"] == "TOMCAT"
    assert stored["uniqueName"] == "TOMCAT"


def test_upload_instrument_alias_without_pid_generates_one(scicat):
    pid = scicat.upload_instrument(Instrument(name="cSAXS", customMetadata={"source": "SLS"}))

    assert scicat.get_instrument(pid=pid)["customMetadata"] == {"source": "SLS"}


def test_instruments_update_changes_custom_metadata(scicat):
    scicat.instruments_create(Instrument(pid="psi/tomcat", name="TOMCAT"))

    returned = scicat.instruments_update(
        Instrument(pid="psi/tomcat", name="TOMCAT", customMetadata={"energy_max_keV": 45})
    )

    assert returned == "psi/tomcat"
    assert scicat.instruments_get_one("psi/tomcat")["customMetadata"] == {"energy_max_keV": 45}


def test_instruments_get_one_by_name_reads_the_bare_json_query(scicat):
    scicat.instruments_create(Instrument(name="cSAXS"))
    wanted = scicat.instruments_create(Instrument(name="TOMCAT"))

    found = scicat.instruments_get_one(name="TOMCAT")

    assert found["pid"] == wanted


def test_instruments_get_one_without_pid_or_name_is_refused_by_the_client(scicat):
    with pytest.raises(ValueError):
        scicat.instruments_get_one()


def test_instruments_create_by_a_non_admin_raises_scicat_comm_error(live_server, user1):
    with pytest.raises(ScicatCommError, match="403"):
        client_for(live_server, user1).instruments_create(Instrument(name="TOMCAT"))


# --- proposals -----------------------------------------------------------------------------------


def _proposal(**overrides) -> Proposal:
    fields = {
        "proposalId": "20231",
        "ownerGroup": "group1",
        "email": "ada@example.org",
        "pi_email": "ada@example.org",
        "pi_firstname": "Ada",
        "pi_lastname": "Lovelace",
        "title": "Porosity of Jura limestone",
        "abstract": "We measure the pore network of limestone cores.",
        "startTime": "2024-03-01 08:00:00",
        "endTime": "2024-03-03 08:00:00",
        "MeasurementPeriodList": [
            {
                "instrument": "TOMCAT",
                "start": "2024-03-01T08:00:00Z",
                "end": "2024-03-03T08:00:00Z",
                "comment": "",
            }
        ],
    }
    fields.update(overrides)
    return Proposal(**fields)


def test_proposals_create_returns_the_proposal_id(scicat):
    assert scicat.proposals_create(_proposal()) == "20231"

    stored = scicat.proposals_get_one("20231")
    assert stored["title"] == "Porosity of Jura limestone"
    assert stored["pi_lastname"] == "Lovelace"


def test_upload_proposal_alias_creates_a_proposal(scicat):
    scicat.upload_proposal(_proposal(proposalId="20232"))

    assert scicat.get_proposal("20232")["proposalId"] == "20232"


def test_proposals_update_sends_the_whole_proposal_and_keeps_the_id(scicat):
    scicat.proposals_create(_proposal())

    returned = scicat.proposals_update(_proposal(title="Porosity of Jura and Alpine limestone"))

    assert returned == "20231"
    assert scicat.proposals_get_one("20231")["title"] == "Porosity of Jura and Alpine limestone"


def test_proposals_get_one_of_a_missing_proposal_raises_scicat_comm_error(scicat):
    with pytest.raises(ScicatCommError, match="404"):
        scicat.proposals_get_one("99999")


# --- published data ------------------------------------------------------------------------------


def _publish(live_server, ingestor, pid: str, title: str) -> str:
    token = login_token(live_server, ingestor)
    body = {
        "creator": ["Ada Lovelace"],
        "publisher": "PSI",
        "publicationYear": 2024,
        "title": title,
        "abstract": "Tomography of limestone",
        "dataDescription": "https://example.org/data",
        "resourceType": "raw",
        "pidArray": [pid],
    }
    created = scicat_request(live_server, "POST", "PublishedData", token, json=body)
    assert created.status_code == 201, created.text
    return created.json()["doi"]


def test_published_data_get_many_lists_all_records(live_server, ingestor, scicat, raw_pid):
    doi = _publish(live_server, ingestor, raw_pid, "Jura limestone")

    assert [record["doi"] for record in scicat.published_data_get_many()] == [doi]


def test_published_data_get_many_filters_with_a_where_condition(
    live_server, ingestor, scicat, folder
):
    first = scicat.datasets_create(raw_dataset(folder / "a"))
    second = scicat.datasets_create(raw_dataset(folder / "b"))
    _publish(live_server, ingestor, first, "Jura limestone")
    wanted = _publish(live_server, ingestor, second, "Alpine limestone")

    found = scicat.get_published_data({"title": "Alpine limestone"})

    assert [record["doi"] for record in found] == [wanted]
    assert scicat.find_published_data({"doi": wanted})[0]["pidArray"] == [second]


# --- the recipe of docs/scicat-api.md ------------------------------------------------------------


def test_ingestion_recipe_of_the_docs_stores_dataset_files_and_preview(
    live_server, ingestor, user1, folder
):
    admin_token = login_token(live_server, ingestor)
    answer = scicat_request(
        live_server, "POST", f"users/{user1.pk}/jwt", admin_token, json={"expiresIn": "365d"}
    )
    scicat = from_token(api_url(live_server), answer.json()["jwt"])
    files = data_files(folder)

    pid = scicat.datasets_create(raw_dataset(folder, owner_group="group1", proposalId="20231"))
    scicat.datasets_origdatablock_create(
        pid,
        CreateDatasetOrigDatablockDto(
            size=sum(get_file_size(f) for f in files),
            dataFileList=[
                DataFile(
                    path=str(f.relative_to(folder)),
                    size=get_file_size(f),
                    time=get_file_mod_time(f),
                    chk=get_checksum(f),
                )
                for f in files
            ],
        ),
    )
    scicat.datasets_attachment_create(
        Attachment(
            datasetId=pid, ownerGroup="group1", thumbnail=thumbnail_of(folder), caption="slice"
        )
    )

    stored = scicat.datasets_get_one(pid)
    assert (stored["numberOfFiles"], stored["proposalId"]) == (2, "20231")
    assert scicat.get_dataset_origdatablocks(pid)[0]["dataFileList"][0]["chk"] == get_checksum(
        files[0]
    )
    assert [d["pid"] for d in scicat.datasets_find(query_fields={"text": "tomography"})] == [pid]


# --- client-side helpers -------------------------------------------------------------------------


@pytest.mark.django_db  # no server needed: these helpers only read the file
def test_get_file_size_and_mod_time_describe_the_file_on_disk(folder):
    path = data_files(folder)[1]

    assert get_file_size(path) == path.stat().st_size
    assert datetime.fromisoformat(get_file_mod_time(path)) == datetime.fromtimestamp(
        path.stat().st_mtime
    )
