"""RegistryClient's calls against a real srsr (memory store): every call on success, on "not
found", on a 4xx and with the registry unreachable; the long-poll and wait_for; tokens."""

from __future__ import annotations

import threading
import unittest
import uuid
from typing import Any, List

from srsr_client import RegistryClient, RegistryError, ServiceRegistryClient

from .srsr_server import SrsrServer, eventually, free_port


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class V1TestCase(unittest.TestCase):
    server: SrsrServer
    server_args: List[str] = []
    server_env: Any = None

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = SrsrServer(60, args=cls.server_args, env=cls.server_env)
        cls.server.start()
        cls.addClassCleanup(cls.server.close)

    def setUp(self) -> None:
        self.registry = RegistryClient(self.server.url, request_timeout=5)


class CallsTest(V1TestCase):
    def test_register_with_meta_and_ttl_then_get_list_pick(self) -> None:
        name = unique("calls")
        instance = self.registry.registration.register(name, address="10.0.0.1", port=80, meta={"zone": "a"}, ttl=12.5)
        self.assertEqual(
            {key: instance[key] for key in ("name", "address", "meta", "ttl")},
            {"name": name, "address": "10.0.0.1:80", "meta": {"zone": "a"}, "ttl": 12.5},
        )
        self.assertEqual(self.registry.instances.get(instance["id"]), instance)
        listed = self.registry.instances.list(name, meta={"zone": "a"})
        self.assertEqual([item["id"] for item in listed], [instance["id"]])
        self.assertGreater(listed.index, 1)
        self.assertEqual(self.registry.instances.list(name, meta={"zone": "b"}), [])
        self.assertEqual(self.registry.instances.pick(name, meta={"zone": "a"})["id"], instance["id"])  # type: ignore[index]
        self.assertIsNone(self.registry.instances.pick(name, meta={"zone": "b"}))

    def test_not_found_is_a_value(self) -> None:
        missing = str(uuid.uuid4())
        self.assertIsNone(self.registry.instances.get(missing))
        self.assertIsNone(self.registry.instances.pick(unique("nobody")))
        self.assertEqual(self.registry.instances.list(unique("nobody")), [])
        self.assertIsNone(self.registry.registration.heartbeat(missing))
        self.assertIsNone(self.registry.registration.update_meta(missing, {"a": "b"}))
        self.assertIs(self.registry.registration.deregister(missing), False)

    def test_heartbeat_update_meta_and_deregister(self) -> None:
        name = unique("cycle")
        instance = self.registry.registration.register(name, port=9000, meta={"zone": "a", "tier": "web"}, ttl=60)
        self.assertEqual(instance["address"], "http://127.0.0.1:9000")
        renewed = self.registry.registration.heartbeat(instance["id"])
        assert renewed is not None
        self.assertEqual(renewed["id"], instance["id"])
        self.assertGreaterEqual(renewed["expiresAt"], instance["expiresAt"])
        patched = self.registry.registration.update_meta(instance["id"], {"zone": None, "version": "2"})
        assert patched is not None
        self.assertEqual(patched["meta"], {"tier": "web", "version": "2"})
        self.assertIs(self.registry.registration.deregister(instance["id"]), True)
        self.assertIs(self.registry.registration.deregister(instance["id"]), False)
        self.assertIsNone(self.registry.instances.get(instance["id"]))

    def test_services_counts_live_instances_per_name(self) -> None:
        name = unique("counted")
        for port in (1, 2):
            self.registry.registration.register(name, address="10.0.0.2", port=port)
        services = self.registry.instances.services()
        self.assertIn({"name": name, "instances": 2}, services)
        self.assertGreater(services.index, 1)

    def test_a_4xx_raises_naming_the_field(self) -> None:
        cases = [
            (lambda: self.registry.registration.register("bad name"), "name"),
            (lambda: self.registry.registration.register(unique("ok"), meta={"bad key": "x"}), "meta"),
            (lambda: self.registry.registration.register(unique("ok"), ttl=0), "ttl"),
            (lambda: self.registry.registration.register(unique("ok"), address="not an address"), "address"),
            (lambda: self.registry.instances.list("bad name"), "name"),
        ]
        for call, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(RegistryError) as caught:
                    call()
                self.assertEqual(caught.exception.status, 400)
                self.assertIn(f'"{field}', caught.exception.body.replace('{"error":"', '"'))

    def test_unreachable_raises_with_no_status_naming_the_url(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        registry = RegistryClient(url, request_timeout=2)
        calls = [
            lambda: registry.registration.register("x"),
            lambda: registry.registration.heartbeat("x"),
            lambda: registry.registration.deregister("x"),
            lambda: registry.registration.update_meta("x", {}),
            lambda: registry.instances.get("x"),
            lambda: registry.instances.list("x"),
            lambda: registry.instances.pick("x"),
            lambda: registry.instances.services(),
        ]
        for number, call in enumerate(calls):
            with self.subTest(call=number):
                with self.assertRaises(RegistryError) as caught:
                    call()
                self.assertIsNone(caught.exception.status)
                self.assertIn(url, str(caught.exception))
                self.assertIn("unreachable", str(caught.exception))

    def test_names_are_percent_encoded(self) -> None:
        name = unique("team/billing 100%").replace(" ", "")
        instance = self.registry.registration.register(name, address="10.0.0.3", port=1)
        self.assertEqual(instance["name"], name)
        self.assertEqual([item["id"] for item in self.registry.instances.list(name)], [instance["id"]])

    def test_bad_options_name_the_field(self) -> None:
        cases = [
            ({"server": "registry:4214"}, "server"),
            ({"server": []}, "server"),
            ({"token": ""}, "token"),
            ({"token": "a\nb"}, "token"),
            ({"request_timeout": 0}, "request_timeout"),
            ({"ca_file": "/nonexistent/ca.pem"}, "ca_file"),
        ]
        for override, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(ValueError) as caught:
                    RegistryClient(**{"server": "http://127.0.0.1:1", **override})
                self.assertTrue(str(caught.exception).startswith(f"{field}: "), str(caught.exception))


class LongPollTest(V1TestCase):
    def test_list_with_index_returns_at_the_next_change(self) -> None:
        name = unique("polled")
        first = self.registry.instances.list(name)
        self.assertEqual(first, [])
        answers: List[Any] = []
        poller = threading.Thread(target=lambda: answers.append(self.registry.instances.list(name, index=first.index, wait=60)))
        poller.start()
        # The poll is held: nothing has changed for the name yet.
        self.assertFalse(eventually(lambda: bool(answers), 0.5))
        instance = self.registry.registration.register(name, address="10.0.0.4", port=1)
        poller.join(30)
        self.assertEqual([item["id"] for item in answers[0]], [instance["id"]])
        self.assertGreater(answers[0].index, first.index)

    def test_wait_for_returns_once_enough_instances_are_live(self) -> None:
        name = unique("awaited")
        results: List[Any] = []
        waiter = threading.Thread(target=lambda: results.append(self.registry.instances.wait_for(name, count=2, timeout=60)))
        waiter.start()
        self.registry.registration.register(name, address="10.0.0.5", port=1)
        self.registry.registration.register(name, address="10.0.0.5", port=2)
        waiter.join(30)
        self.assertTrue(results[0].satisfied)
        self.assertEqual(sorted(item["address"] for item in results[0].instances), ["10.0.0.5:1", "10.0.0.5:2"])

    def test_wait_for_times_out_unsatisfied(self) -> None:
        name = unique("lonely")
        self.registry.registration.register(name, address="10.0.0.6", port=1, meta={"zone": "a"})
        result = self.registry.instances.wait_for(name, count=1, timeout=0.5, meta={"zone": "b"})
        self.assertFalse(result.satisfied)
        self.assertEqual(result.instances, [])
        self.assertIsNone(result.unreachable)

    def test_wait_for_an_unreachable_registry_says_so(self) -> None:
        registry = RegistryClient(f"http://127.0.0.1:{free_port()}", request_timeout=1)
        result = registry.instances.wait_for("anything", timeout=0.5)
        self.assertFalse(result.satisfied)
        self.assertIsInstance(result.unreachable, RegistryError)

    def test_wait_for_rejects_bad_arguments(self) -> None:
        for kwargs, field in (({"count": 0}, "count"), ({"timeout": 0}, "timeout")):
            with self.subTest(field=field):
                with self.assertRaises(ValueError) as caught:
                    self.registry.instances.wait_for("x", **kwargs)
                self.assertTrue(str(caught.exception).startswith(f"{field}: "))


class TokenTest(V1TestCase):
    server_env = {"SRSR_TOKEN": "s3cret-token"}

    def test_calls_carry_the_bearer_token(self) -> None:
        registry = RegistryClient(self.server.url, token="s3cret-token")
        name = unique("guarded")
        instance = registry.registration.register(name, address="10.0.0.7", port=1)
        self.assertEqual(registry.instances.get(instance["id"])["id"], instance["id"])  # type: ignore[index]
        with registry.events.watch([name]) as events:
            self.assertEqual(next(events).type, "snapshot")
        self.assertIs(registry.registration.deregister(instance["id"]), True)

    def test_a_missing_or_wrong_token_is_a_401_everywhere(self) -> None:
        for token in (None, "wrong"):
            registry = RegistryClient(self.server.url, token=token)
            with self.subTest(token=token):
                with self.assertRaises(RegistryError) as caught:
                    registry.registration.register(unique("guarded"), port=1)
                self.assertEqual(caught.exception.status, 401)
                with self.assertRaises(RegistryError) as caught:
                    next(registry.events.watch(["x"]))
                self.assertEqual(caught.exception.status, 401)

    def test_the_original_compatible_client_carries_it_too(self) -> None:
        name = unique("legacy-guarded")
        with ServiceRegistryClient(self.server.url, name, port=8080, token="s3cret-token") as client:
            self.assertTrue(client.is_registered)
            self.assertEqual(client.lookup(name), "http://127.0.0.1:8080")
        with self.assertRaises(RegistryError) as caught:
            ServiceRegistryClient(self.server.url, name, port=8080).register()
        self.assertEqual(caught.exception.status, 401)


if __name__ == "__main__":
    unittest.main()
