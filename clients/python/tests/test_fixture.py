"""Replays the shared wire fixture (test/fixtures/client_cases.json), which the TypeScript and Go
client suites replay too, against a real srsr: each call through RegistryClient, each raw request
over HTTP, each result matched as the fixture says (expected objects are subsets, arrays match
length and elementwise, "{a.id}" is a captured value, {"$type": T} matches by type)."""

from __future__ import annotations

import json
import re
import unittest
from typing import Any, Callable, Dict

from srsr_client import RegistryClient, RegistryError

from .srsr_server import ROOT, SrsrServer

FIXTURE = ROOT / "test" / "fixtures" / "client_cases.json"
PLACEHOLDER = re.compile(r"\{(\w+)\.(\w+)\}")
TYPES: Dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
}


def calls(registry: RegistryClient) -> Dict[str, Callable[[Dict[str, Any]], Any]]:
    """The fixture's calls, each mapped to the Python client's idiom and back to the fixture's values."""
    registration, instances = registry.registration, registry.instances
    return {
        "register": lambda a: registration.register(a["name"], address=a.get("address"), meta=a.get("meta"), ttl=a.get("ttl")),
        "get": lambda a: instances.get(a["id"]),
        "list": lambda a: list(instances.list(a["name"], meta=a.get("meta"))),
        "pick": lambda a: instances.pick(a["name"], meta=a.get("meta")),
        "services": lambda a: list(instances.services()),
        "heartbeat": lambda a: registration.heartbeat(a["id"]) is not None,
        "deregister": lambda a: registration.deregister(a["id"]),
        "update_meta": lambda a: registration.update_meta(a["id"], a["meta"]),
    }


def substitute(value: Any, captured: Dict[str, Any]) -> Any:
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda match: str(captured[match.group(1)][match.group(2)]), value)
    if isinstance(value, list):
        return [substitute(item, captured) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, captured) for key, item in value.items()}
    return value


def mismatch(expected: Any, actual: Any, where: str = "result") -> str:
    """Where ``actual`` differs from ``expected``, or ``""`` when it matches."""
    if isinstance(expected, dict) and set(expected) == {"$type"}:
        return "" if TYPES[expected["$type"]](actual) else f"{where}: expected a {expected['$type']}, got {actual!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {actual!r}"
        for key, item in expected.items():
            if key not in actual:
                return f"{where}.{key}: missing in {actual!r}"
            problem = mismatch(item, actual[key], f"{where}.{key}")
            if problem:
                return problem
        return ""
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where}: expected {len(expected)} items, got {actual!r}"
        for position, (item, got) in enumerate(zip(expected, actual)):
            problem = mismatch(item, got, f"{where}[{position}]")
            if problem:
                return problem
        return ""
    same = type(expected) is type(actual) or (TYPES["number"](expected) and TYPES["number"](actual))
    return "" if same and expected == actual else f"{where}: expected {expected!r}, got {actual!r}"


class FixtureTest(unittest.TestCase):
    server: SrsrServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = SrsrServer(60)
        cls.server.start()
        cls.addClassCleanup(cls.server.close)

    def test_every_case_of_the_shared_fixture(self) -> None:
        cases = json.loads(FIXTURE.read_text())["cases"]
        self.assertGreater(len(cases), 0)
        registry = RegistryClient(self.server.url)
        table = calls(registry)
        steps = 0
        for case in cases:
            with self.subTest(case=case["name"]):
                captured: Dict[str, Any] = {}
                for number, step in enumerate(case["steps"]):
                    where = f"{case['name']}, step {number + 1}"
                    if "request" in step:
                        self.replay_request(substitute(step["request"], captured), substitute(step["response"], captured), where)
                    else:
                        result = self.replay_call(table, step, captured, where)
                        if "capture" in step:
                            captured[step["capture"]] = result
                    steps += 1
        self.assertEqual(steps, sum(len(case["steps"]) for case in cases))

    def replay_call(self, table: Dict[str, Callable[[Dict[str, Any]], Any]], step: Dict[str, Any], captured: Dict[str, Any], where: str) -> Any:
        self.assertIn(step["call"], table, f"{where}: a call this client does not map")
        arguments = substitute(step.get("args", {}), captured)
        if "error" in step:
            with self.assertRaises(RegistryError, msg=where) as caught:
                table[step["call"]](arguments)
            self.assertEqual(caught.exception.status, step["error"]["status"], where)
            self.assertIn(step["error"]["contains"], str(caught.exception), where)
            return None
        result = table[step["call"]](arguments)
        if "result" in step:
            self.assertEqual(mismatch(substitute(step["result"], captured), result), "", f"{where} ({step['call']})")
        return result

    def replay_request(self, request: Dict[str, Any], response: Dict[str, Any], where: str) -> None:
        status, body = self.server.request(request["method"], request["path"], request.get("body"), request.get("rawBody"))
        self.assertEqual(status, response["status"], f"{where}: {body!r}")
        if "body" in response:
            self.assertEqual(mismatch(response["body"], body, "body"), "", where)


class MatcherTest(unittest.TestCase):
    def test_the_matcher_can_fail(self) -> None:
        cases = [
            ({"a": 1}, {"a": 2}), ({"a": 1}, {}), ([{"a": 1}], []), ({"$type": "number"}, True),
            ({"$type": "string"}, 1), (True, 1), (None, {}), ("x", "y"),
        ]
        for expected, actual in cases:
            with self.subTest(expected=expected, actual=actual):
                self.assertNotEqual(mismatch(expected, actual), "")
        self.assertEqual(mismatch({"a": {"$type": "array"}, "b": [1, 2.5]}, {"a": [], "b": [1.0, 2.5], "c": 3}), "")


if __name__ == "__main__":
    unittest.main()
