"""End to end in headless Chromium: search, refine by a facet, open a dataset, download a file
and a zip (bytes checked), sign in through the OIDC provider on loopback, see private data
appear after sign-in and disappear after sign-out."""

import io
import zipfile
from urllib.parse import parse_qs, urlparse

import pytest

from tests.portal.conftest import SCAN, indexed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def query_of(url: str) -> str:
    return parse_qs(urlparse(url).query).get("q", [""])[0]


def titles(page) -> list[str]:
    return sorted(page.locator("ol.hits h3 a").all_inner_texts())


def test_search_refine_open_and_download(browser_page, live_server, catalogue, public_with_files):
    page = browser_page
    dataset, _ = public_with_files
    indexed(dataset)
    page.goto(live_server.url + "/")
    page.fill("input[name=q]", "Tomography")
    page.click("form.search button[type=submit]")
    assert titles(page) == ["Powder scan", "Tomography ended", "Tomography published"]
    page.locator("aside.facets a", has_text="kw-ended").click()
    page.wait_for_url("**q=*")
    assert "keyword:kw-ended" in query_of(page.url)
    assert titles(page) == ["Tomography ended"]

    page.goto(live_server.url + "/?q=Powder")
    page.locator("ol.hits h3 a", has_text="Powder scan").click()
    assert page.locator("h1").inner_text() == "Powder scan"

    page.locator("table.files a", has_text="scan.nxs").click()  # first download: the licence
    page.check("input[name=accept]")
    with page.expect_download() as info:
        page.click("text=Accept and continue")
    assert info.value.suggested_filename == "scan.nxs"
    with open(info.value.path(), "rb") as got:
        assert got.read() == SCAN

    page.goto(live_server.url + f"/datasets/{dataset.pid}")
    with page.expect_download() as info:
        page.locator("a.button", has_text="as zip").click()
    with open(info.value.path(), "rb") as got:
        archive = zipfile.ZipFile(io.BytesIO(got.read()))
    names = sorted(archive.namelist())
    assert [n.split("/", 1)[-1] for n in names] == ["scan.nxs", "sub/notes.txt"]
    assert archive.read(names[0]) == SCAN
    assert archive.read(names[1]) == b"beam was stable\n"


def test_private_data_appear_after_sign_in_and_go_after_sign_out(
    browser_page, live_server, catalogue, oidc_settings, oidc_provider
):
    page = browser_page
    page.goto(live_server.url + "/?q=Tomography")
    public = ["Tomography ended", "Tomography published"]
    assert titles(page) == public

    page.click("text=Sign in")
    page.click("#oidc-login")  # to the provider, which asks who is signing in
    page.get_by_role("button", name="olivia-sub").click()
    page.wait_for_url(live_server.url + "/**")
    assert "Olivia Owner" in page.locator("header.site").inner_text()

    page.goto(live_server.url + "/?q=Tomography")
    assert titles(page) == sorted(f"Tomography {k}" for k in catalogue)
    private = catalogue["private"]
    page.goto(live_server.url + f"/datasets/{private.pid}")
    assert page.locator("h1").inner_text() == "Tomography private"

    page.locator("header.site button", has_text="Sign out").click()
    page.wait_for_url(oidc_provider.url + "/oauth2/end_session?**")  # signed out there too
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(live_server.url + "/")
    assert "Sign in" in page.locator("header.site").inner_text()
    page.goto(live_server.url + "/?q=Tomography")
    assert titles(page) == public
    answer = page.goto(live_server.url + f"/datasets/{private.pid}")
    assert answer.status == 403


def test_owner_shares_a_dataset_without_javascript_needed(
    browser_page, live_server, catalogue, oidc_settings, oidc_provider
):
    page = browser_page
    page.goto(live_server.url + "/login")
    page.click("#oidc-login")
    page.get_by_role("button", name="olivia-sub").click()
    page.wait_for_url(live_server.url + "/**")
    private = catalogue["private"]
    page.goto(live_server.url + f"/datasets/{private.pid}/share")
    page.fill("textarea[name=emails]", "guest@example.org")
    page.get_by_role("button", name="Share", exact=True).click()
    assert "guest@example.org" in page.locator("ul.shared").inner_text()
    page.goto(live_server.url + f"/datasets/{private.pid}")
    assert "guest@example.org" in page.locator("#manage").inner_text()  # in the history
