"""ServiceRegistryClient against a real srsr server started for each test (memory store, -t 1)."""

from __future__ import annotations

import threading
import unittest
import uuid
from typing import Any, List

from srsr_client import RegistryError, ServiceRegistryClient

from .srsr_server import SrsrServer, eventually, free_port

# Heartbeats well inside the server's 1 s timeout, and short backoff, so every scenario takes seconds.
SERVER_TIMEOUT_SECONDS = 1
# For tests that never wait for an expiry: no busy machine takes this long between two requests.
LONG_SERVER_TIMEOUT_SECONDS = 60
FAST: Any = {"heartbeat_interval": 0.2, "backoff_initial": 0.05, "backoff_max": 0.2, "request_timeout": 2}


def heartbeat_threads() -> List[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("srsr-heartbeat-")]


class ClientTestCase(unittest.TestCase):
    server_timeout_seconds: float = SERVER_TIMEOUT_SECONDS

    def setUp(self) -> None:
        self.server = SrsrServer(self.server_timeout_seconds)
        self.server.start()
        self.addCleanup(self.server.close)

    def client(self, name: str, **options: Any) -> ServiceRegistryClient:
        client = ServiceRegistryClient(self.server.url, name, **{**FAST, **options})
        self.addCleanup(client.close)
        return client


class RegisterAndLookupTest(ClientTestCase):
    # Some registrations here are raw, without heartbeats, and must outlive the next request.
    server_timeout_seconds = LONG_SERVER_TIMEOUT_SECONDS

    def test_register_then_lookup_finds_address_and_port(self) -> None:
        client = self.client("billing", client_address="http://10.1.2.3", port=8080)
        self.assertIs(client.register(), True)
        uuid.UUID(client.instance_id or "")
        self.assertEqual(client.lookup("billing"), "http://10.1.2.3:8080")

    def test_port_only_lets_the_server_deduce_the_host(self) -> None:
        self.client("by-number", port=4321).register()
        self.client("by-string", port="4321").register()
        self.assertEqual(self.server.lookup("by-number"), "http://127.0.0.1:4321")
        self.assertEqual(self.server.lookup("by-string"), "http://127.0.0.1:4321")

    def test_server_accepts_the_original_clients_wire_form(self) -> None:
        # What the original Python client sent for a port-only registration, byte for byte.
        status, answer = self.server.post("/register", {"name": "legacy", "address": "", "port": "4321"})
        self.assertEqual((status, answer["success"]), (200, True))
        self.assertEqual(self.client("reader").lookup("legacy"), "http://127.0.0.1:4321")

    def test_lookup_of_unknown_name_is_none(self) -> None:
        self.assertIsNone(self.client("reader").lookup("nobody-registered-this"))

    def test_register_twice_keeps_one_registration(self) -> None:
        client = self.client("once", port=1)
        client.register()
        first_id = client.instance_id
        self.assertIs(client.register(), True)
        self.assertEqual(client.instance_id, first_id)
        self.assertEqual(len([t for t in heartbeat_threads() if t.name.endswith("-once")]), 1)


class StayingRegisteredTest(ClientTestCase):
    def test_heartbeats_keep_the_instance_alive_past_the_timeout(self) -> None:
        client = self.client("steady", port=7000)
        client.register()
        first_id = client.instance_id
        # A registration without heartbeats shows the timeout really passed.
        self.server.post("/register", {"name": "silent", "port": 7001})
        self.assertTrue(eventually(lambda: self.server.lookup("silent") is None), "silent never expired")
        self.assertEqual(self.server.lookup("steady"), "http://127.0.0.1:7000")
        self.assertEqual(client.instance_id, first_id)
        self.assertIsNone(client.last_error)

    def test_registers_again_when_the_registry_forgets_the_instance(self) -> None:
        client = self.client("forgotten", port=7002)
        client.register()
        first_id = client.instance_id
        status, answer = self.server.post("/deregister", {"id": first_id})
        self.assertEqual((status, answer), (200, {"success": True}))
        self.assertTrue(eventually(lambda: client.instance_id not in (None, first_id)), "never re-registered")
        self.assertEqual(self.server.lookup("forgotten"), "http://127.0.0.1:7002")

    def test_registers_again_after_the_server_restarts(self) -> None:
        client = self.client("survivor", port=7003)
        client.register()
        first_id = client.instance_id
        self.server.restart()
        # The client's new id, not the server's lookup: the server has the registration before
        # the client has read the answer that carries its id.
        self.assertTrue(eventually(lambda: client.instance_id not in (None, first_id)), "never re-registered")
        self.assertEqual(self.server.lookup("survivor"), "http://127.0.0.1:7003")

    def test_backs_off_while_the_server_is_down_then_recovers(self) -> None:
        errors: List[Exception] = []

        def failing_handler(error: Exception) -> None:
            errors.append(error)
            raise RuntimeError("a broken handler must not stop the heartbeats")

        client = self.client("patient", port=7004, heartbeat_error_handler=failing_handler)
        client.register()
        self.server.stop()
        self.assertTrue(eventually(lambda: len(errors) >= 3), "no failures reported while the server was down")
        self.assertTrue(all(isinstance(error, RegistryError) and error.status is None for error in errors), errors)
        self.assertIn("unreachable", str(errors[0]))
        self.assertEqual(len([t for t in heartbeat_threads() if t.name.endswith("-patient")]), 1)

        self.server.start()
        self.assertTrue(eventually(lambda: self.server.lookup("patient") is not None), "never recovered")
        self.assertTrue(eventually(lambda: client.last_error is None), "still reporting an error after recovery")

    def test_register_while_the_server_is_down_returns_false_and_registers_later(self) -> None:
        self.server.stop()
        client = self.client("early-bird", port=7005)
        self.assertIs(client.register(), False)
        self.assertIsInstance(client.last_error, RegistryError)
        self.assertFalse(client.is_registered)
        self.server.start()
        self.assertTrue(eventually(lambda: self.server.lookup("early-bird") is not None), "never registered")
        # The server has the registration before the client has read its answer: wait for that too.
        self.assertTrue(eventually(lambda: client.is_registered), "the client never took its registration")


