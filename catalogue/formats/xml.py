"""Small lxml helpers shared by the XML formats: every value goes in as text, never as markup."""

from __future__ import annotations

import re

from lxml import etree

XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Characters XML 1.0 cannot carry at all (lxml refuses them); they are dropped from values.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


def sub(parent, tag: str, value=None, **attributes) -> etree._Element:
    """A child element of `parent` with text `value` and the non-empty `attributes`."""
    element = etree.SubElement(parent, tag)
    for name, attribute in attributes.items():
        if attribute:
            key = XML_LANG if name == "lang" else name
            element.set(key, xml_safe(attribute))
    if value is not None:
        element.text = xml_safe(value)
    return element


def to_bytes(element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)
