"""The HTTP side of the DataCite stand-in: routes, authentication, faults (see standin.py)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import socket
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from .standin import ALLOW_HEADER, DataCiteStandIn, Fault, Refusal, _error


def handler_for(server: DataCiteStandIn):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "DataCiteStandIn/1"

        def log_message(self, format, *args):  # quiet in tests
            pass

        # --- plumbing -------------------------------------------------------------------------
        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, document=None, headers: dict | None = None) -> None:
            payload = b"" if document is None else json.dumps(document).encode()
            self.send_response(status)
            if document is not None:
                self.send_header("Content-Type", "application/vnd.api+json; charset=utf-8")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        def _refuse(self, refusal: Refusal) -> None:
            self._send(refusal.status, {"errors": refusal.errors}, refusal.headers)

        def _hang_up(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _doi_from_path(self) -> str | None:
            path = unquote(urlsplit(self.path).path)
            if path.rstrip("/") == "/dois":
                return None
            if path.startswith("/dois/"):
                return path[len("/dois/") :]
            return ""

        # --- methods --------------------------------------------------------------------------
        def do_GET(self):
            doi = self._doi_from_path()
            if not doi:
                self._send(404, {"errors": [{"status": "404", "title": "Not found"}]})
                return
            repository = server.authenticate(self.headers.get("Authorization", ""))
            with server.lock:
                stored = server.dois.get(doi.lower())
            visible = stored is not None and (
                stored.state == "findable" or stored.repository == repository
            )
            server.record("GET", doi.lower(), "", 200 if visible else 404)
            if not visible:
                title = "The resource you are looking for doesn't exist."
                self._send(404, {"errors": [{"status": "404", "title": title}]})
                return
            self._send(200, server.document(stored))

        def do_POST(self):
            self._write("POST")

        def do_PUT(self):
            self._write("PUT")

        def do_PATCH(self):
            self._write("PATCH")

        def do_DELETE(self):
            doi = (self._doi_from_path() or "").lower()
            self._body()
            repository = server.authenticate(self.headers.get("Authorization", ""))
            if repository is None:
                server.record("DELETE", doi, "", 401)
                self._send(401, {"errors": [{"status": "401", "title": "Bad credentials."}]})
                return
            with server.lock:
                stored = server.dois.get(doi)
                if stored is None or stored.repository != repository:
                    status = 404 if stored is None else 403
                    title = (
                        "The resource you are looking for doesn't exist."
                        if stored is None
                        else "You are not authorized to access this resource."
                    )
                    server.record("DELETE", doi, "", status)
                    self._send(status, {"errors": [{"status": str(status), "title": title}]})
                    return
                if stored.state != "draft":
                    server.record("DELETE", doi, "", 405)
                    self._send(
                        405,
                        {"errors": [{"status": "405", "title": "Method not allowed"}]},
                        {"Allow": ALLOW_HEADER},
                    )
                    return
                del server.dois[doi]
            server.record("DELETE", doi, "", 204)
            self._send(204)

        def _write(self, method: str) -> None:
            path_doi = self._doi_from_path()
            body = self._body()
            if path_doi == "" or (method != "POST" and path_doi is None):
                self._send(404, {"errors": [{"status": "404", "title": "Not found"}]})
                return
            if method == "POST" and path_doi == "validate":
                self._validate_only(body)
                return
            if method == "POST" and path_doi is not None:
                self._send(404, {"errors": [{"status": "404", "title": "Not found"}]})
                return
            event = _event_of(body)
            doi = (path_doi or _doi_of(body)).lower()
            repository = server.authenticate(self.headers.get("Authorization", ""))
            if repository is None:
                server.record(method, doi, event, 401)
                self._send(401, {"errors": [{"status": "401", "title": "Bad credentials."}]})
                return
            fault = server.take_fault(method)
            if fault is not None and self._fault(fault, method, path_doi, body, repository):
                return
            try:
                status, stored = server.write(method, path_doi, body, repository)
            except Refusal as refusal:
                server.record(method, doi, event, refusal.status)
                self._refuse(refusal)
                return
            server.record(method, stored.doi, event, status)
            headers = {"Location": f"/dois/{stored.doi}"} if status == 201 else {}
            self._send(status, server.document(stored), headers)

        def _fault(self, fault: Fault, method, path_doi, body, repository) -> bool:
            """Plays the fault; True when the request was answered (or hung up on)."""
            doi = (path_doi or _doi_of(body)).lower()
            event = _event_of(body)
            if fault.kind == "status":
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(int(fault.retry_after))
                title = "Too many requests" if fault.status == 429 else "Internal server error"
                server.record(method, doi, event, fault.status)
                errors = [{"status": str(fault.status), "title": title}]
                self._send(fault.status, {"errors": errors}, headers)
                return True
            if fault.kind == "drop":
                server.record(method, doi, event, "dropped")
                self._hang_up()
                return True
            if fault.kind in ("lost", "hang"):
                applied = fault.kind == "lost" or fault.apply
                if applied:
                    with contextlib.suppress(Refusal):
                        server.write(method, path_doi, body, repository)
                server.record(method, doi, event, "lost" if fault.kind == "lost" else "hung")
                if fault.kind == "hang":
                    server.released.wait(fault.seconds)
                self._hang_up()
                return True
            if fault.kind == "delay":
                server.released.wait(fault.seconds)
                return False
            raise ValueError(f"unknown fault {fault.kind!r}")

        def _validate_only(self, body: bytes) -> None:
            try:
                attributes = json.loads(body)["data"]["attributes"]
                doi = str(attributes.get("doi") or "10.0000/validate").lower()
                xml = base64.b64decode(str(attributes.get("xml") or ""))
            except (ValueError, KeyError, TypeError, binascii.Error):
                refusal = _error(400, "You need to provide a payload following the JSONAPI spec")
                self._refuse(refusal)
                return
            errors = server.metadata_errors(doi, xml, attributes)
            if errors:
                self._send(200, {"errors": errors})
            else:
                self._send(200, {"data": {"type": "dois", "attributes": {"doi": doi}}})

    return Handler


def _parsed(body: bytes) -> dict:
    try:
        document = json.loads(body or b"null")
        attributes = document["data"]["attributes"]
        return attributes if isinstance(attributes, dict) else {}
    except (ValueError, KeyError, TypeError):
        return {}


def _event_of(body: bytes) -> str:
    return str(_parsed(body).get("event") or "")


def _doi_of(body: bytes) -> str:
    return str(_parsed(body).get("doi") or "")
