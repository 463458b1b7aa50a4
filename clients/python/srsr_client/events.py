"""The ``events`` resource of :class:`~srsr_client.RegistryClient`: the catalog's changes as
they happen, from the v1 API's Server-Sent Events (``GET /v1/events``), as an iterator that
outlives the connection. A dropped or ended stream is reopened with backoff and
``Last-Event-ID`` (on the next server when there are several), so the registry sends exactly
the changes missed; when it no longer holds them (or restarted with the memory store) it
starts again with a fresh ``snapshot``, which the iterator passes on."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
import urllib.parse
from dataclasses import dataclass
from types import TracebackType
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Type

from .api import Transport
from .backoff import Backoff
from .errors import RegistryError
from .instances import Instance
from .transport import USER_AGENT

logger = logging.getLogger("srsr_client")
CHANGE_TYPES = ("register", "deregister", "expire", "update")


@dataclass(frozen=True)
class RegistryEvent:
    """``snapshot``: the live ``instances`` of the names watched, when the stream starts (and
    again when it could not resume where it left off). ``register``, ``deregister``, ``expire``,
    ``update``: one change to ``instance``. ``index``: the catalog index of the event."""

    type: str
    index: int
    instances: Optional[List[Instance]] = None
    instance: Optional[Instance] = None


class SseParser:
    """Lines of a ``text/event-stream`` in, ``(event, data, id)`` out at each blank line."""

    def __init__(self) -> None:
        self._event = ""
        self._data: List[str] = []
        self._id: Optional[str] = None

    def line(self, line: str) -> Optional[Tuple[str, str, Optional[str]]]:
        if line == "":
            if not self._data:
                self._event = ""
                return None
            message = (self._event or "message", "\n".join(self._data), self._id)
            self._event, self._data = "", []
            return message
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self._id = value
        return None


def decode_event(name: str, data: str, event_id: Optional[str], what: str) -> Optional[RegistryEvent]:
    try:
        value = json.loads(data)
        if name == "snapshot":
            return RegistryEvent("snapshot", int(value["index"]), instances=list(value["instances"]))
        if name not in CHANGE_TYPES:
            return None  # a kind this client does not know yet
        return RegistryEvent(name, int(event_id or ""), instance=dict(value["instance"]))
    except (ValueError, KeyError, TypeError) as error:
        raise RegistryError(f"{what}: event {name} is malformed ({error!r}): {data[:200]!r}", status=200, body=data) from None


class Watch:
    """An iterator of :class:`RegistryEvent`; :meth:`close` (from any thread) ends it.

    Example::

        with registry.events.watch(["billing"]) as events:
            for event in events:
                print(event.type, event.index)
    """

    def __init__(
        self,
        transport: Transport,
        names: Optional[Sequence[str]],
        *,
        since: Optional[int],
        idle_timeout: float,
        backoff: Backoff,
        on_error: Optional[Callable[[RegistryError], None]],
    ) -> None:
        self.transport = transport
        self.names = list(names or [])
        self.last_index = since
        """The index of the latest event; a reconnect resumes after it."""
        self.idle_timeout = idle_timeout
        self.on_error = on_error
        self._backoff = backoff
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._connection: Optional[http.client.HTTPConnection] = None
        self._events = self._generate()

    def __iter__(self) -> "Watch":
        return self

    def __next__(self) -> RegistryEvent:
        return next(self._events)

    def close(self) -> None:
        """Ends the iteration and drops the connection; safe from another thread or a signal handler."""
        self._stop.set()
        with self._lock:
            connection = self._connection
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "Watch":
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], traceback: Optional[TracebackType]
    ) -> None:
        self.close()
        self._events.close()

    def _generate(self) -> Iterator[RegistryEvent]:
        path = "v1/events" + ("?" + urllib.parse.urlencode([("name", n) for n in self.names]) if self.names else "")
        while not self._stop.is_set():
            try:
                response, url = self.transport.each_server(lambda server: self._open(server, path))
                self._backoff.reset()
                yield from self._read(response, url)
                failure = RegistryError(f"GET {url}: the registry ended the stream")
            except RegistryError as error:
                if self._stop.is_set():
                    return
                if not error.transient:
                    raise
                failure = error
            finally:
                self._disconnect()
            if self._stop.is_set():
                return
            self._report(failure)
            self._stop.wait(self._backoff.next())

    def _read(self, response: http.client.HTTPResponse, url: str) -> Iterator[RegistryEvent]:
        parser = SseParser()
        while not self._stop.is_set():
            try:
                raw = response.readline()
            except (OSError, http.client.HTTPException) as error:
                reason = f"nothing received for {self.idle_timeout} s" if isinstance(error, socket.timeout) else repr(error)
                raise RegistryError(f"GET {url}: stream lost: {reason}") from error
            if raw == b"":
                return
            message = parser.line(raw.decode("utf-8", "replace").rstrip("\r\n").lstrip("\ufeff"))
            if message is None:
                continue
            event = decode_event(*message, what=f"GET {url}")
            if event is not None:
                self.last_index = event.index
                yield event

    def _open(self, server: str, path: str) -> Tuple[http.client.HTTPResponse, str]:
        url = f"{server}/{path}"
        parts = urllib.parse.urlsplit(url)
        timeout = self.transport.request_timeout
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            context = self.transport.ssl_context or ssl.create_default_context()
            connection = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout, context=context)
        else:
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        with self._lock:
            self._connection = connection
        headers = {"Accept": "text/event-stream", "User-Agent": USER_AGENT, **self.transport.headers()}
        if self.last_index is not None:
            headers["Last-Event-ID"] = str(self.last_index)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            if response.status != 200 or not (response.getheader("Content-Type") or "").startswith("text/event-stream"):
                text = response.read().decode("utf-8", "replace")
                raise RegistryError(f"GET {url}: HTTP {response.status}: {text[:500]}", status=response.status, body=text)
            # The answer's head is timed by the request timeout; the stream by the idle timeout.
            if connection.sock is not None:
                connection.sock.settimeout(self.idle_timeout)
        except (OSError, http.client.HTTPException) as error:
            self._disconnect()
            raise RegistryError(f"GET {url}: registry unreachable: {error!r}") from error
        except RegistryError:
            self._disconnect()
            raise
        return response, url

    def _disconnect(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _report(self, error: RegistryError) -> None:
        logger.warning("srsr: watching %s: %s; reconnecting", ",".join(self.names) or "every name", error)
        if self.on_error is None:
            return
        try:
            self.on_error(error)
        except Exception:  # noqa: BLE001 - a failing handler must not end the watch
            logger.exception("srsr: on_error raised")


class Events:
    """Watches the catalog."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def watch(
        self,
        names: Optional[Sequence[str]] = None,
        *,
        since: Optional[int] = None,
        idle_timeout: float = 45.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        on_error: Optional[Callable[[RegistryError], None]] = None,
    ) -> Watch:
        """The events of ``names`` (every name when ``None``): a ``snapshot`` first (none with
        ``since``, when the registry still holds the changes after it), then each change.
        Connection failures, 5xx and streams silent for ``idle_timeout`` seconds (the registry
        pings every 15 s) are retried with backoff and told to ``on_error``; a 4xx (a bad name,
        a missing token) raises :class:`RegistryError` from the iteration.

        Example::

            for event in registry.events.watch(["billing"]):
                if event.type == "snapshot":
                    print(len(event.instances), "live")
                else:
                    print(event.type, event.instance["address"])
        """
        if isinstance(names, str):
            raise ValueError(f"names: must be a list of names, got the string {names!r}")
        return Watch(
            self.transport, names, since=since, idle_timeout=idle_timeout,
            backoff=Backoff(backoff_initial, backoff_max), on_error=on_error,
        )
