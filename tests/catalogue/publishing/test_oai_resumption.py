"""Resumption: keyset pages, cursors, the empty last token; a real harvester on a live server;
a token read by a freshly started process."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from django.db import connection
from lxml import etree

from catalogue.models import PublishedData
from tests.catalogue.publishing.conftest import publish
from tests.catalogue.publishing.oai_helpers import OAI, identifiers, oai, oai_id, token
from tests.catalogue.publishing.xsd import REPOSITORY

sickle = pytest.importorskip("sickle", reason="Sickle (the OAI-PMH harvester) is not installed")


def stamped(count: int) -> list[PublishedData]:
    items = [publish() for _ in range(count)]
    for number, item in enumerate(items):
        moment = datetime(2025, 1, 1, 0, 0, number, tzinfo=UTC)
        PublishedData.objects.filter(pk=item.pk).update(updated_at=moment)
    return items


def test_pages_carry_cursor_size_expiry_and_an_empty_last_token(client, db, settings):
    settings.OAI_PAGE_SIZE = 2
    items = stamped(5)
    seen, cursors, root = [], [], oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    while True:
        seen += identifiers(root)
        element = token(root)
        cursors.append(element.get("cursor"))
        assert element.get("completeListSize") == "5"
        if not element.text:
            assert element.get("expirationDate") is None
            break
        assert element.get("expirationDate").endswith("Z")
        root = oai(client, verb="ListIdentifiers", resumptionToken=element.text)
    assert seen == [oai_id(i.doi) for i in items]
    assert cursors == ["0", "2", "4"]


def test_changes_between_pages_never_skip_records(client, db, settings):
    settings.OAI_PAGE_SIZE = 2
    items = stamped(5)
    first = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    seen = identifiers(first)
    items[0].title = "Changed after it was harvested"
    items[0].save()  # moves to the end of the list
    PublishedData.objects.filter(pk=items[4].pk).update(updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    root = first
    while token(root) is not None and token(root).text:
        root = oai(client, verb="ListRecords", resumptionToken=token(root).text)
        seen += identifiers(root)
    assert set(seen) >= {oai_id(i.doi) for i in items[:4]}
    assert seen[-1] == oai_id(items[0].doi)


class CountingSickle(sickle.Sickle):
    """Sickle that counts its HTTP requests."""

    requests = 0

    def harvest(self, **kwargs):
        self.requests += 1
        return super().harvest(**kwargs)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sickle_harvests_every_record_across_pages(live_server, settings, method):
    settings.OAI_PAGE_SIZE = 2
    items = [publish() for _ in range(5)]
    items[2].withdrawn_at = datetime.now(tz=UTC)
    items[2].save()
    harvester = CountingSickle(f"{live_server.url}/oai", http_method=method, max_retries=0)
    records = list(harvester.ListRecords(metadataPrefix="oai_dc"))
    assert harvester.requests == 3
    assert sorted(r.header.identifier for r in records) == sorted(oai_id(i.doi) for i in items)
    assert [r.header.identifier for r in records if r.header.deleted] == [oai_id(items[2].doi)]
    live = list(harvester.ListRecords(metadataPrefix="oai_datacite", ignore_deleted=True))
    assert len(live) == 4
    assert all(r.metadata["title"] for r in records if not r.header.deleted)
    with pytest.raises(sickle.oaiexceptions.NoRecordsMatch):  # their datasets have no instrument
        list(harvester.ListIdentifiers(metadataPrefix="oai_dc", set="facility:ESS"))
    assert harvester.Identify().granularity == "YYYY-MM-DDThh:mm:ssZ"


def _database_url() -> str:
    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user, password = quote(settings_dict["USER"] or ""), quote(settings_dict["PASSWORD"] or "")
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{settings_dict['NAME']}"


FRESH_PROCESS = """
import sys
import django
django.setup()
from django.test import Client
reply = Client().get("/oai", {"verb": "ListIdentifiers", "resumptionToken": sys.argv[1]})
sys.stdout.write(reply.content.decode())
"""


@pytest.mark.django_db(transaction=True)
def test_a_token_survives_a_restart(live_server, settings):
    settings.OAI_PAGE_SIZE = 2
    items = [publish() for _ in range(3)]
    harvester = sickle.Sickle(f"{live_server.url}/oai", max_retries=0)
    pages = harvester.ListIdentifiers(metadataPrefix="oai_dc")
    first = [next(pages).identifier, next(pages).identifier]
    issued = pages.resumption_token.token
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "FEDCAT_DATA_DIR": str(settings.DATA_DIR),
    }
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, issued],
        env=environment,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    root = etree.fromstring(done.stdout.encode())
    rest = identifiers(root)
    assert root.find(f"{OAI}error") is None, done.stdout
    assert sorted(first + rest) == sorted(oai_id(i.doi) for i in items)
    assert len(rest) == 1 and token(root).text is None and token(root).get("cursor") == "2"
