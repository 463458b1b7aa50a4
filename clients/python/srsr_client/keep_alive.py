"""One instance kept registered for as long as its owner wants, from a daemon thread: it
heartbeats every third of its TTL (so two can be lost before it expires), registers again with
the same meta and TTL when the registry answers a heartbeat with 404 (it restarted with the
memory store, or the instance expired while the registry could not be reached), and backs off
with jitter while no server can be reached. The thread never raises; its failures go to the
``srsr_client`` logger and to ``on_error``."""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Type

from .backoff import Backoff
from .errors import RegistryError
from .instances import Instance

if TYPE_CHECKING:
    from .registration import Registration

logger = logging.getLogger("srsr_client")


class KeepAlive:
    """An instance kept registered; see :meth:`Registration.keep_alive`.

    Two ways to start: :meth:`start` registers before it returns and raises what the registry
    answered (fail fast); :meth:`start_in_background` (and ``with``) returns at once and keeps
    trying until the registry answers, so a service can start before its registry.

    Args:
        on_register: called with the instance after each registration (the first, and each
            one after a 404).
        on_error: called with each :class:`RegistryError` of the background work.
        backoff_initial, backoff_max: seconds between retries while no server answers.

    Example::

        kept = registry.registration.keep_alive("billing", port=8080, ttl=15)
        kept.start_in_background()
        ...
        kept.close()  # stops the heartbeats and deregisters
    """

    def __init__(
        self,
        registration: "Registration",
        name: str,
        *,
        address: Optional[str] = None,
        port: Optional[int] = None,
        meta: Optional[Mapping[str, str]] = None,
        ttl: Optional[float] = None,
        on_register: Optional[Callable[[Instance], None]] = None,
        on_error: Optional[Callable[[RegistryError], None]] = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
    ) -> None:
        self.registration = registration
        self.name = name
        self._request: Dict[str, Any] = {"address": address, "port": port, "meta": dict(meta or {}), "ttl": ttl}
        self.on_register = on_register
        self.on_error = on_error
        self._backoff = Backoff(backoff_initial, backoff_max)
        self._lock = threading.Lock()
        self._registered = threading.Condition(self._lock)
        self._instance: Optional[Instance] = None
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self.last_error: Optional[RegistryError] = None
        """The latest failure of the background work, or ``None`` since the last success."""
        self.refused: Optional[RegistryError] = None
        """The 4xx that made the background registration give up (a bad name, meta, token)."""

    @property
    def instance(self) -> Optional[Instance]:
        """The instance as last registered or renewed, or ``None``. Its ``id`` changes when
        the registry forgot it and it registered again."""
        with self._lock:
            return self._instance

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def start(self) -> Instance:
        """Registers now, then heartbeats in the background; answers the instance (the current
        one when already running).

        Raises:
            RegistryError: the registration failed (nothing runs then).
            RuntimeError: :meth:`start_in_background` is still trying to register.
        """
        with self._lock:
            if self._thread is not None:
                if self._instance is not None:
                    return self._instance
                raise RuntimeError(f"keep_alive {self.name}: already registering in the background; call wait_registered()")
            self.refused = None
        instance = self._register()
        self._start_thread(self._interval())
        return instance

    def start_in_background(self) -> None:
        """Starts the background work without waiting: it registers as soon as a server answers."""
        self._start_thread(0.0)

    def wait_registered(self, timeout: Optional[float] = None) -> Optional[Instance]:
        """The instance once registered, or ``None`` after ``timeout`` seconds.

        Raises:
            RegistryError: the registry refused the registration (a 4xx); nothing runs then.
        """
        with self._registered:
            self._registered.wait_for(lambda: self._instance is not None or self.refused is not None, timeout)
            if self.refused is not None:
                raise self.refused
            return self._instance

    def close(self) -> bool:
        """Stops the heartbeats and deregisters; whether the registry still had the instance.

        Raises:
            RegistryError: no server could be reached; the heartbeats stop anyway and the
                registry expires the instance after its TTL.
        """
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._lock:
            instance, self._instance = self._instance, None
        return False if instance is None else self.registration.deregister(instance["id"])

    def __enter__(self) -> "KeepAlive":
        self.start_in_background()
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], traceback: Optional[TracebackType]
    ) -> None:
        try:
            self.close()
        except RegistryError as error:
            logger.warning("srsr: could not deregister %s (it expires on its own): %s", self.name, error)

    def _interval(self) -> float:
        with self._lock:
            ttl = self._instance["ttl"] if self._instance else self._request["ttl"]
        return float(ttl or 30) / 3

    def _register(self) -> Instance:
        with self._lock:
            # After an update_meta elsewhere the last answer has the current meta: keep it.
            meta = self._instance["meta"] if self._instance else self._request["meta"]
        request = {**self._request, "meta": meta}
        instance = self.registration.register(self.name, **request)
        with self._registered:
            self._instance = instance
            self._registered.notify_all()
        logger.info("srsr: registered %s as %s", self.name, instance["id"])
        if self.on_register is not None:
            self.on_register(instance)
        return instance

    def _start_thread(self, first_wait: float) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stop = threading.Event()
            self.refused = None
            self._thread = threading.Thread(
                target=self._run, args=(self._stop, first_wait), name=f"srsr-keep-alive-{self.name}", daemon=True
            )
            self._thread.start()

    def _run(self, stop: threading.Event, wait: float) -> None:
        self._backoff.reset()
        while not stop.wait(wait):
            try:
                self._renew()
            except RegistryError as error:
                if self._refused(error):
                    return
                self._report(error)
                # Never wait longer than a heartbeat interval: a long backoff would expire it.
                wait = min(self._backoff.next(), self._interval())
            except Exception as error:  # noqa: BLE001 - the thread must outlive any failure
                logger.exception("srsr: keeping %s registered", self.name)
                self._report(RegistryError(f"keeping {self.name} registered: {error!r}"))
                wait = min(self._backoff.next(), self._interval())
            else:
                self._backoff.reset()
                self.last_error = None
                wait = self._interval()

    def _renew(self) -> None:
        current = self.instance
        if current is not None:
            renewed = self.registration.heartbeat(current["id"])
            if renewed is not None:
                with self._lock:
                    self._instance = renewed
                return
            logger.warning("srsr: the registry forgot %s (%s); registering again", self.name, current["id"])
        self._register()

    def _refused(self, error: RegistryError) -> bool:
        """A registration the registry will refuse however often it is asked ends the work."""
        if self.instance is not None or error.transient:
            return False
        logger.error("srsr: the registry refused %s; not retrying: %s", self.name, error)
        with self._registered:
            self.refused = error
            self.last_error = error
            self._thread = None
            self._registered.notify_all()
        return True

    def _report(self, error: RegistryError) -> None:
        self.last_error = error
        logger.warning("srsr: keeping %s registered: %s", self.name, error)
        if self.on_error is None:
            return
        try:
            self.on_error(error)
        except Exception:  # noqa: BLE001 - a failing handler must not stop the heartbeats
            logger.exception("srsr: on_error raised")
