"""Asking the OAI-PMH endpoint through Django's test client; every answer is XSD-validated."""

from __future__ import annotations

from lxml import etree

from catalogue.publishing.oai.records import oai_identifier
from tests.catalogue.publishing import xsd

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def oai(client, method: str = "get", **params) -> etree._Element:
    """The parsed reply to `params` (a `from_` key is sent as `from`), validated when possible."""
    params = {key.rstrip("_"): value for key, value in params.items()}
    response = getattr(client, method)("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    if xsd.SCHEMAS.exists():
        return xsd.validate(xsd.oai_schema(), response.content)
    return etree.fromstring(response.content)


def error_codes(root) -> list[str]:
    return [e.get("code") for e in root.iter(f"{OAI}error")]


def identifiers(root) -> list[str]:
    return [e.text for e in root.iter(f"{OAI}identifier") if e.getparent().tag == f"{OAI}header"]


def token(root):
    return root.find(f".//{OAI}resumptionToken")


def oai_id(doi: str) -> str:
    return oai_identifier(doi)
