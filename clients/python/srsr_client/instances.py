"""The ``instances`` resource of :class:`~srsr_client.RegistryClient`: reading the catalog
(``GET /v1/services…``, ``GET /v1/instances/{id}``), and waiting on it with the long-poll."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, NamedTuple, Optional

from .api import MetaFilter, Transport, meta_query, segment
from .backoff import Backoff
from .errors import RegistryError

Instance = Dict[str, Any]
"""An instance as the v1 API shows it: ``id``, ``name``, ``address``, ``meta``, ``ttl``,
``registeredAt``, ``expiresAt``."""

INDEX_HEADER = "X-Srsr-Index"
# The registry holds a long-poll at most this long per request; wait_for asks again after it.
LONG_POLL_SECONDS = 30.0


class InstanceList(List[Instance]):
    """The live instances of a name, oldest first; ``index`` is the name's index they were read
    at, for a long-poll (``list(name, index=answer.index, wait=30)``)."""

    def __init__(self, instances: List[Instance], index: int) -> None:
        super().__init__(instances)
        self.index = index


class ServiceList(List[Dict[str, Any]]):
    """Every name with a live instance, sorted, as ``{"name", "instances"}`` (a count);
    ``index`` is the catalog's global index."""

    def __init__(self, services: List[Dict[str, Any]], index: int) -> None:
        super().__init__(services)
        self.index = index


class WaitResult(NamedTuple):
    """How :meth:`Instances.wait_for` ended: ``satisfied`` with the live ``instances`` that
    satisfied it, or not when the time ran out, with those last seen (``unreachable``: the
    error of the last attempt, when it could not reach the registry)."""

    satisfied: bool
    instances: List[Instance]
    unreachable: Optional[RegistryError] = None


def _duration(seconds: float) -> str:
    return f"{max(1, int(seconds * 1000))}ms"


class Instances:
    """Reads the catalog. "Not found" is a value (``None``, an empty list); any other answer
    but a 2xx raises a :class:`RegistryError` with ``status`` and ``body``."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def services(self) -> ServiceList:
        """Every name with a live instance: ``[{"name": "billing", "instances": 2}, …]``."""
        answer = self.transport.send("GET", "v1/services")
        assert answer is not None
        return ServiceList(list(answer.value["services"]), int(answer.value["index"]))

    def list(
        self, name: str, meta: Optional[MetaFilter] = None, *, index: int = 0, wait: Optional[float] = None
    ) -> InstanceList:
        """The live instances of ``name`` whose meta has every entry of ``meta``; ``[]`` for a
        name nobody registered. With ``index`` (an earlier answer's) and ``wait`` (seconds),
        the registry holds the answer until the name changes or ``wait`` passes.

        Example::

            billing = registry.instances.list("billing", meta={"zone": "eu-west-1a"})
            changed = registry.instances.list("billing", index=billing.index, wait=30)
        """
        query = meta_query(meta)
        hold = 0.0
        if index:
            query.append(("index", str(index)))
            if wait is not None:
                query.append(("wait", _duration(wait)))
                hold = wait * 17 / 16  # the registry adds a jitter of up to wait/16
            else:
                hold = 5 * 60 * 17 / 16
        answer = self.transport.send("GET", f"v1/services/{segment(name)}", query=query, hold=hold)
        assert answer is not None
        header = answer.headers.get(INDEX_HEADER)
        return InstanceList(list(answer.value["instances"]), int(header or answer.value["index"]))

    def pick(self, name: str, meta: Optional[MetaFilter] = None) -> Optional[Instance]:
        """One live instance of ``name`` (matching ``meta``) chosen at random, or ``None``."""
        answer = self.transport.send("GET", f"v1/services/{segment(name)}/pick", query=meta_query(meta), not_found=True)
        return None if answer is None else answer.value

    def get(self, instance_id: str) -> Optional[Instance]:
        """The instance ``instance_id``, or ``None`` when it is not live."""
        answer = self.transport.send("GET", f"v1/instances/{segment(instance_id)}", not_found=True)
        return None if answer is None else answer.value

    def wait_for(
        self,
        name: str,
        count: int = 1,
        timeout: float = 60.0,
        *,
        meta: Optional[MetaFilter] = None,
        stop: Optional[threading.Event] = None,
        backoff: Optional[Backoff] = None,
    ) -> WaitResult:
        """Waits up to ``timeout`` seconds until ``name`` has ``count`` live instances (matching
        ``meta``), on the long-poll: it wakes within milliseconds of the change. An unreachable
        or failing registry is waited out with backoff; a 4xx raises. Setting ``stop`` ends the
        wait early (not satisfied).

        Example::

            users = registry.instances.wait_for("users", count=2, timeout=60)
            if not users.satisfied:
                raise SystemExit(f"only {len(users.instances)} users instances after a minute")
        """
        if not (isinstance(count, int) and count >= 1):
            raise ValueError(f"count: must be an integer of at least 1, got {count!r}")
        if not timeout > 0:
            raise ValueError(f"timeout: must be greater than 0 seconds, got {timeout!r}")
        stop = stop or threading.Event()
        delays = backoff or Backoff(0.25, 5.0)
        deadline = time.monotonic() + timeout
        index = 0
        seen: List[Instance] = []
        unreachable: Optional[RegistryError] = None
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                answer = self.list(name, meta, index=index, wait=min(remaining * 16 / 17, LONG_POLL_SECONDS))
            except RegistryError as error:
                if not error.transient:
                    raise
                unreachable = error if error.status is None else None
                stop.wait(min(delays.next(), max(0.0, deadline - time.monotonic())))
                continue
            delays.reset()
            unreachable = None
            seen = list(answer)
            if len(seen) >= count:
                return WaitResult(True, seen)
            # A registry restarted with the memory store answers a lower index: take it as it is.
            index = answer.index
        return WaitResult(False, seen, unreachable)
