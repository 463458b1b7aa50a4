""":class:`RegistryClient`, the v1 API as resources on one client, as Consul's Go API is shaped:
``instances`` (read and wait), ``registration`` (register, heartbeat, update meta, deregister,
keep alive) and ``events`` (watch)."""

from __future__ import annotations

import ssl
from typing import Optional

from .api import Servers, Transport
from .events import Events
from .instances import Instances
from .registration import Registration


class RegistryClient:
    """A client of one srsr deployment: one node, or several sharing a PostgreSQL database.

    Args:
        server: the registry's base URL, or a list of them (the nodes of one deployment): a
            call that cannot reach one, or gets a 5xx, goes on to the next.
        token: sent as ``Authorization: Bearer <token>``.
        ca_file: a PEM file of the CA that signed the registry's certificate (a private CA).
        ssl_context: how to verify ``https://`` servers, instead of ``ca_file``. Default: the
            system's trusted CAs.
        request_timeout: seconds one call may take; a long-poll gets its wait on top. Default 10.

    Example::

        from srsr_client import RegistryClient

        registry = RegistryClient(["http://10.0.0.1:4214", "http://10.0.0.2:4214"], token="s3cret")
        instance = registry.registration.register("billing", port=8080, meta={"zone": "a"}, ttl=15)
        print(registry.instances.pick("billing", meta={"zone": "a"}))
    """

    def __init__(
        self,
        server: Servers,
        *,
        token: Optional[str] = None,
        ca_file: Optional[str] = None,
        ssl_context: Optional[ssl.SSLContext] = None,
        request_timeout: float = 10.0,
    ) -> None:
        if token is not None and (not isinstance(token, str) or not token or any(c in token for c in "\r\n")):
            raise ValueError("token: must be a non-empty string on one line")
        if ca_file is not None and ssl_context is not None:
            raise ValueError("ca_file: give either ca_file or ssl_context, not both")
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise ValueError(f"ssl_context: must be an ssl.SSLContext or None, got {ssl_context!r}")
        if not request_timeout > 0:
            raise ValueError(f"request_timeout: must be greater than 0 seconds, got {request_timeout!r}")
        if ca_file is not None:
            try:
                ssl_context = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as error:
                raise ValueError(f"ca_file: cannot use {ca_file!r} as a CA file: {error}") from error
        self.transport = Transport(server, token=token, ssl_context=ssl_context, request_timeout=request_timeout)
        self.instances = Instances(self.transport)
        self.registration = Registration(self.transport)
        self.events = Events(self.transport)

    @property
    def servers(self) -> list:
        return list(self.transport.servers)
