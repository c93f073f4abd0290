"""Error bodies in SciCat's (NestJS) shape: {statusCode, message, error}."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from catalogue.errors import CatalogueError


def error_body(status: int, message) -> dict:
    return {"statusCode": status, "message": message, "error": HTTPStatus(status).phrase}


def exception_handler(exc, context):
    """Service errors and DRF errors alike answer in SciCat's shape; a 5xx never leaks details."""
    if isinstance(exc, CatalogueError):
        return Response(error_body(exc.status_code, exc.message), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"request body too large: at most {limit} bytes"
        return Response(error_body(413, message), status=413)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        message = _flatten(exc.detail)
    elif isinstance(exc, exceptions.PermissionDenied | exceptions.NotAuthenticated):
        message = "Forbidden resource" if response.status_code == 403 else "Unauthenticated"
    else:
        message = str(getattr(exc, "detail", exc))
    response.data = error_body(response.status_code, message)
    return response


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]
