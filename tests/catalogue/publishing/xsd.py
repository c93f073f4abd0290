"""The official schemas (shared/reference/schemas), loaded offline with lxml.

The folder is found at $FEDCAT_SCHEMAS_DIR, else at ../shared/reference/schemas beside the
repository (where CI puts shared/). Tests that need it skip with the reason when it is absent.
No schema may be fetched from the network: a resolver maps the W3C xml.xsd URLs to the local
copy and refuses every other http URL.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

REPOSITORY = Path(__file__).resolve().parents[3]
SCHEMAS = Path(
    os.environ.get("FEDCAT_SCHEMAS_DIR") or REPOSITORY.parent / "shared" / "reference" / "schemas"
)
DATACITE_XSD = SCHEMAS / "datacite" / "kernel-4.7" / "metadata.xsd"
DATACITE_JSON_SCHEMA = SCHEMAS / "datacite" / "json" / "kernel-4.3" / "datacite_4.3_schema.json"
OAI_DIR = SCHEMAS / "oai"
XML_XSD_URLS = {
    "http://www.w3.org/2001/03/xml.xsd",
    "http://www.w3.org/2001/xml.xsd",
    "http://www.w3.org/2009/01/xml.xsd",
}


def require_schemas() -> None:
    if not (DATACITE_XSD.exists() and (OAI_DIR / "OAI-PMH.xsd").exists()):
        pytest.skip(
            f"official XSDs not found at {SCHEMAS} (set FEDCAT_SCHEMAS_DIR to the folder "
            "holding datacite/ and oai/ from shared/reference/schemas)"
        )


class OfflineResolver(etree.Resolver):
    def resolve(self, url, public_id, context):
        if url in XML_XSD_URLS:
            return self.resolve_filename(str(OAI_DIR / "xml.xsd"), context)
        if url.startswith(("http://", "https://")):
            raise OSError(f"refusing to fetch {url}: schemas must resolve offline")
        return None


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(OfflineResolver())
    return parser


@cache
def schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), _parser()))


@cache
def oai_schema() -> etree.XMLSchema:
    """OAI-PMH.xsd plus every payload schema, through an in-memory driver schema."""
    imports = {
        "http://www.openarchives.org/OAI/2.0/": OAI_DIR / "OAI-PMH.xsd",
        "http://www.openarchives.org/OAI/2.0/oai_dc/": OAI_DIR / "oai_dc.xsd",
        "http://www.openarchives.org/OAI/2.0/oai-identifier": OAI_DIR / "oai-identifier.xsd",
        "http://schema.datacite.org/oai/oai-1.1/": OAI_DIR / "datacite-oai-1.1" / "oai.xsd",
        "http://datacite.org/schema/kernel-4": DATACITE_XSD,
    }
    lines = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{path.resolve().as_uri()}"/>'
        for ns, path in imports.items()
    )
    driver = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="urn:fedcat:test-driver">{lines}</xs:schema>'
    )
    return etree.XMLSchema(etree.fromstring(driver.encode(), _parser()))


def validate(xsd: etree.XMLSchema, document: bytes) -> etree._Element:
    """Parses and validates `document`; fails the test with the schema's messages."""
    root = etree.fromstring(document)
    if not xsd.validate(root):
        messages = "\n".join(str(e) for e in xsd.error_log)
        pytest.fail(f"document does not validate:\n{messages}\n{document.decode()[:3000]}")
    return root


def datacite_errors(document: bytes) -> list[str]:
    xsd = schema(DATACITE_XSD)
    return [] if xsd.validate(etree.fromstring(document)) else [str(e) for e in xsd.error_log]
