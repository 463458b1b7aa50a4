"""RegistryClient given several servers: a connection failure or a 5xx moves a call to the next
server, a 4xx does not. Two memory nodes check fail-over of requests (each has its own catalog,
so a keep-alive whose heartbeat lands on the other registers again); with SRSR_TEST_POSTGRES,
two nodes on one PostgreSQL database, node A killed with SIGKILL: the same registration stays
alive through node B, and a watch resumes there with Last-Event-ID, missing and repeating nothing."""

from __future__ import annotations

import glob
import http.server
import os
import shutil
import subprocess
import threading
import unittest
import urllib.parse
import uuid
from typing import Any, List

from srsr_client import RegistryClient, RegistryError

from .srsr_server import SrsrServer, eventually
from .test_v1 import unique
from .test_watch import Collector

TEST_POSTGRES = os.environ.get("SRSR_TEST_POSTGRES") or None
FAST: Any = {"backoff_initial": 0.05, "backoff_max": 0.2}


class FailingNode:
    """A node that answers every request 503, as one whose database is out of reach does."""

    def __init__(self) -> None:
        self.requests: List[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _fail(self) -> None:
                outer.requests.append(f"{self.command} {self.path}")
                body = b'{"error":"store: the database is out of reach"}'
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _fail

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ids(server: SrsrServer, name: str) -> List[str]:
    _, answer = server.request("GET", f"/v1/services/{urllib.parse.quote(name)}")
    return [instance["id"] for instance in answer["instances"]]


class MemoryNodesTest(unittest.TestCase):
    def setUp(self) -> None:
        self.a, self.b = SrsrServer(60), SrsrServer(60)
        for node in (self.a, self.b):
            node.start()
            self.addCleanup(node.close)

    def test_calls_stay_on_a_live_node_and_move_when_it_is_killed(self) -> None:
        registry = RegistryClient([self.a.url, self.b.url + "/"], request_timeout=5)
        self.assertEqual(registry.servers, [self.a.url, self.b.url])
        name = unique("failover")
        first = registry.registration.register(name, address="10.0.0.1", port=80)
        self.assertEqual((ids(self.a, name), ids(self.b, name)), ([first["id"]], []))
        with self.assertRaises(RegistryError) as refused:
            registry.registration.register("a b", address="10.0.0.1", port=80)
        self.assertEqual(refused.exception.status, 400)  # a 4xx is an answer: no fail-over

        self.a.kill()
        second = registry.registration.register(name, address="10.0.0.1", port=81)
        self.assertEqual(ids(self.b, name), [second["id"]])
        self.assertEqual([item["id"] for item in registry.instances.list(name)], [second["id"]])
        self.assertIsNone(registry.registration.heartbeat(first["id"]))  # B never had it: not found

        self.b.kill()
        with self.assertRaises(RegistryError) as caught:
            registry.instances.list(name)
        self.assertIsNone(caught.exception.status)
        self.assertIn("every server failed", str(caught.exception))

    def test_a_5xx_moves_to_the_next_node(self) -> None:
        failing = FailingNode()
        self.addCleanup(failing.close)
        registry = RegistryClient([failing.url, self.a.url])
        name = unique("past-503")
        instance = registry.registration.register(name, port=1)
        self.assertEqual(ids(self.a, name), [instance["id"]])
        self.assertEqual(failing.requests, [f"POST /v1/services/{name}/instances"])

    def test_keep_alive_registers_on_the_live_node_after_a_kill(self) -> None:
        registry = RegistryClient([self.a.url, self.b.url], request_timeout=2)
        name = unique("kept")
        kept = registry.registration.keep_alive(name, port=9000, ttl=1.5, **FAST)
        self.addCleanup(kept.close)
        first = kept.start()
        self.assertEqual(ids(self.a, name), [first["id"]])
        self.a.kill()
        self.assertTrue(eventually(lambda: len(ids(self.b, name)) == 1, 20), "never registered on node B")

    def test_a_watch_moves_to_the_live_node(self) -> None:
        registry = RegistryClient([self.a.url, self.b.url], request_timeout=2)
        name = unique("watched")
        registry.registration.register(name, address="10.0.0.1", port=79)
        collector = Collector(registry.events.watch([name], **FAST))
        self.addCleanup(collector.close)
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot"]))
        self.assertEqual(len(collector.events[0].instances or []), 1)
        self.a.kill()
        # Node B's catalog is its own, its index behind the one A gave: it answers a snapshot.
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot", "snapshot"], 20), collector.types())
        self.assertEqual(collector.events[1].instances, [])
        self.b.request("POST", f"/v1/services/{name}/instances", {"address": "10.0.0.1:80"})
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot", "snapshot", "register"]), collector.types())


@unittest.skipUnless(TEST_POSTGRES, "SRSR_TEST_POSTGRES is not set (npm test -- --postgres starts a throwaway server)")
class PostgresNodesTest(unittest.TestCase):
    def setUp(self) -> None:
        database = f"srsr_python_{uuid.uuid4().hex[:8]}"
        # psql makes the database: Python's standard library has no PostgreSQL driver.
        psql = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))), None)
        if psql is None:
            self.fail("SRSR_TEST_POSTGRES is set but psql is not installed (Debian: apt-get install postgresql-client)")
        admin = ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-d", TEST_POSTGRES or ""]
        subprocess.run([*admin, "-c", f'CREATE DATABASE "{database}"'], check=True, capture_output=True, executable=psql)
        self.addCleanup(subprocess.run, [*admin, "-c", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'],
                        capture_output=True, executable=psql)
        url = urllib.parse.urlsplit(TEST_POSTGRES or "")._replace(path=f"/{database}").geturl()
        self.a = SrsrServer(60, args=["--store", url, "--log-level", "warn"])
        self.b = SrsrServer(60, args=["--store", url, "--log-level", "warn"])
        for node in (self.a, self.b):
            node.start()
            self.addCleanup(node.close)

    def test_the_same_registration_and_watch_live_on_through_node_b(self) -> None:
        registry = RegistryClient([self.a.url, self.b.url], request_timeout=2)
        name = unique("shared")
        collector = Collector(registry.events.watch([name], **FAST))
        self.addCleanup(collector.close)
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot"]), collector.types())
        kept = registry.registration.keep_alive(name, port=9000, ttl=2, **FAST)
        self.addCleanup(kept.close)
        first = kept.start()
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot", "register"]), collector.types())
        self.a.kill()
        self.b.request("POST", f"/v1/services/{name}/instances", {"address": "10.0.0.1:81"})
        self.assertTrue(eventually(lambda: collector.types() == ["snapshot", "register", "register"], 20), collector.types())
        # Past two TTLs, heartbeats landing on B kept the registration A made.
        _, silent = self.b.request("POST", f"/v1/services/{unique('silent')}/instances", {"address": "10.0.0.1:82", "ttl": 4})
        self.assertTrue(eventually(lambda: self.b.request("GET", f"/v1/instances/{silent['id']}")[0] == 404, 30))
        self.assertIn(first["id"], ids(self.b, name))
        self.assertEqual(kept.instance["id"], first["id"])  # type: ignore[index]
        self.assertEqual(collector.types(), ["snapshot", "register", "register"])


if __name__ == "__main__":
    unittest.main()
