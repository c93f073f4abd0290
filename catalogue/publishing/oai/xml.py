"""The OAI-PMH envelope and the oai_datacite wrapper, built with lxml."""

from __future__ import annotations

from django.conf import settings
from lxml import etree

from catalogue.formats import datacite
from catalogue.formats.vocabularies import DATACITE_SCHEMA_VERSION
from catalogue.formats.xml import XSI_NAMESPACE, sub

OAI_NAMESPACE = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DATACITE_NAMESPACE = "http://schema.datacite.org/oai/oai-1.1/"
OAI_DATACITE_SCHEMA = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
OAI_IDENTIFIER_NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"


def q(tag: str) -> str:
    return f"{{{OAI_NAMESPACE}}}{tag}"


def envelope() -> etree._Element:
    root = etree.Element(q("OAI-PMH"), nsmap={None: OAI_NAMESPACE, "xsi": XSI_NAMESPACE})
    root.set(f"{{{XSI_NAMESPACE}}}schemaLocation", f"{OAI_NAMESPACE} {OAI_SCHEMA}")
    return root


def datacentre_symbol() -> str:
    return (
        getattr(settings, "OAI_DATACENTRE_SYMBOL", "")
        or getattr(settings, "DATACITE_REPOSITORY_ID", "")
        or "FEDCAT"
    )


def oai_datacite_element(record) -> etree._Element:
    ns = OAI_DATACITE_NAMESPACE
    root = etree.Element(f"{{{ns}}}oai_datacite", nsmap={None: ns, "xsi": XSI_NAMESPACE})
    root.set(f"{{{XSI_NAMESPACE}}}schemaLocation", f"{ns} {OAI_DATACITE_SCHEMA}")
    sub(root, f"{{{ns}}}schemaVersion", DATACITE_SCHEMA_VERSION)
    sub(root, f"{{{ns}}}datacentreSymbol", datacentre_symbol())
    payload = sub(root, f"{{{ns}}}payload")
    payload.append(datacite.resource(record))
    return root


def oai_identifier_description(repository_identifier: str, sample: str) -> etree._Element:
    ns = OAI_IDENTIFIER_NAMESPACE
    root = etree.Element(f"{{{ns}}}oai-identifier", nsmap={None: ns, "xsi": XSI_NAMESPACE})
    root.set(f"{{{XSI_NAMESPACE}}}schemaLocation", f"{ns} {OAI_IDENTIFIER_SCHEMA}")
    sub(root, f"{{{ns}}}scheme", "oai")
    sub(root, f"{{{ns}}}repositoryIdentifier", repository_identifier)
    sub(root, f"{{{ns}}}delimiter", ":")
    sub(root, f"{{{ns}}}sampleIdentifier", sample)
    return root
