"""Watching over Server-Sent Events against a real srsr: a snapshot then each change; a restart
of the SQLite store resumed with Last-Event-ID without missing or repeating a change; a
restart of the memory store answered with a fresh snapshot; close() from another thread."""

from __future__ import annotations

import tempfile
import threading
import unittest
from typing import Any, List

from srsr_client import RegistryClient, RegistryError, RegistryEvent, Watch

from .srsr_server import SrsrServer, eventually
from .test_v1 import unique


class Collector:
    """Iterates a watch on its own thread, as a service would, keeping every event."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.events: List[RegistryEvent] = []
        self.failure: Any = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for event in self.watch:
                self.events.append(event)
        except BaseException as error:  # noqa: BLE001 - kept for the test to assert on
            self.failure = error

    def types(self) -> List[str]:
        return [event.type for event in self.events]

    def close(self) -> None:
        self.watch.close()
        self.thread.join(10)


class WatchTestCase(unittest.TestCase):
    store_args: List[str] = []

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory(prefix="srsr-watch-")
        self.addCleanup(folder.cleanup)
        self.folder = folder.name
        self.server = SrsrServer(60, args=[arg.replace("{folder}", folder.name) for arg in self.store_args])
        self.server.start()
        self.addCleanup(self.server.close)
        self.registry = RegistryClient(self.server.url, request_timeout=5)
        self.errors: List[RegistryError] = []

    def collect(self, names: List[str]) -> Collector:
        watch = self.registry.events.watch(names, backoff_initial=0.05, backoff_max=0.2, on_error=self.errors.append)
        collector = Collector(watch)
        self.addCleanup(collector.close)
        return collector


class WatchTest(WatchTestCase):
    def test_a_snapshot_then_each_change_to_the_names_watched(self) -> None:
        name, other = unique("watched"), unique("elsewhere")
        before = self.registry.registration.register(name, address="10.0.0.1", port=1)
        collector = self.collect([name])
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot"]), collector.types())
        self.assertEqual([item["id"] for item in collector.events[0].instances or []], [before["id"]])
        self.registry.registration.register(other, address="10.0.0.1", port=2)
        added = self.registry.registration.register(name, address="10.0.0.1", port=3)
        self.registry.registration.update_meta(added["id"], {"zone": "b"})
        self.registry.registration.deregister(before["id"])
        expected = ["snapshot", "register", "update", "deregister"]
        self.assertTrue(eventually(lambda: collector.types() == expected), collector.types())
        self.assertEqual(collector.events[1].instance["id"], added["id"])  # type: ignore[index]
        self.assertEqual(collector.events[2].instance["meta"], {"zone": "b"})  # type: ignore[index]
        indexes = [event.index for event in collector.events]
        self.assertEqual(indexes, sorted(set(indexes)))
        self.assertEqual(collector.watch.last_index, indexes[-1])

    def test_an_expiry_is_an_event(self) -> None:
        name = unique("expiring")
        collector = self.collect([name])
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot"]))
        self.registry.registration.register(name, address="10.0.0.1", port=1, ttl=0.5)
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot", "register", "expire"]), collector.types())

    def test_a_memory_store_restart_starts_again_from_a_snapshot(self) -> None:
        name = unique("forgetful")
        collector = self.collect([name])
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot"]), collector.types())
        self.registry.registration.register(name, address="10.0.0.1", port=1)
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot", "register"]), collector.types())
        self.server.restart()
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot", "register", "snapshot"], 20), collector.types())
        self.assertEqual(collector.events[2].instances, [])
        self.assertTrue(self.errors, "the lost stream was not reported")

    def test_close_from_another_thread_ends_the_iteration(self) -> None:
        collector = self.collect([unique("closed")])
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot"]))
        collector.close()
        self.assertFalse(collector.thread.is_alive())
        self.assertIsNone(collector.failure)
        self.assertIsNone(collector.watch._connection)

    def test_a_4xx_ends_the_iteration_with_the_error(self) -> None:
        collector = self.collect(["bad name"])
        collector.thread.join(10)
        self.assertIsInstance(collector.failure, RegistryError)
        self.assertEqual(collector.failure.status, 400)
        self.assertIn("name", collector.failure.body)
        self.assertIsNone(collector.watch._connection)

    def test_since_resumes_without_a_snapshot(self) -> None:
        name = unique("since")
        first = self.registry.registration.register(name, address="10.0.0.1", port=1)
        start = self.registry.instances.list(name).index
        second = self.registry.registration.register(name, address="10.0.0.1", port=2)
        events = self.registry.events.watch([name], since=start - 1)
        self.addCleanup(events.close)
        self.assertEqual([(e.type, e.instance["id"]) for e in (next(events), next(events))],  # type: ignore[index]
                         [("register", first["id"]), ("register", second["id"])])


class SqliteRestartTest(WatchTestCase):
    store_args = ["--store", "sqlite:{folder}/registry.db"]

    def test_a_watch_survives_a_restart_without_missing_or_repeating_a_change(self) -> None:
        name = unique("durable")
        collector = self.collect([name])
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot"]), collector.types())
        first = self.registry.registration.register(name, address="10.0.0.1", port=1, ttl=600)
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot", "register"]), collector.types())
        self.server.stop()
        self.assertTrue(eventually(lambda: len(self.errors) >= 1), "the lost stream was not reported")
        self.server.start()
        # Changes made as soon as the registry is back, whether or not the watch is yet.
        second = self.registry.registration.register(name, address="10.0.0.1", port=2)
        self.registry.registration.deregister(first["id"])
        expected = ["snapshot", "register", "register", "deregister"]
        self.assertTrue(eventually(lambda: collector.types() == expected, 20), collector.types())
        self.assertEqual([event.instance["id"] for event in collector.events[1:]],  # type: ignore[index]
                         [first["id"], second["id"], first["id"]])
        indexes = [event.index for event in collector.events]
        self.assertEqual(indexes, sorted(set(indexes)))


if __name__ == "__main__":
    unittest.main()
