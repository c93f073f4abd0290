"""A local stand-in for DataCite's REST API, on loopback, for offline tests and demos.

It follows DataCite's server, lupo (github.com/datacite/lupo, MIT, at commit
05afac4639d2048735056813edcb94914fe3cbba: app/controllers/datacite_dois_controller.rb,
app/models/doi.rb, app/validators/xml_schema_validator.rb, spec/requests/datacite_dois/*), for
the rows of shared/reference/pids.md §7 (behaviour re-implemented from the text, no code
copied):

- `POST /dois` creates (201, Location; 422 "This DOI has already been taken" when it exists;
  a `prefix` alone gets a generated `xxxx-xxxx` suffix; neither -> 422 "Parameter prefix is
  required"); `PUT`/`PATCH /dois/{doi}` update or create (201 on create, 200 on update);
- events register, publish, hide, show move draft/registered/findable; an inapplicable event
  is ignored (200, state unchanged), as lupo's `whiny_transitions: false`;
- registered and findable DOIs need a `url` whose host the repository allows, and metadata
  that passes the kernel-4 XSD (the official 4.7 schema when shared/reference/schemas is there,
  else a check of the six mandatory properties); failures answer 422 `{source, title, uid}` and
  leave the stored DOI as it was; drafts are never validated;
- HTTP Basic with the repository id and password (401 "Bad credentials."), prefixes owned per
  repository (403), DOI syntax (422 "Is invalid"), a body without `data` (400), `GET` of an
  unknown DOI or of a non-findable one without credentials (404), `DELETE` of a draft (204) and
  of anything else (405 with Allow).

Fault injection (`inject`): answer a status (429 with Retry-After, 500, 503, ...), drop the
connection without applying the request, apply it and then drop the connection ("lost": the
client never hears), hang (before or after applying) until released or stopped, or delay the
answer. `creations` and `transitions` let tests assert that no DOI was made twice.

Run it by hand for a demo::

    python -m tests.support.datacite_server --port 5800 --repository FEDCAT.DEMO \\
        --password demo --prefix 10.80000
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

KERNEL4 = "http://datacite.org/schema/kernel-4"
DOI_SYNTAX = re.compile(r"^10\.\d{4,5}/[-._;()/:a-zA-Z0-9*~$=]+$")
MANDATORY = ("identifier", "creators", "titles", "publisher", "publicationYear", "resourceType")
ELEMENT_MESSAGE = re.compile(r"Element '(?:\{[^}]*\})?([^']+)'(?:, attribute '([^']+)')?: (.*)")
ALLOW_HEADER = "HEAD, GET, POST, PATCH, PUT, OPTIONS"
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
EVENTS = {
    "register": ({"draft"}, "registered"),
    "publish": ({"draft", "registered"}, "findable"),
    "hide": ({"findable"}, "registered"),
    "show": ({"registered"}, "findable"),
}
DEFAULT_XSD = (
    Path(__file__).resolve().parents[4]
    / "shared"
    / "reference"
    / "schemas"
    / "datacite"
    / "kernel-4.7"
    / "metadata.xsd"
)


def _xsd_path() -> Path:
    folder = os.environ.get("FEDCAT_SCHEMAS_DIR")
    if folder:
        return Path(folder) / "datacite" / "kernel-4.7" / "metadata.xsd"
    return DEFAULT_XSD


def snake(name: str) -> str:
    """publicationYear -> publication_year, as lupo names 422 sources."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def generated_suffix() -> str:
    """8 Crockford base32 characters, the last a check symbol, shown as xxxx-xxxx."""
    number = secrets.randbelow(32**7)
    body = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(7)))
    check = CROCKFORD[number % 31]
    return f"{body[:4]}-{body[4:]}{check}"


@dataclass
class Account:
    password: str
    prefixes: set[str]
    domains: set[str] = field(default_factory=lambda: {"localhost", "127.0.0.1", "testserver"})


@dataclass
class StoredDoi:
    doi: str
    repository: str
    state: str = "draft"
    url: str = ""
    xml: bytes = b""
    attributes: dict = field(default_factory=dict)


