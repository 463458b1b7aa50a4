"""A throwaway CA and a server certificate it signed for 127.0.0.1, ::1 and localhost, made with
``openssl`` in a temporary folder, as the repository's TypeScript tests make theirs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import List, NamedTuple

# Everything spelled out rather than left to the system's openssl.cnf. Python 3.13 verifies
# strictly (VERIFY_X509_STRICT): the CA needs keyCertSign, the leaf an authority key id.
_CONFIG = """[req]
distinguished_name = name
prompt = no
[name]
CN = srsr test
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
_NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


class TestCertificates(NamedTuple):
    ca_file: str
    cert_file: str
    key_file: str


def _openssl(args: List[str], cwd: Path) -> None:
    if shutil.which("openssl") is None:
        raise RuntimeError("the TLS tests need openssl: install it (Debian: apt-get install openssl)")
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({done.returncode}): {done.stderr}")


def make_test_certificates(directory: str) -> TestCertificates:
    """Writes the CA's and the server's certificates and the server's key into ``directory``."""
    folder = Path(directory)
    (folder / "openssl.cnf").write_text(_CONFIG)
    common = ["-config", "openssl.cnf", *_NEW_KEY]
    _openssl(["req", "-x509", *common, "-extensions", "ca", "-subj", "/CN=srsr test CA", "-days", "2",
              "-keyout", "ca.key", "-out", "ca.pem"], folder)
    _openssl(["req", "-new", *common, "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"], folder)
    _openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
              "-extfile", "openssl.cnf", "-extensions", "server", "-days", "2", "-out", "server.pem"], folder)
    return TestCertificates(str(folder / "ca.pem"), str(folder / "server.pem"), str(folder / "server.key"))
