"""Runs the real srsr server (``bun main.ts``) on a free port for the client tests."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[3]
BUN = ROOT / "node_modules" / ".bin" / "bun"
STARTUP_DEADLINE_SECONDS = 20.0


def free_port() -> int:
    """A port that was free a moment ago: bind port 0, read it, release it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def eventually(predicate: Callable[[], bool], deadline_seconds: float = 10.0) -> bool:
    """Polls ``predicate`` until it holds or the deadline passes; generous, so slow CI passes."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def post(url: str, body: Dict[str, Any], context: Optional[ssl.SSLContext] = None) -> Tuple[int, Dict[str, Any]]:
    """A raw POST, independent of the client under test; ``context`` verifies an https:// URL."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class ServerTls(NamedTuple):
    """Serve HTTPS with these PEM files; ``context`` trusts the CA that signed the certificate."""

    cert_file: str
    key_file: str
    context: ssl.SSLContext


class SrsrServer:
    """One srsr process with the memory store; ``restart()`` keeps the port and forgets every id."""

    def __init__(
        self,
        timeout_seconds: float,
        tls: Optional[ServerTls] = None,
        *,
        args: Sequence[str] = (),
        env: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.tls = tls
        self.args = list(args)
        self.env = dict(env or {})
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._process: Optional["subprocess.Popen[bytes]"] = None
        self._stderr = tempfile.TemporaryFile()

    def start(self) -> None:
        command = [str(BUN), str(ROOT / "main.ts"), "-p", str(self.port), "-t", str(self.timeout_seconds)]
        if self.tls:
            command += ["--tls-cert", self.tls.cert_file, "--tls-key", self.tls.key_file]
        self._process = subprocess.Popen(
            command + self.args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
            env={**os.environ, **self.env},
        )
        if not eventually(self._answers, STARTUP_DEADLINE_SECONDS):
            self.stop()
            raise RuntimeError(f"srsr did not start on port {self.port}: {self.stderr()}")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Ends the process at once (SIGKILL), as a crashed node ends."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self._stderr.close()

    def post(self, path: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        return post(self.url + path, body, self.tls.context if self.tls else None)

    def lookup(self, name: str) -> Optional[str]:
        _, answer = self.post("/lookup", {"name": name})
        return answer["address"] if answer["success"] else None

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def _answers(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"srsr exited with {self._process.returncode}: {self.stderr()}")
        try:
            status, _ = self.request("GET", "/healthz")
        except (urllib.error.URLError, OSError):
            return False
        return status == 200

    def request(
        self, method: str, path: str, body: Any = None, raw_body: Optional[str] = None, headers: Optional[Dict[str, str]] = None
    ) -> Tuple[int, Any]:
        """A raw request, independent of the client under test: the status and the decoded JSON
        body (``None`` when there is none)."""
        data = raw_body.encode() if raw_body is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        context = self.tls.context if self.tls else None
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        return status, json.loads(text) if text else None
