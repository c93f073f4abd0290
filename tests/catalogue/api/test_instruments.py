import json
from urllib.parse import quote

import pytest

from catalogue.access import SYSTEM
from catalogue.models import Instrument
from catalogue.services.entities import instrument_create

URL = "/api/v3/Instruments"


@pytest.fixture
def instruments(db):
    return [
        instrument_create(user=SYSTEM, data={"pid": "psi/tomcat", "name": "TOMCAT"}),
        instrument_create(
            user=SYSTEM,
            data={"pid": "psi/saxs", "unique_name": "SAXS", "name": "SAXS beamline"},
        ),
    ]


def test_pyscicat_instrument_create_with_pid_and_no_unique_name(admin, api):
    body = {
        "pid": "psi/tomcat",
        "name": "TOMCAT",
        "customMetadata": {"pixel": {"value": 6.5, "unit": "um"}},
    }
    response = api(admin).post(URL, body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["pid"], data["uniqueName"], data["name"]) == ("psi/tomcat", "TOMCAT", "TOMCAT")
    assert data["customMetadata"]["pixel"]["valueSI"] == pytest.approx(6.5e-6)


def test_instrument_without_pid_gets_a_prefixed_one(admin, settings, api):
    data = api(admin).post(URL, {"name": "HRPT"}, format="json").json()
    assert data["pid"].startswith(f"{settings.PID_PREFIX}/")


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_only_admins_create_instruments(db, request, who, api):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api(user).post(URL, {"name": "HRPT"}, format="json")
    assert (response.status_code, response.json()["message"]) == (403, "Forbidden resource")
    assert not Instrument.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [{}, {"name": ""}, {"name": "X", "customMetadata": "big"}, {"name": "X", "colour": "red"}],
)
def test_bad_instrument_input_is_400_and_writes_nothing(admin, bad, api):
    assert api(admin).post(URL, bad, format="json").status_code == 400
    assert not Instrument.objects.exists()


def test_duplicate_unique_name_is_409(instruments, admin, api):
    response = api(admin).post(URL, {"name": "other", "uniqueName": "TOMCAT"}, format="json")
    assert response.status_code == 409
    assert Instrument.objects.count() == 2


def test_everybody_reads_instruments(instruments, api):
    client = api()
    assert [i["uniqueName"] for i in client.get(URL).json()] == ["SAXS", "TOMCAT"]
    assert client.get(f"{URL}/count").json() == {"count": 2}
    assert client.get(f"{URL}/psi/saxs").json()["name"] == "SAXS beamline"
    assert client.get(f"{URL}/{quote('psi/saxs', safe='')}").json()["pid"] == "psi/saxs"


def test_filter_and_count_where(instruments, api):
    flt = json.dumps({"where": {"name": {"like": "beam"}}})
    assert [i["pid"] for i in api().get(URL, {"filter": flt}).json()] == ["psi/saxs"]
    count = api().get(f"{URL}/count", {"filter": json.dumps({"where": {"name": "TOMCAT"}})})
    assert count.json() == {"count": 1}


def test_find_one_reads_pyscicats_bare_json_query(instruments, api):
    # pyscicat: GET Instruments/findOne?{"where":{"name":{"like":name}}} (no filter=)
    query = quote(json.dumps({"where": {"name": {"like": "SAXS"}}}))
    response = api().get(f"{URL}/findOne?{query}&access_token=whatever")
    assert response.json()["pid"] == "psi/saxs"
    flt = json.dumps({"where": {"name": "nothing"}})
    assert api().get(f"{URL}/findOne", {"filter": flt}).content == b""


def test_missing_instrument_is_404(instruments, api):
    response = api().get(f"{URL}/psi/nope")
    assert (response.status_code, response.json()["message"]) == (
        404,
        "Instrument: psi/nope not found",
    )


def test_admin_patches_without_pid_in_the_body(instruments, admin, owner, api):
    response = api(admin).patch(f"{URL}/psi/tomcat", {"name": "TOMCAT II"}, format="json")
    assert (response.status_code, response.json()["pid"]) == (200, "psi/tomcat")
    assert Instrument.objects.get(pk="psi/tomcat").name == "TOMCAT II"
    assert api(owner).patch(f"{URL}/psi/tomcat", {"name": "x"}, format="json").status_code == 403
    taken = api(admin).patch(f"{URL}/psi/tomcat", {"uniqueName": "SAXS"}, format="json")
    assert taken.status_code == 409
    assert Instrument.objects.get(pk="psi/tomcat").unique_name == "TOMCAT"


def test_delete_needs_a_delete_group(instruments, admin, settings, api):
    assert api(admin).delete(f"{URL}/psi/tomcat").status_code == 403
    settings.DELETE_GROUPS = ["admin"]
    assert api(admin).delete(f"{URL}/psi/tomcat").json()["uniqueName"] == "TOMCAT"
    assert not Instrument.objects.filter(pk="psi/tomcat").exists()


def test_instrument_paths_are_case_insensitive(instruments, api):
    assert api().get("/api/v3/instruments/FINDONE").json()["pid"] == "psi/saxs"
    assert api().get("/api/v3/INSTRUMENTS/count").json() == {"count": 2}
