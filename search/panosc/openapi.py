"""GET /panosc-api/openapi.json: the API's OpenAPI 3 description (openapi.yaml beside this file)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from django.http import JsonResponse

SOURCE = Path(__file__).with_name("openapi.yaml")


@cache
def schema() -> dict:
    return yaml.safe_load(SOURCE.read_text(encoding="utf-8"))


def openapi_view(request) -> JsonResponse:
    response = JsonResponse(schema())
    response["Access-Control-Allow-Origin"] = "*"
    return response