class DeregisterTest(ClientTestCase):
    def test_deregister_removes_the_instance_and_stops_heartbeats(self) -> None:
        client = self.client("leaving", port=7006)
        client.register()
        self.assertIs(client.deregister(), True)
        self.assertIsNone(self.server.lookup("leaving"))
        self.assertFalse(client.is_registered)
        self.assertEqual([t for t in heartbeat_threads() if t.name.endswith("-leaving")], [])

    def test_deregister_is_idempotent_and_safe_when_never_registered(self) -> None:
        client = self.client("twice", port=7007)
        self.assertIs(client.deregister(), False)
        client.register()
        self.assertIs(client.deregister(), True)
        self.assertIs(client.deregister(), False)

    def test_context_manager_registers_then_deregisters(self) -> None:
        with ServiceRegistryClient(self.server.url, "scoped", port=7008, **FAST) as client:
            self.assertEqual(client.lookup("scoped"), "http://127.0.0.1:7008")
        self.assertIsNone(self.server.lookup("scoped"))

    def test_deregister_with_the_server_down_raises_but_stops_heartbeats(self) -> None:
        client = self.client("stranded", port=7009)
        client.register()
        self.server.stop()
        with self.assertRaises(RegistryError) as caught:
            client.deregister()
        self.assertIsNone(caught.exception.status)
        self.assertEqual([t for t in heartbeat_threads() if t.name.endswith("-stranded")], [])
        client.close()  # nothing left to do, and close() never raises


class ErrorsTest(ClientTestCase):
    def test_rejected_lookup_carries_status_and_body(self) -> None:
        with self.assertRaises(RegistryError) as caught:
            self.client("reader").lookup("")
        error = caught.exception
        self.assertEqual(error.status, 400)
        self.assertIn("name: must not be empty", error.body)
        self.assertIn("HTTP 400", str(error))
        self.assertIn("/lookup", str(error))

    def test_rejected_registration_raises_with_the_field(self) -> None:
        client = self.client("bad-address", client_address="not an address")
        with self.assertRaises(RegistryError) as caught:
            client.register()
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("address:", caught.exception.body)
        self.assertFalse(client.is_registered)
        self.assertEqual([t for t in heartbeat_threads() if t.name.endswith("-bad-address")], [])

    def test_unreachable_registry_is_an_error_naming_the_url(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        with self.assertRaises(RegistryError) as caught:
            ServiceRegistryClient(url, "reader", request_timeout=2).lookup("anything")
        self.assertIsNone(caught.exception.status)
        self.assertIn(f"{url}/lookup", str(caught.exception))


class ConstructorTest(unittest.TestCase):
    def test_bad_arguments_name_the_field(self) -> None:
        cases = [
            ({"server_address": "registry:4214"}, "server_address"),
            ({"client_name": ""}, "client_name"),
            ({"port": "80a"}, "port"),
            ({"port": 0}, "port"),
            ({"port": True}, "port"),
            ({"heartbeat_interval": 0}, "heartbeat_interval"),
            ({"backoff_initial": -1}, "backoff_initial"),
            ({"backoff_max": 0.5}, "backoff_max"),
        ]
        for override, field in cases:
            with self.subTest(field=field, override=override):
                arguments: Any = {"server_address": "http://127.0.0.1:4214", "client_name": "svc", **override}
                with self.assertRaises(ValueError) as caught:
                    ServiceRegistryClient(**arguments)
                self.assertTrue(str(caught.exception).startswith(f"{field}: "), str(caught.exception))


if __name__ == "__main__":
    unittest.main()
