"""The ``registration`` resource of :class:`~srsr_client.RegistryClient`: register with meta
and a TTL, heartbeat, update meta, deregister, and :meth:`Registration.keep_alive`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from .api import Transport, segment
from .instances import Instance

if TYPE_CHECKING:
    from .keep_alive import KeepAlive


class Registration:
    """Registers instances. "Not found" is a value (``None``, ``False``); any other answer but
    a 2xx raises a :class:`RegistryError` with ``status`` and ``body``."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def register(
        self,
        name: str,
        *,
        address: Optional[str] = None,
        port: Optional[int] = None,
        meta: Optional[Mapping[str, str]] = None,
        ttl: Optional[float] = None,
    ) -> Instance:
        """Registers an instance of ``name`` and answers it (with its ``id``). Without
        ``address`` the registry uses ``http://<the caller's IP>``; ``port`` is appended as
        ``:port``; ``ttl`` is in seconds (default: the registry's ``--timeout``).

        Raises:
            RegistryError: a 4xx (a bad name, address, meta or ttl: ``status`` 400), or no
                server could be reached (``status`` ``None``) or all failed (5xx).
        """
        body: Dict[str, Any] = {}
        if address is not None:
            body["address"] = address
        if port is not None:
            body["port"] = port
        if meta is not None:
            body["meta"] = dict(meta)
        if ttl is not None:
            body["ttl"] = ttl
        answer = self.transport.send("POST", f"v1/services/{segment(name)}/instances", body=body)
        assert answer is not None
        return answer.value

    def heartbeat(self, instance_id: str) -> Optional[Instance]:
        """Renews the instance for its own TTL and answers it (with the new ``expiresAt``), or
        ``None`` when the registry does not have it (it expired: register again)."""
        answer = self.transport.send("PUT", f"v1/instances/{segment(instance_id)}/heartbeat", not_found=True)
        return None if answer is None else answer.value

    def update_meta(self, instance_id: str, meta: Mapping[str, Optional[str]]) -> Optional[Instance]:
        """Merges ``meta`` into the instance's (a ``None`` value removes the key) and answers
        the instance, or ``None`` when the registry does not have it."""
        answer = self.transport.send("PATCH", f"v1/instances/{segment(instance_id)}", body={"meta": dict(meta)}, not_found=True)
        return None if answer is None else answer.value

    def deregister(self, instance_id: str) -> bool:
        """Removes the instance; ``False`` when the registry did not have it."""
        return self.transport.send("DELETE", f"v1/instances/{segment(instance_id)}", not_found=True) is not None

    def keep_alive(
        self,
        name: str,
        *,
        address: Optional[str] = None,
        port: Optional[int] = None,
        meta: Optional[Mapping[str, str]] = None,
        ttl: Optional[float] = None,
        **options: Any,
    ) -> "KeepAlive":
        """An instance of ``name`` kept registered in the background; see :class:`KeepAlive`.

        Example::

            with registry.registration.keep_alive("billing", port=8080, meta={"zone": "a"}, ttl=15) as kept:
                serve_forever()  # registered (and re-registered) in the background meanwhile
        """
        from .keep_alive import KeepAlive

        return KeepAlive(self, name, address=address, port=port, meta=meta, ttl=ttl, **options)
