"""Errors of the PaNOSC API, in LoopBack's shape: {"error": {statusCode, name, message}}.

The reference provider (LoopBack 3 with strong-error-handler) answers 400 for a filter that is
not JSON and 404 with ``code: "MODEL_NOT_FOUND"`` for an unknown pid; the aggregator reads a 404
on GET by pid as "not at this provider". A bad operator or field is *not* an error here (the
reference answers 200 ``[]``; a 400 would drop all of this provider's results in a federated
search), so only malformed structure raises.
"""

from __future__ import annotations

from django.http import JsonResponse


class PanoscError(Exception):
    status_code = 400
    code: str | None = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadFilter(PanoscError):
    status_code = 400


class NotFound(PanoscError):
    status_code = 404
    code = "MODEL_NOT_FOUND"


class Unavailable(PanoscError):
    status_code = 503


def not_found(model: str, pid: str) -> NotFound:
    return NotFound(f'Unknown "{model}" id "{pid}".')


def no_route(request) -> PanoscError:
    error = PanoscError(f"There is no method to handle {request.method} {request.path}")
    error.status_code = 404
    return error


def error_body(status: int, message: str, code: str | None = None) -> dict:
    error = {"statusCode": status, "name": "Error", "message": message}
    if code:
        error["code"] = code
    return {"error": error}


def error_response(status: int, message: str, code: str | None = None) -> JsonResponse:
    return JsonResponse(error_body(status, message, code), status=status)
