"""The service's side of srsr: register, stay registered in the background, deregister, look up."""

from __future__ import annotations

import logging
import ssl
import threading
from types import TracebackType
from typing import Any, Callable, Dict, Mapping, Optional, Type, Union

from .backoff import Backoff
from .errors import RegistryError
from .transport import post_json

logger = logging.getLogger("srsr_client")

ErrorHandler = Callable[[Exception], None]


class ServiceRegistryClient:
    """Keeps one service registered with an srsr registry, and looks services up.

    After :meth:`register`, a daemon thread sends a heartbeat every ``heartbeat_interval``
    seconds. When the registry has forgotten the instance (it restarted with the memory store,
    or the instance expired during a network blip) the thread registers again at once, under a
    new id. While the registry is unreachable or failing (5xx) it retries with capped
    exponential backoff and jitter. It never raises: failures are logged to the
    ``srsr_client`` logger and passed to ``heartbeat_error_handler``.

    Args:
        server_address: the registry's URL, e.g. ``"http://registry:4214"``.
        client_name: the service name others look up.
        client_address: where this service is reached, e.g. ``"http://10.0.0.5"``; ``port``
            is appended as ``":port"``. Empty: the registry uses ``http://<this host's IP>``.
        port: this service's port, as a number or numeric string; ``""`` for none.
        heartbeat_interval: seconds between heartbeats; must be shorter than the registry's
            timeout (``-t``, 30 s by default). Default 20.
        heartbeat_error_handler: called with each exception the background thread meets.
        request_timeout: seconds to wait for each answer. Default 5.
        backoff_initial: first retry delay, in seconds, once the registry is unreachable. Default 1.
        backoff_max: longest retry delay, in seconds. Default 30.
        ssl_context: how to verify an ``https://`` registry, such as
            ``ssl.create_default_context(cafile="ca.pem")`` for one whose certificate a private CA
            signed. Default ``None``: the system's trusted CAs.
        token: sent as ``Authorization: Bearer <token>``, for a registry started with tokens.

    Example::

        with ServiceRegistryClient("http://127.0.0.1:4214", "greeter", port=8080) as registry:
            print(registry.lookup("greeter"))  # http://127.0.0.1:8080
    """

    def __init__(
        self,
        server_address: str,
        client_name: str,
        client_address: str = "",
        port: Union[int, str] = "",
        heartbeat_interval: float = 20.0,
        heartbeat_error_handler: Optional[ErrorHandler] = None,
        *,
        request_timeout: float = 5.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        ssl_context: Optional[ssl.SSLContext] = None,
        token: Optional[str] = None,
    ) -> None:
        if not isinstance(server_address, str) or not server_address.startswith(("http://", "https://")):
            raise ValueError(f"server_address: must be an http:// or https:// URL, got {server_address!r}")
        if not isinstance(client_name, str) or not client_name:
            raise ValueError(f"client_name: must be a non-empty string, got {client_name!r}")
        if not isinstance(client_address, str):
            raise ValueError(f"client_address: must be a string, got {client_address!r}")
        if not heartbeat_interval > 0:
            raise ValueError(f"heartbeat_interval: must be greater than 0 seconds, got {heartbeat_interval!r}")
        if not request_timeout > 0:
            raise ValueError(f"request_timeout: must be greater than 0 seconds, got {request_timeout!r}")
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise ValueError(f"ssl_context: must be an ssl.SSLContext or None, got {ssl_context!r}")
        if token is not None and (not isinstance(token, str) or not token or any(c in token for c in "\r\n")):
            raise ValueError("token: must be a non-empty string on one line")
        self.server_address = server_address.rstrip("/")
        self.token = token
        self.client_name = client_name
        self.client_address = client_address
        self.port = _port_text(port)
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_error_handler = heartbeat_error_handler
        self.request_timeout = request_timeout
        self.ssl_context = ssl_context
        self._backoff = Backoff(backoff_initial, backoff_max)

        # _calls serialises register() and deregister(); _lock guards the state the thread shares.
        self._calls = threading.Lock()
        self._lock = threading.Lock()
        self._instance_id: Optional[str] = None
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self.last_error: Optional[Exception] = None
        """The latest failure of the background work, or ``None`` since the last success."""

    @property
    def instance_id(self) -> Optional[str]:
        """The id the registry gave this instance, or ``None`` while not registered."""
        with self._lock:
            return self._instance_id

    @property
    def is_registered(self) -> bool:
        """Whether the registry has (as of the last answer) this instance."""
        return self.instance_id is not None

    def register(self) -> bool:
        """Registers the service and starts the background heartbeats.

        Returns ``True`` when registered. Returns ``False`` when the registry is unreachable or
        failing (5xx): the reason is in :attr:`last_error`, and the background thread keeps
        trying with backoff, so the service becomes findable once the registry answers.
        Calling it again while running changes nothing and says whether it is registered.

        Raises:
            RegistryError: the registry rejected the registration (4xx: a bad name or
                address), with its status and body; retrying could not help.
        """
        with self._calls:
            return self._register()

    def _register(self) -> bool:
        with self._lock:
            if self._thread is not None:
                return self._instance_id is not None
        self._backoff.reset()
        try:
            self._register_once()
        except RegistryError as error:
            if not error.retryable:
                raise
            self._report(error)
            self._start(first_wait=self._backoff.next())
            return False
        self._start(first_wait=self.heartbeat_interval)
        return True

    def deregister(self) -> bool:
        """Stops the heartbeats and removes this instance from the registry.

        Idempotent, and safe when never registered. Returns whether the registry removed an
        instance (``False`` when there was none, or the registry had already forgotten it).

        Raises:
            RegistryError: the registry could not be reached or failed; the heartbeats are
                stopped anyway, and the instance expires after the registry's timeout.
        """
        with self._calls:
            return self._deregister()

    def _deregister(self) -> bool:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        # From inside heartbeat_error_handler the thread is the caller; it stops after the handler.
        if thread is not None and thread is not threading.current_thread():
            # The thread finishes at most one request in flight; after this it touches nothing.
            thread.join()
        with self._lock:
            instance_id, self._instance_id = self._instance_id, None
        if instance_id is None:
            return False
        answer = self._post("/deregister", {"id": instance_id})
        return answer.get("success") is True

    def close(self) -> None:
        """Deregisters; a registry that cannot be reached is logged, not raised."""
        try:
            self.deregister()
        except RegistryError as error:
            logger.warning("srsr: could not deregister %s (it expires on its own): %s", self.client_name, error)

    def lookup(self, name: str) -> Optional[str]:
        """The address of a live instance of ``name``, or ``None`` when there is none.

        Raises:
            RegistryError: the registry could not be reached or answered with an error.
        """
        answer = self._post("/lookup", {"name": name})
        address = answer.get("address")
        if answer.get("success") is True and isinstance(address, str) and address:
            return address
        return None

    def __enter__(self) -> "ServiceRegistryClient":
        self.register()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def _register_once(self) -> str:
        # The original client's wire form: address and port always sent, as strings, "" for none.
        body = {"name": self.client_name, "address": self.client_address, "port": self.port}
        url = f"{self.server_address}/register"
        answer = self._post("/register", body)
        instance_id = answer.get("id")
        if answer.get("success") is not True or not isinstance(instance_id, str) or not instance_id:
            raise RegistryError(f"POST {url}: registration refused: {answer!r}", status=200, body=repr(answer))
        with self._lock:
            self._instance_id = instance_id
        logger.info("srsr: registered %s as %s", self.client_name, instance_id)
        return instance_id

    def _heartbeat_once(self, instance_id: str) -> bool:
        answer = self._post("/heartbeat", {"id": instance_id})
        return answer.get("success") is True

    def _post(self, path: str, body: Mapping[str, object]) -> Dict[str, Any]:
        return post_json(self.server_address + path, body, self.request_timeout, self.ssl_context, self.token)

    def _start(self, first_wait: float) -> None:
        stop = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(stop, first_wait), name=f"srsr-heartbeat-{self.client_name}", daemon=True
        )
        with self._lock:
            self._stop = stop
            self._thread = thread
        thread.start()

    def _run(self, stop: threading.Event, wait: float) -> None:
        while not stop.wait(wait):
            try:
                self._keep_registered()
            except Exception as error:  # noqa: BLE001 - the thread must outlive any failure
                self._report(error)
                wait = self._backoff.next()
            else:
                self._backoff.reset()
                self.last_error = None
                wait = self.heartbeat_interval

    def _keep_registered(self) -> None:
        instance_id = self.instance_id
        if instance_id is not None:
            if self._heartbeat_once(instance_id):
                return
            logger.warning("srsr: the registry forgot %s (%s); registering again", self.client_name, instance_id)
            with self._lock:
                self._instance_id = None
        self._register_once()

    def _report(self, error: Exception) -> None:
        self.last_error = error
        logger.warning("srsr: keeping %s registered: %s", self.client_name, error)
        if self.heartbeat_error_handler is None:
            return
        try:
            self.heartbeat_error_handler(error)
        except Exception:  # noqa: BLE001 - a failing handler must not stop the heartbeats
            logger.exception("srsr: heartbeat_error_handler raised")


def _port_text(port: Union[int, str]) -> str:
    if port == "":
        return ""
    text = str(port) if isinstance(port, int) and not isinstance(port, bool) else port
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError(f"port: must be an integer from 1 to 65535 or '', got {port!r}")
    return text
