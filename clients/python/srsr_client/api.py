"""What every v1 resource shares, as Consul's ``api.go`` is for its resources: the registry's
base URLs, the bearer token, TLS and the per-call timeout, and one :meth:`Transport.send` that
each call goes through (build -> send -> require 2xx -> decode), moving on to the next server
when one cannot be reached or answers 5xx."""

from __future__ import annotations

import json
import ssl
import threading
import urllib.parse
from typing import Any, Callable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, TypeVar, Union

from .errors import RegistryError
from .transport import bearer_headers, decode_json, send_request

Servers = Union[str, Sequence[str]]
MetaFilter = Mapping[str, str]
T = TypeVar("T")


class Answer(NamedTuple):
    status: int
    headers: Mapping[str, str]
    value: Any


def server_list(server: Servers) -> List[str]:
    """``server`` as a non-empty list of base URLs without a trailing ``/``."""
    servers = [server] if isinstance(server, str) else list(server)
    if not servers:
        raise ValueError("server: must be a URL or a non-empty list of URLs")
    for url in servers:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"server: must be http:// or https:// URLs, got {url!r}")
    return [url.rstrip("/") for url in servers]


def segment(text: str) -> str:
    """``text`` as one path segment: ``team/billing`` -> ``team%2Fbilling``."""
    return urllib.parse.quote(text, safe="")


def meta_query(meta: Optional[MetaFilter]) -> List[Tuple[str, str]]:
    """``meta.KEY=VALUE`` for each entry of ``meta``, the v1 API's filter."""
    return [(f"meta.{key}", value) for key, value in (meta or {}).items()]


class Transport:
    """Sends v1 calls to the first of ``servers`` that answers, starting with the last one that did.

    A call tries each server once: a connection failure, a timeout or a 5xx moves it on to the
    next; any other answer ends it. When every server failed it raises the last error; the
    background loops (keep-alive, watch, wait-for) then back off before trying them all again.
    """

    def __init__(
        self, servers: Servers, *, token: Optional[str], ssl_context: Optional[ssl.SSLContext], request_timeout: float
    ) -> None:
        self.servers = server_list(servers)
        self.token = token
        self.ssl_context = ssl_context
        self.request_timeout = request_timeout
        self._lock = threading.Lock()
        self._preferred = 0

    def headers(self) -> Mapping[str, str]:
        return bearer_headers(self.token)

    def url(self, server: str, path: str, query: Sequence[Tuple[str, str]] = ()) -> str:
        search = urllib.parse.urlencode(list(query))
        return f"{server}/{path}" + (f"?{search}" if search else "")

    def each_server(self, attempt: Callable[[str], T]) -> T:
        """``attempt(server)`` on each server in turn until one does not fail retryably."""
        with self._lock:
            first = self._preferred
        failure: Optional[RegistryError] = None
        for offset in range(len(self.servers)):
            position = (first + offset) % len(self.servers)
            try:
                result = attempt(self.servers[position])
            except RegistryError as error:
                if not error.retryable:
                    raise
                failure = error
                continue
            with self._lock:
                self._preferred = position
            return result
        assert failure is not None
        if len(self.servers) > 1:
            raise RegistryError(
                f"every server failed ({', '.join(self.servers)}); the last: {failure}", status=failure.status,
                body=failure.body,
            ) from failure
        raise failure

    def send(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[Tuple[str, str]] = (),
        body: Optional[Mapping[str, Any]] = None,
        not_found: bool = False,
        hold: float = 0.0,
    ) -> Optional[Answer]:
        """The decoded answer to one call. ``not_found=True``: a 404 answers ``None`` rather
        than raising. ``hold``: seconds the registry may hold the call (a long-poll), on top
        of the request timeout."""
        data = None if body is None else json.dumps(body).encode("utf-8")

        def attempt(server: str) -> Optional[Answer]:
            url = self.url(server, path, query)
            try:
                status, headers, text = send_request(
                    method, url, data, self.request_timeout + hold, self.ssl_context, self.headers()
                )
            except RegistryError as error:
                if not_found and error.status == 404:
                    return None
                raise
            value = None if status == 204 or text == "" else decode_json(f"{method} {url}", status, text)
            return Answer(status, headers, value)

        return self.each_server(attempt)
