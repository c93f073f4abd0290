"""The partner registry: settings, the admin, the allowlist."""

import json

import pytest
from django.core.exceptions import ValidationError

from search.federation.partners import all_partners, allowed_hosts, url_allowed
from search.models import Partner


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://catalogue.example.org/api", True),
        ("http://catalogue.example.org:8080/api", False),  # the entry names port 443
        ("https://data.facility.org/panosc-api", True),
        ("https://facility.org/panosc-api", False),  # *.facility.org: names under it only
        ("http://127.0.0.1:9000/", True),
        ("http://127.0.0.1:9001/", False),
        ("http://[::1]:9000/", True),
        ("https://user:pw@catalogue.example.org/api", False),
        ("ftp://catalogue.example.org/api", False),
        ("javascript:alert(1)", False),
        ("https://catalogue.example.org.evil.net/api", False),
        ("http://10.0.0.5/api", False),
    ],
)
def test_partner_urls_are_checked_against_the_allowlist(url, allowed):
    hosts = ["catalogue.example.org:443", "*.facility.org", "127.0.0.1:9000", "[::1]:9000"]
    assert url_allowed(url, hosts) is allowed


def test_without_an_allowlist_the_hosts_of_the_settings_partners_are_allowed(settings):
    settings.FEDERATION_ALLOWED_HOSTS = []
    settings.FEDERATION_PARTNERS = json.dumps(
        [{"name": "psi", "type": "panosc", "url": "https://dacat.psi.ch/panosc-api"}]
    )

    assert allowed_hosts() == ["dacat.psi.ch:443"]
    assert url_allowed("https://dacat.psi.ch/other")
    assert not url_allowed("https://elsewhere.org/api")


@pytest.mark.django_db
def test_partners_come_from_settings_then_the_admin(settings):
    settings.FEDERATION_ALLOWED_HOSTS = ["*.example.org"]
    settings.FEDERATION_PARTNERS = json.dumps(
        [
            {"name": "psi", "type": "panosc", "url": "https://psi.example.org/api", "timeout": 2},
            {"name": "broken", "type": "unknown", "url": "https://x.example.org"},
            {"name": "Bad Name", "type": "panosc", "url": "https://x.example.org"},
            "not an object",
        ]
    )
    Partner.objects.create(name="ess", kind="fedcat", base_url="https://ess.example.org")
    Partner.objects.create(name="psi", kind="fedcat", base_url="https://dup.example.org")
    Partner.objects.create(
        name="off", kind="panosc", base_url="https://off.example.org", enabled=False
    )

    partners = all_partners()

    assert [(p.name, p.kind) for p in partners] == [
        ("local", "local"),
        ("psi", "panosc"),
        ("ess", "fedcat"),
    ]
    assert partners[1].timeout == 2


@pytest.mark.django_db
def test_settings_that_are_not_json_give_no_partners(settings):
    settings.FEDERATION_PARTNERS = "https://a.example.org/api"

    assert [p.name for p in all_partners(include_local=False)] == []


@pytest.mark.django_db
def test_the_admin_refuses_a_partner_outside_the_allowlist(settings):
    settings.FEDERATION_ALLOWED_HOSTS = ["*.example.org"]
    partner = Partner(name="evil", kind="panosc", base_url="http://169.254.169.254/latest")

    with pytest.raises(ValidationError) as caught:
        partner.full_clean()

    assert "FEDERATION_ALLOWED_HOSTS" in str(caught.value)


@pytest.mark.django_db
def test_the_admin_refuses_the_local_name_and_silly_timeouts(settings):
    settings.FEDERATION_ALLOWED_HOSTS = ["*.example.org"]
    partner = Partner(
        name="local", kind="panosc", base_url="https://a.example.org", timeout_seconds=0
    )

    with pytest.raises(ValidationError) as caught:
        partner.full_clean()

    assert set(caught.value.message_dict) == {"name", "timeout_seconds"}


@pytest.mark.django_db
def test_the_admin_lists_and_adds_partners(admin_client, settings):
    settings.FEDERATION_ALLOWED_HOSTS = ["*.example.org"]
    Partner.objects.create(name="ess", kind="fedcat", base_url="https://ess.example.org")

    listing = admin_client.get("/admin/search/partner/")
    added = admin_client.post(
        "/admin/search/partner/add/",
        {
            "name": "ill",
            "title": "ILL",
            "kind": "panosc",
            "base_url": "https://fairdata.example.org/api",
            "timeout_seconds": "2.5",
            "enabled": "on",
        },
    )

    assert listing.status_code == 200 and b"ess.example.org" in listing.content
    assert added.status_code == 302, added.content
    assert Partner.objects.get(name="ill").timeout_seconds == 2.5
