"""KeepAlive against a real srsr: heartbeats at a third of the TTL, the same meta again after a
404, a service started before its registry, a registration the registry refuses."""

from __future__ import annotations

import threading
import unittest
from typing import Any, List

from srsr_client import RegistryClient, RegistryError

from .srsr_server import SrsrServer, eventually
from .test_v1 import unique

FAST: Any = {"backoff_initial": 0.05, "backoff_max": 0.2}


def keep_alive_threads(name: str) -> List[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == f"srsr-keep-alive-{name}"]


class KeepAliveTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = SrsrServer(60)
        self.server.start()
        self.addCleanup(self.server.close)
        self.registry = RegistryClient(self.server.url, request_timeout=5)

    def test_heartbeats_keep_the_instance_past_its_ttl(self) -> None:
        name = unique("steady")
        kept = self.registry.registration.keep_alive(name, port=7000, meta={"zone": "a"}, ttl=1.5, **FAST)
        self.addCleanup(kept.close)
        first = kept.start()
        self.assertEqual(kept.start()["id"], first["id"])  # already running: the same instance
        self.assertEqual(len(keep_alive_threads(name)), 1)
        # An instance with the same TTL and no heartbeats shows the TTL really passed.
        silent = self.registry.registration.register(unique("silent"), port=7001, ttl=1.5)
        self.assertTrue(eventually(lambda: self.registry.instances.get(silent["id"]) is None), "silent never expired")
        self.assertEqual(self.registry.instances.get(first["id"])["meta"], {"zone": "a"})  # type: ignore[index]
        self.assertEqual(kept.instance["id"], first["id"])  # type: ignore[index]
        self.assertIsNone(kept.last_error)

    def test_registers_again_with_the_same_meta_after_a_404(self) -> None:
        name = unique("forgotten")
        registered: List[Any] = []
        kept = self.registry.registration.keep_alive(name, port=7002, meta={"zone": "a"}, ttl=1.5, on_register=registered.append, **FAST)
        self.addCleanup(kept.close)
        first = kept.start()
        self.registry.registration.update_meta(first["id"], {"version": "2"})
        # The keep-alive takes the patched meta from its next heartbeat's answer.
        self.assertTrue(eventually(lambda: kept.instance["meta"].get("version") == "2"), "never saw the patch")  # type: ignore[index]
        self.assertIs(self.registry.registration.deregister(first["id"]), True)
        self.assertTrue(eventually(lambda: len(registered) == 2), "never registered again")
        again = self.registry.instances.list(name)
        self.assertEqual(len(again), 1)
        self.assertNotEqual(again[0]["id"], first["id"])
        self.assertEqual((again[0]["meta"], again[0]["ttl"]), ({"zone": "a", "version": "2"}, 1.5))

    def test_a_service_can_start_before_its_registry(self) -> None:
        self.server.stop()
        name = unique("early")
        errors: List[RegistryError] = []
        kept = self.registry.registration.keep_alive(name, port=7003, ttl=10, on_error=errors.append, **FAST)
        self.addCleanup(kept.close)
        kept.start_in_background()
        self.assertTrue(eventually(lambda: len(errors) >= 2), "no failures reported while the registry was down")
        self.assertIsNone(kept.wait_registered(0))
        self.assertTrue(all(error.status is None for error in errors))
        self.server.start()
        instance = kept.wait_registered(30)
        assert instance is not None
        self.assertEqual(self.registry.instances.get(instance["id"])["name"], name)  # type: ignore[index]

    def test_start_fails_fast_when_asked_to(self) -> None:
        self.server.stop()
        kept = self.registry.registration.keep_alive(unique("impatient"), port=7004, **FAST)
        with self.assertRaises(RegistryError) as caught:
            kept.start()
        self.assertIsNone(caught.exception.status)
        self.assertFalse(kept.running)

    def test_a_refused_registration_stops_the_background_work(self) -> None:
        kept = self.registry.registration.keep_alive("bad name", port=7005, **FAST)
        kept.start_in_background()
        with self.assertRaises(RegistryError) as caught:
            kept.wait_registered(30)
        self.assertEqual(caught.exception.status, 400)
        self.assertTrue(eventually(lambda: keep_alive_threads("bad name") == []), "the thread kept running")

    def test_close_deregisters_and_stops_the_thread(self) -> None:
        name = unique("leaving")
        with self.registry.registration.keep_alive(name, port=7006, ttl=30, **FAST) as kept:
            instance = kept.wait_registered(30)
            assert instance is not None
            self.assertEqual(len(keep_alive_threads(name)), 1)
        self.assertIsNone(self.registry.instances.get(instance["id"]))
        self.assertEqual(keep_alive_threads(name), [])
        self.assertIs(kept.close(), False)


if __name__ == "__main__":
    unittest.main()