@dataclass
class Fault:
    kind: str  # status, drop, lost, hang, delay
    status: int = 503
    retry_after: float | None = None
    seconds: float = 3600.0
    apply: bool = True  # for hang: apply the request before hanging
    methods: frozenset = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Logged:
    method: str
    doi: str
    event: str
    outcome: str  # the status code answered, or dropped / lost / hung


class Refusal(Exception):
    def __init__(self, status: int, errors: list[dict], headers: dict | None = None):
        super().__init__(status)
        self.status, self.errors, self.headers = status, errors, headers or {}


def _error(status: int, title: str, **extra) -> Refusal:
    return Refusal(status, [{"status": str(status), "title": title, **extra}])


class DataCiteStandIn:
    """The server and its state. `start()` answers the base URL (http://127.0.0.1:<port>)."""

    def __init__(self, accounts: dict[str, Account] | None = None, *, port: int = 0):
        self.accounts = accounts or {
            "FEDCAT.TEST": Account(password="s3cret", prefixes={"10.80000"})
        }
        self.dois: dict[str, StoredDoi] = {}
        self.creations: Counter = Counter()
        self.transitions: list[tuple[str, str, str]] = []
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self.released = threading.Event()
        self.arrived = threading.Condition(self.lock)
        self._schema = None
        from .handler import handler_for

        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- test controls ------------------------------------------------------------------------
    def inject(self, kind: str, *, times: int = 1, **options) -> None:
        """Queues `times` faults; each write request (by default) takes the next one."""
        with self.lock:
            self.faults.extend(Fault(kind, **options) for _ in range(times))

    def release(self) -> None:
        """Lets hung requests end (they close their connection without an answer)."""
        self.released.set()

    def wait_for_request(self, predicate, timeout: float = 15.0) -> Logged | None:
        """Blocks until a logged request satisfies `predicate` (then answers it) or times out."""
        with self.arrived:
            found = self.arrived.wait_for(
                lambda: next((e for e in self.log if predicate(e)), None), timeout=timeout
            )
        return found

    def state_of(self, doi: str) -> str | None:
        with self.lock:
            stored = self.dois.get(doi.lower())
            return stored.state if stored else None

    # --- validation ---------------------------------------------------------------------------
    def schema(self):
        if self._schema is None:
            path = _xsd_path()
            if path.exists():
                parser = etree.XMLParser(no_network=True)
                self._schema = etree.XMLSchema(etree.parse(str(path), parser))
            else:
                self._schema = False
        return self._schema

    def metadata_errors(self, doi: str, xml: bytes, attributes: dict) -> list[dict]:
        """422 entries for metadata DataCite would refuse on register/publish."""
        if not xml:
            missing = [
                name
                for name in ("creators", "titles", "publisher", "publicationYear", "types")
                if not attributes.get(name)
            ]
            return [
                {"source": snake(name), "title": "Can't be blank", "uid": doi} for name in missing
            ]
        try:
            root = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
        except etree.XMLSyntaxError as exc:
            return [{"source": "xml", "title": f"DOI {doi}: {exc}", "uid": doi}]
        schema = self.schema()
        if schema is False:  # no XSD here: check the six mandatory properties only
            found = {etree.QName(child).localname: child for child in root}
            return [
                {
                    "source": snake(name),
                    "title": f"DOI {doi}: Missing child element(s). Expected is ( {name} ).",
                    "uid": doi,
                }
                for name in MANDATORY
                if name not in found or not (len(found[name]) or (found[name].text or "").strip())
            ]
        if schema.validate(root):
            return []
        return [self._xsd_entry(doi, error) for error in schema.error_log]

    @staticmethod
    def _xsd_entry(doi: str, error) -> dict:
        message = error.message
        element = ""
        match = ELEMENT_MESSAGE.match(message)
        if match:
            element, attribute, message = match.group(1), match.group(2), match.group(3)
            element = attribute or element
        if element == "resource":
            expected = re.findall(r"\{" + re.escape(KERNEL4) + r"\}(\w+)", message)
            element = next((name for name in expected if name in MANDATORY), element)
        message = message.replace("{" + KERNEL4 + "}", "")
        title = f"DOI {doi}: {message} at line {error.line}, column {error.column}"
        return {"source": snake(element or "xml"), "title": title, "uid": doi}

    # --- the API ------------------------------------------------------------------------------
    def authenticate(self, header: str) -> str | None:
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        account = self.accounts.get(user)
        if account is None or not secrets.compare_digest(account.password, password):
            return None
        return user

    def write(self, method: str, path_doi: str | None, body: bytes, repository: str):
        """POST (path_doi None), PUT or PATCH: (status, stored DOI, created?)."""
        try:
            document = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            document = None
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict):
            raise _error(400, "You need to provide a payload following the JSONAPI spec")
        attributes = data.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise _error(400, "You need to provide a payload following the JSONAPI spec")
        account = self.accounts[repository]
        if path_doi is not None:
            doi = path_doi.lower()
        elif attributes.get("doi"):
            doi = str(attributes["doi"]).lower()
        elif attributes.get("prefix"):
            doi = f"{str(attributes['prefix']).lower()}/{generated_suffix()}"
        else:
            raise _error(422, "Parameter prefix is required")
        prefix = doi.split("/", 1)[0]
        if prefix not in account.prefixes:
            raise _error(403, "You are not authorized to access this resource.")
        if not DOI_SYNTAX.match(doi):
            raise Refusal(422, [{"source": "doi", "title": "Is invalid", "uid": doi}])
        with self.lock:
            existing = self.dois.get(doi)
            if existing is not None and existing.repository != repository:
                raise _error(403, "You are not authorized to access this resource.")
            if existing is not None and method == "POST":
                raise Refusal(
                    422, [{"source": "doi", "title": "This DOI has already been taken", "uid": doi}]
                )
            candidate = StoredDoi(
                doi=doi,
                repository=repository,
                state=existing.state if existing else "draft",
                url=existing.url if existing else "",
                xml=existing.xml if existing else b"",
                attributes=dict(existing.attributes) if existing else {},
            )
            if "url" in attributes:
                candidate.url = str(attributes["url"] or "")
            if attributes.get("xml"):
                try:
                    candidate.xml = base64.b64decode(str(attributes["xml"]), validate=True)
                except (binascii.Error, ValueError):
                    raise Refusal(
                        422, [{"source": "xml", "title": "Is not valid base64", "uid": doi}]
                    ) from None
            for key, value in attributes.items():
                if key not in ("doi", "prefix", "suffix", "url", "xml", "event", "state"):
                    candidate.attributes[key] = value
            event = str(attributes.get("event") or "")
            before = candidate.state
            allowed_from, after = EVENTS.get(event, (set(), before))
            if before in allowed_from:
                candidate.state = after
            if candidate.state != "draft":
                self._validate(candidate, account, repository)
            self.dois[doi] = candidate
            if existing is None:
                self.creations[doi] += 1
            if candidate.state != before or existing is None:
                self.transitions.append((doi, before if existing else "", candidate.state))
            return (200 if existing else 201), candidate

    def _validate(self, candidate: StoredDoi, account: Account, repository: str) -> None:
        doi = candidate.doi
        if not candidate.url:
            raise Refusal(422, [{"source": "url", "title": "Can't be blank", "uid": doi}])
        host = urlsplit(candidate.url).hostname or ""
        if "*" not in account.domains and host not in account.domains:
            title = (
                f"URL {candidate.url} is not allowed by repository {repository} domain settings."
            )
            raise Refusal(422, [{"source": "url", "title": title, "uid": doi}])
        errors = self.metadata_errors(doi, candidate.xml, candidate.attributes)
        if errors:
            raise Refusal(422, errors)

    def document(self, stored: StoredDoi) -> dict:
        prefix, _, suffix = stored.doi.partition("/")
        attributes = {
            "doi": stored.doi,
            "prefix": prefix,
            "suffix": suffix,
            "state": stored.state,
            "url": stored.url or None,
            "xml": base64.b64encode(stored.xml).decode() if stored.xml else None,
            **stored.attributes,
        }
        return {
            "data": {
                "id": stored.doi,
                "type": "dois",
                "attributes": attributes,
                "relationships": {"client": {"data": {"id": stored.repository.lower()}}},
            }
        }

    def take_fault(self, method: str) -> Fault | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if method in fault.methods:
                    return self.faults.pop(index)
        return None

    def record(self, method: str, doi: str, event: str, outcome) -> None:
        with self.arrived:
            self.log.append(Logged(method, doi, event, str(outcome)))
            self.arrived.notify_all()
