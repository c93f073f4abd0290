"""Errors raised by services and selectors; the API and the portal turn them into responses."""


class CatalogueError(Exception):
    status_code = 400
    error = "Bad Request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(CatalogueError):
    status_code = 400
    error = "Bad Request"


class PermissionDenied(CatalogueError):
    status_code = 403
    error = "Forbidden"


class NotFound(CatalogueError):
    status_code = 404
    error = "Not Found"


class Conflict(CatalogueError):
    status_code = 409
    error = "Conflict"
