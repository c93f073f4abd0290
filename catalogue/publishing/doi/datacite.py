"""DataCite's REST API (JSON:API): an httpx client and the provider built on it.

Minting is `PUT /dois/{doi}` with the DOI chosen here, the landing URL and the kernel-4 XML
(base64, validated locally first by catalogue.formats.datacite), plus an event: PUT creates or
updates, so repeating a call whose answer was lost does no harm (pids.md §1.2, §1.6). Every reply
carries `data.attributes.state`, which the caller compares with what it asked for: DataCite
ignores inapplicable events silently.

Status handling (pids.md §1.6): 2xx answers the state; 409 (a unique-index race), 429 and 5xx,
timeouts and network errors raise DoiUnavailable (with Retry-After when sent); every other 4xx
raises DoiRejected with DataCite's errors[] (e.g. 422 {source: "creators", title: ...}).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx

from catalogue.formats import datacite as datacite_format

from .base import DoiProvider, DoiRejected, DoiUnavailable, RemoteDoi

JSON_API = "application/vnd.api+json"
RETRY_STATUSES = frozenset({409, 429}) | frozenset(range(500, 600))


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (the HTTP-date form is treated as unknown)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def errors_of(response: httpx.Response) -> list[dict]:
    """DataCite's errors[] as {status, source, title}; a non-JSON body becomes one title."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    found = body.get("errors") if isinstance(body, dict) else None
    if isinstance(found, list):
        out = []
        for item in found:
            if isinstance(item, dict):
                out.append(
                    {
                        "status": str(item.get("status") or response.status_code),
                        "source": str(item.get("source") or ""),
                        "title": str(item.get("title") or ""),
                    }
                )
        if out:
            return out
    text = response.text.strip()[:500] or response.reason_phrase
    return [{"status": str(response.status_code), "source": "", "title": text}]


def describe(status: int, errors: list[dict]) -> str:
    parts = [f"{e['source']}: {e['title']}" if e["source"] else e["title"] for e in errors]
    return f"DataCite answered {status}: " + "; ".join(parts)


class DataCiteClient:
    """HTTP Basic with the repository id and password; one httpx.Client per instance."""

    def __init__(
        self,
        base_url: str,
        repository_id: str,
        password: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "fedcat",
    ):
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=(repository_id, password),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"Accept": JSON_API, "User-Agent": user_agent},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, doi: str, body: dict | None = None) -> httpx.Response:
        path = f"/dois/{quote(doi, safe='/')}"
        content = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": JSON_API} if body is not None else {}
        try:
            response = self._http.request(method, path, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise DoiUnavailable(f"DataCite did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise DoiUnavailable(f"DataCite could not be reached: {exc}") from exc
        if response.status_code < 400:
            return response
        errors = errors_of(response)
        message = describe(response.status_code, errors)
        if response.status_code in RETRY_STATUSES:
            raise DoiUnavailable(
                message, status=response.status_code, retry_after=retry_after(response)
            )
        raise DoiRejected(message, status=response.status_code, errors=errors)

    def put_doi(self, doi: str, attributes: dict) -> dict:
        """`PUT /dois/{doi}`: the reply's data.attributes."""
        body = {"data": {"id": doi, "type": "dois", "attributes": attributes}}
        return self._attributes(self._send("PUT", doi, body))

    def get_doi(self, doi: str) -> dict | None:
        try:
            return self._attributes(self._send("GET", doi))
        except DoiRejected as exc:
            if exc.status == 404:
                return None
            raise

    def delete_doi(self, doi: str) -> None:
        """Only drafts can be deleted (405 otherwise)."""
        self._send("DELETE", doi)

    @staticmethod
    def _attributes(response: httpx.Response) -> dict:
        try:
            data = response.json()["data"]
            attributes = dict(data.get("attributes") or {})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DoiUnavailable(
                f"DataCite answered {response.status_code} without a JSON:API document",
                status=response.status_code,
            ) from exc
        attributes.setdefault("doi", data.get("id", ""))
        return attributes


class DataCiteProvider(DoiProvider):
    name = "datacite"

    def payload(self, record) -> dict:
        """doi, url and the validated kernel-4 XML (raises IncompleteMetadata)."""
        return datacite_format.rest_attributes(record)

    def put(self, doi: str, payload: dict, *, event: str | None) -> RemoteDoi:
        attributes = {**payload, "doi": doi}
        if event:
            attributes["event"] = event
        answer = self.client.put_doi(doi, attributes)
        return RemoteDoi(str(answer.get("doi") or doi).lower(), str(answer.get("state") or ""))

    def get(self, doi: str) -> RemoteDoi | None:
        answer = self.client.get_doi(doi)
        if answer is None:
            return None
        return RemoteDoi(str(answer.get("doi") or doi).lower(), str(answer.get("state") or ""))
