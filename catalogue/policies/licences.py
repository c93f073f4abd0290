"""Licences by SPDX id: the name and links shown with a dataset and before its download.

The list is the one the metadata formats use (catalogue.formats.vocabularies.SPDX_LICENSES);
this module adds the lookups the policy pages need. A licence that is not an SPDX id is kept as
the text it is (SciCat's `license` is free text) and shown without links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from catalogue.formats.vocabularies import SPDX_LICENSES, SPDX_SCHEME_URI

_SPDX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")
_BY_LOWER = {key.lower(): key for key in SPDX_LICENSES}


@dataclass(frozen=True)
class Licence:
    id: str  # the SPDX id, or the free text as written
    name: str  # the licence's full name ("" when unknown)
    url: str  # its legal text ("" when unknown)
    spdx_url: str  # its SPDX page ("" when the id is not SPDX-shaped)

    @property
    def known(self) -> bool:
        return bool(self.name)

    @property
    def link(self) -> str:
        return self.url or self.spdx_url


def canonical_id(value: str) -> str:
    """The SPDX id spelt as SPDX spells it when known (`cc-by-4.0` → `CC-BY-4.0`), else as is."""
    text = (value or "").strip()
    return _BY_LOWER.get(text.lower(), text)


def licence(value: str | None) -> Licence | None:
    """The licence a dataset names, or None when it names none."""
    text = canonical_id(value or "")
    if not text:
        return None
    name, url = SPDX_LICENSES.get(text, ("", ""))
    spdx = f"{SPDX_SCHEME_URI}{text}.html" if _SPDX_ID.match(text) else ""
    return Licence(id=text, name=name, url=url, spdx_url=spdx)


def default_licence() -> Licence | None:
    return licence(getattr(settings, "DEFAULT_LICENSE", ""))


def known_licences() -> list[Licence]:
    """Every licence of the vocabulary, for choosing one."""
    return [licence(key) for key in SPDX_LICENSES]
