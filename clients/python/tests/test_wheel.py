"""The package builds a wheel (``pip wheel --no-deps --no-build-isolation``) that imports on its
own: built from a copy of this folder into a temporary one (a build writes ``build/`` and
``*.egg-info`` beside the sources), unpacked, and imported by a fresh interpreter that cannot
see the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path
from typing import Optional

PACKAGE = Path(__file__).resolve().parents[1]
# Building needs setuptools, and before setuptools 70.1 also the wheel package, without a
# network (no build isolation): use the first interpreter here that has them.
CAN_BUILD = (
    "import importlib.util as u, setuptools, sys;"
    "v = tuple(int(p) for p in setuptools.__version__.split('.')[:2]);"
    "sys.exit(0 if u.find_spec('pip') and (v >= (70, 1) or u.find_spec('wheel')) else 1)"
)


def wheel_builder() -> Optional[str]:
    for python in dict.fromkeys([sys.executable, "/usr/bin/python3", shutil.which("python3") or ""]):
        if python and Path(python).exists() and subprocess.run([python, "-c", CAN_BUILD], capture_output=True).returncode == 0:
            return python
    return None


BUILDER = wheel_builder()


@unittest.skipIf(BUILDER is None, "no python3 here has setuptools (>= 70.1, or older with the wheel package) and pip: "
                 "pip install setuptools wheel, or apt-get install python3-setuptools python3-wheel")
class WheelTest(unittest.TestCase):
    def test_builds_a_wheel_that_imports_from_where_it_is_unpacked(self) -> None:
        with tempfile.TemporaryDirectory(prefix="srsr-wheel-") as folder:
            source, out, site = Path(folder, "source"), Path(folder, "out"), Path(folder, "site")
            source.mkdir()
            shutil.copy(PACKAGE / "pyproject.toml", source)
            shutil.copy(PACKAGE / "README.md", source)
            shutil.copytree(PACKAGE / "srsr_client", source / "srsr_client", ignore=shutil.ignore_patterns("__pycache__"))
            built = subprocess.run(
                [BUILDER or "", "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out), str(source)],
                capture_output=True, text=True,
            )
            self.assertEqual(built.returncode, 0, built.stdout + built.stderr)
            wheels = list(out.glob("srsr_client-*-py3-none-any.whl"))
            self.assertEqual(len(wheels), 1, list(out.iterdir()))
            with zipfile.ZipFile(wheels[0]) as archive:
                names = archive.namelist()
                self.assertIn("srsr_client/py.typed", names)
                self.assertIn("srsr_client/registry_client.py", names)
                metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
                self.assertNotIn("Requires-Dist", archive.read(metadata).decode())  # standard library only
                archive.extractall(site)
            imported = subprocess.run(
                [sys.executable, "-c", "import srsr_client; print(srsr_client.__file__); print(srsr_client.RegistryClient.__name__)"],
                cwd=folder, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
            )
            self.assertEqual(imported.returncode, 0, imported.stderr)
            location, exported = imported.stdout.split()
            self.assertTrue(Path(location).is_relative_to(site), location)
            self.assertEqual(exported, "RegistryClient")


if __name__ == "__main__":
    unittest.main()
