"""ServiceRegistryClient against a real srsr serving HTTPS with a certificate a throwaway CA
signed: trusting that CA through ``ssl_context``, and refused without it."""

from __future__ import annotations

import ssl
import tempfile
import threading
import unittest
from typing import Any, List

from srsr_client import RegistryClient, RegistryError, ServiceRegistryClient

from .certificates import make_test_certificates
from .srsr_server import ServerTls, SrsrServer, eventually

FAST: Any = {"heartbeat_interval": 0.2, "backoff_initial": 0.05, "backoff_max": 0.2, "request_timeout": 2}


class HttpsTest(unittest.TestCase):
    trusting: ssl.SSLContext
    ca_file: str
    server: SrsrServer

    @classmethod
    def setUpClass(cls) -> None:
        folder = tempfile.TemporaryDirectory(prefix="srsr-tls-")
        cls.addClassCleanup(folder.cleanup)
        certificates = make_test_certificates(folder.name)
        cls.ca_file = certificates.ca_file
        cls.trusting = ssl.create_default_context(cafile=certificates.ca_file)
        cls.server = SrsrServer(60, ServerTls(certificates.cert_file, certificates.key_file, cls.trusting))
        cls.server.start()
        cls.addClassCleanup(cls.server.close)

    def client(self, name: str, **options: Any) -> ServiceRegistryClient:
        client = ServiceRegistryClient(self.server.url, name, **{**FAST, **options})
        self.addCleanup(client.close)
        return client

    def test_register_lookup_deregister_trusting_the_ca(self) -> None:
        self.assertTrue(self.server.url.startswith("https://"))
        client = self.client("secure", client_address="http://10.1.2.3", port=8443, ssl_context=self.trusting)
        self.assertIs(client.register(), True)
        self.assertEqual(client.lookup("secure"), "http://10.1.2.3:8443")
        self.assertEqual(self.server.lookup("secure"), "http://10.1.2.3:8443")
        self.assertIs(client.deregister(), True)
        self.assertIsNone(client.lookup("secure"))

    def test_without_the_ca_the_certificate_is_refused(self) -> None:
        client = self.client("untrusting", port=8443)
        self.assertIs(client.register(), False)
        self.assertIn("CERTIFICATE_VERIFY_FAILED", str(client.last_error))
        with self.assertRaises(RegistryError):
            client.lookup("secure")

    def test_ssl_context_must_be_an_ssl_context(self) -> None:
        with self.assertRaises(ValueError) as caught:
            ServiceRegistryClient(self.server.url, "svc", ssl_context="ca.pem")  # type: ignore[arg-type]
        self.assertTrue(str(caught.exception).startswith("ssl_context: "), str(caught.exception))

    def test_v1_calls_and_a_watch_trusting_the_ca_file(self) -> None:
        for registry in (RegistryClient(self.server.url, ca_file=self.ca_file),
                         RegistryClient(self.server.url, ssl_context=self.trusting)):
            with self.subTest(servers=registry.servers):
                instance = registry.registration.register("secure-v1", address="10.1.2.3", port=8443, meta={"tls": "yes"})
                self.assertEqual(registry.instances.pick("secure-v1", meta={"tls": "yes"})["id"], instance["id"])  # type: ignore[index]
                with registry.events.watch(["secure-v1"]) as events:
                    snapshot = next(events)
                self.assertIn(instance["id"], [item["id"] for item in snapshot.instances or []])
                self.assertIs(registry.registration.deregister(instance["id"]), True)

    def test_v1_without_the_ca_the_certificate_is_refused(self) -> None:
        registry = RegistryClient(self.server.url, request_timeout=2)
        with self.assertRaises(RegistryError) as caught:
            registry.instances.services()
        self.assertIn("CERTIFICATE_VERIFY_FAILED", str(caught.exception))
        self.assertIsNone(caught.exception.status)
        errors: List[RegistryError] = []
        watch = registry.events.watch(["secure-v1"], backoff_initial=0.05, backoff_max=0.1, on_error=errors.append)
        self.addCleanup(watch.close)

        def consume() -> None:
            for _ in watch:
                pass

        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        self.assertTrue(eventually(lambda: len(errors) >= 1), "a refused certificate was not reported")
        self.assertIn("CERTIFICATE_VERIFY_FAILED", str(errors[0]))
        watch.close()
        consumer.join(10)
        self.assertFalse(consumer.is_alive())


if __name__ == "__main__":
    unittest.main()
