"""The README's ``hello.py``, run as a user would: started before its registry, it registers
once the registry is up, and deregisters on SIGTERM and on SIGINT, exiting 0."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from srsr_client import RegistryClient

from .srsr_server import SrsrServer, eventually, free_port

PACKAGE = Path(__file__).resolve().parents[1]


def hello_py() -> str:
    readme = (PACKAGE / "README.md").read_text()
    blocks = re.findall(r"```python\n(# hello\.py.*?)```", readme, re.S)
    if len(blocks) != 1:
        raise AssertionError(f"README.md: expected one python block starting '# hello.py', found {len(blocks)}")
    return blocks[0]


class ReadmeExampleTest(unittest.TestCase):
    def test_hello_registers_after_its_registry_starts_and_deregisters_on_each_signal(self) -> None:
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=stop_signal.name), tempfile.TemporaryDirectory(prefix="srsr-hello-") as folder:
                script = Path(folder, "hello.py")
                script.write_text(hello_py())
                server = SrsrServer(60)
                self.addCleanup(server.close)
                env = {**os.environ, "SRSR_URL": server.url, "PORT": str(free_port()), "PYTHONPATH": str(PACKAGE)}
                hello = subprocess.Popen([sys.executable, str(script)], cwd=folder, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True)
                self.addCleanup(hello.kill)
                self.assertIn("hello serving on port", hello.stdout.readline() if hello.stdout else "")
                server.start()  # after hello: it has been retrying in the background
                registry = RegistryClient(server.url)
                self.assertTrue(eventually(lambda: len(registry.instances.list("hello", meta={"zone": "eu-west-1a"})) == 1, 40),
                                "hello never registered")
                self.assertEqual(registry.instances.list("hello")[0]["address"], f"http://127.0.0.1:{env['PORT']}")
                hello.send_signal(stop_signal)
                out, err = hello.communicate(timeout=20)
                self.assertEqual(hello.returncode, 0, err)
                self.assertIn("hello deregistered", out)
                self.assertEqual(registry.instances.list("hello"), [])
                server.close()


if __name__ == "__main__":
    unittest.main()
