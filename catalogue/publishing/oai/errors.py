"""OAI-PMH error conditions: the eight codes of the OAI-PMH 2.0 XSD, answered with HTTP 200."""

from __future__ import annotations

CODES = frozenset(
    {
        "badArgument",
        "badResumptionToken",
        "badVerb",
        "cannotDisseminateFormat",
        "idDoesNotExist",
        "noMetadataFormats",
        "noRecordsMatch",
        "noSetHierarchy",
    }
)
# For these the <request> element carries no attributes (OAI-PMH 2.0 §3.6).
BARE_REQUEST_CODES = frozenset({"badVerb", "badArgument"})


class OAIError(Exception):
    def __init__(self, code: str, message: str):
        if code not in CODES:
            raise ValueError(f"not an OAI-PMH error code: {code}")
        super().__init__(message)
        self.code = code
        self.message = message
