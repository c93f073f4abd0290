"""Security of the portal's forms and pages: every POST form refuses a request without its
CSRF token, and metadata holding HTML is shown as text, never as markup."""

import pytest
from django.test import Client
from django.urls import reverse

from catalogue.services import dataset_update, token_issue
from tests.factories import make_dataset

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = b"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def mine(db):
    return make_dataset(owner_group="p-owner", embargo_end=None, license="CC-BY-4.0")


def forms(owner, mine):
    _, token = token_issue(user=owner)
    pid = {"pid": mine.pid}
    return {
        "login": (reverse("portal:login"), {"username": "olivia", "password": "pw-olivia"}),
        "logout": (reverse("portal:logout"), {}),
        "token-create": (reverse("portal:token-create"), {"name": "x", "days": "30"}),
        "token-revoke": (reverse("portal:token-revoke", kwargs={"token_id": token.pk}), {}),
        "dataset-edit": (reverse("portal:dataset-edit", kwargs=pid), {"dataset_name": "x"}),
        "dataset-share": (reverse("portal:dataset-share", kwargs=pid), {"emails": "a@b.org"}),
        "dataset-unshare": (reverse("portal:dataset-share", kwargs=pid), {"remove": "a@b.org"}),
        "licence": (reverse("portal:dataset-licence", kwargs=pid), {"accept": "on"}),
    }


FORMS = [
    "login",
    "logout",
    "token-create",
    "token-revoke",
    "dataset-edit",
    "dataset-share",
    "dataset-unshare",
    "licence",
]


@pytest.mark.parametrize("name", FORMS)
def test_post_without_csrf_token_is_403(csrf_client, owner, mine, name):
    url, data = forms(owner, mine)[name]
    if name != "login":
        csrf_client.force_login(owner)
    answer = csrf_client.post(url, data)
    assert answer.status_code == 403
    assert b"CSRF" in answer.content


@pytest.mark.parametrize("name", FORMS)
def test_every_form_page_carries_its_csrf_token(client, storage, owner, mine, name):
    url, _ = forms(owner, mine)[name]
    if name != "login":
        client.force_login(owner)
    if name in ("token-create", "token-revoke"):
        url = reverse("portal:account")
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content


def test_html_in_metadata_is_escaped_on_every_page(client, owner, mine):
    dataset_update(
        user=owner,
        dataset=mine,
        changes={
            "dataset_name": EVIL,
            "description": EVIL,
            "keywords": [EVIL],
            "shared_with": ['"><script>x</script>@example.org'],
        },
    )
    client.force_login(owner)
    pages = [
        reverse("portal:dataset", kwargs={"pid": mine.pid}),
        reverse("portal:mydata"),
        reverse("portal:dataset-edit", kwargs={"pid": mine.pid}),
        reverse("portal:dataset-share", kwargs={"pid": mine.pid}),
        reverse("portal:dataset-history", kwargs={"pid": mine.pid}),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        assert b"<script>alert" not in page.content, url
        assert b"<img src=x" not in page.content, url
        assert b"&lt;script&gt;" in page.content, url


def test_html_in_a_token_name_is_escaped(client, owner):
    token_issue(user=owner, name=EVIL)
    client.force_login(owner)
    page = client.get(reverse("portal:account"))
    assert ESCAPED in page.content and b"<script>alert" not in page.content


def test_html_in_provider_names_is_escaped(client, owner):
    owner.first_name = EVIL
    owner.save()
    client.force_login(owner)
    page = client.get(reverse("portal:account"))
    assert b"<script>alert" not in page.content


def test_login_next_cannot_inject_markup(client):
    page = client.get(reverse("portal:login"), {"next": '"><script>x</script>'})
    assert b"<script>x</script>" not in page.content
