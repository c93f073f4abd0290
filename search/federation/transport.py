"""A lean HTTP/1.1 transport for httpx.AsyncClient: asyncio streams, h11, keep-alive per origin.

httpx's default async transport (httpcore) costs several milliseconds per request when a few
run concurrently (encode/httpx#3215: its AnyIO locks and connection-pool bookkeeping), which is
most of a federated search's overhead. This transport keeps httpx's client API (request
building, cookies, decompression, redirects policy) and replaces only the connection layer:
one asyncio connection per request in flight, idle connections kept per origin, h11 for the
protocol. Timeouts are the caller's (``asyncio.timeout`` around the request); a request that
is cancelled or fails closes its connection instead of returning it to the pool.

Errors are raised as httpx's: ConnectError, RemoteProtocolError, ReadError.
"""

from __future__ import annotations

import asyncio
import ssl

import h11
import httpx

READ_SIZE = 64 * 1024
MAX_IDLE_PER_ORIGIN = 8


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(our_role=h11.CLIENT)
        self.reused = False

    def close(self) -> None:
        self.writer.close()

    async def send(self, event) -> None:
        data = self.h11.send(event)
        if data:
            self.writer.write(data)

    async def next_event(self):
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self.reader.read(READ_SIZE)
            self.h11.receive_data(data)  # b"" marks the end of the stream


class _Body(httpx.AsyncByteStream):
    def __init__(self, transport: LeanTransport, origin, connection: _Connection):
        self.transport = transport
        self.origin = origin
        self.connection = connection
        self.done = False

    async def __aiter__(self):
        try:
            while True:
                event = await self.connection.next_event()
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    self.done = True
                    return
                else:
                    raise httpx.RemoteProtocolError("the connection closed mid-answer")
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from None
        except (ConnectionError, OSError) as exc:
            raise httpx.ReadError(str(exc)) from None

    async def aclose(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        if self.done:
            self.transport._release(self.origin, connection)
        else:
            connection.close()


class LeanTransport(httpx.AsyncBaseTransport):
    def __init__(self, ssl_context: ssl.SSLContext | None = None):
        self.ssl_context = ssl_context or httpx.create_ssl_context()
        self.idle: dict[tuple, list[_Connection]] = {}

    async def _open(self, origin) -> _Connection:
        scheme, host, port = origin
        tls = self.ssl_context if scheme == "https" else None
        try:
            reader, writer = await asyncio.open_connection(
                host, port, ssl=tls, server_hostname=host if tls else None, limit=READ_SIZE
            )
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        return _Connection(reader, writer)

    def _take(self, origin) -> _Connection | None:
        pool = self.idle.get(origin, [])
        while pool:
            connection = pool.pop()
            if not connection.reader.at_eof() and not connection.writer.is_closing():
                connection.reused = True
                return connection
            connection.close()
        return None

    def _release(self, origin, connection: _Connection) -> None:
        reusable = connection.h11.our_state is h11.DONE and connection.h11.their_state is h11.DONE
        pool = self.idle.setdefault(origin, [])
        if reusable and len(pool) < MAX_IDLE_PER_ORIGIN:
            connection.h11.start_next_cycle()
            pool.append(connection)
        else:
            connection.close()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        origin = (url.scheme, url.host, port)
        connection = self._take(origin)
        if connection is not None:
            try:
                return await self._exchange(origin, connection, request)
            except (httpx.RemoteProtocolError, httpx.ReadError):
                pass  # the server closed the idle connection: once more on a new one
        return await self._exchange(origin, await self._open(origin), request)

    async def _exchange(self, origin, connection: _Connection, request: httpx.Request):
        host = request.url.netloc.decode("ascii")
        headers = [(b"Host", host.encode())] + [
            (k, v) for k, v in request.headers.raw if k.lower() != b"host"
        ]
        target = request.url.raw_path
        try:
            body = await request.aread()
            if body and not request.headers.get("content-length"):
                headers.append((b"Content-Length", str(len(body)).encode()))
            await connection.send(
                h11.Request(method=request.method, target=target, headers=headers)
            )
            if body:
                await connection.send(h11.Data(data=body))
            await connection.send(h11.EndOfMessage())
            await connection.writer.drain()
            event = await connection.next_event()
            while isinstance(event, h11.InformationalResponse):
                event = await connection.next_event()
            if not isinstance(event, h11.Response):
                raise httpx.RemoteProtocolError("the connection closed before an answer")
        except BaseException as exc:
            connection.close()
            if isinstance(exc, h11.RemoteProtocolError):
                raise httpx.RemoteProtocolError(str(exc)) from None
            if isinstance(exc, ConnectionError | OSError):
                raise httpx.ReadError(str(exc)) from None
            raise
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers,
            stream=_Body(self, origin, connection),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    async def aclose(self) -> None:
        for pool in self.idle.values():
            for connection in pool:
                connection.close()
        self.idle.clear()
