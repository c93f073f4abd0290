"""Request bodies of the SciCat API: JSON, which SciCat also accepts as merge-patch+json."""

from __future__ import annotations

from rest_framework.parsers import JSONParser


class MergePatchParser(JSONParser):
    media_type = "application/merge-patch+json"


JSON_BODIES = (JSONParser, MergePatchParser)
