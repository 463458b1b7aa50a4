"""The steps every registry call shares: build the request, send it, require 2xx, decode JSON.

Anything else becomes a :class:`RegistryError` that says which call failed and carries the
status and body, so callers and logs see the registry's own explanation.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request
from typing import Any, Dict, Mapping, Optional, Tuple

from .errors import RegistryError

USER_AGENT = "srsr-client-python/0.1.0"
# Error bodies go into messages; a misbehaving proxy could answer with a whole HTML page.
_MAX_BODY_IN_MESSAGE = 500


def post_json(
    url: str,
    body: Mapping[str, object],
    timeout: float,
    ssl_context: Optional[ssl.SSLContext] = None,
    token: Optional[str] = None,
) -> Dict[str, Any]:
    """POSTs ``body`` as JSON to ``url`` and returns the decoded JSON object it answers.

    ``ssl_context`` verifies an ``https://`` URL; ``None`` uses the system's trusted CAs.
    ``token``, when given, is sent as ``Authorization: Bearer <token>``.
    """
    status, _, text = send_request(
        "POST", url, json.dumps(body).encode("utf-8"), timeout, ssl_context, bearer_headers(token)
    )
    value = decode_json(f"POST {url}", status, text)
    if not isinstance(value, dict):
        raise RegistryError(
            f"POST {url}: HTTP {status}: expected a JSON object, got: {_shorten(text)!r}", status=status, body=text
        )
    return value


def bearer_headers(token: Optional[str]) -> Dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def send_request(
    method: str,
    url: str,
    data: Optional[bytes],
    timeout: float,
    ssl_context: Optional[ssl.SSLContext],
    headers: Mapping[str, str],
) -> Tuple[int, Mapping[str, str], str]:
    """One request: its status, headers and text on a 2xx; a :class:`RegistryError` otherwise
    (``status`` ``None`` when the registry could not be reached, or did not answer in time)."""
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Accept": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=ssl_context) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        text = _read_error_body(error)
        raise RegistryError(
            f"{method} {url}: HTTP {error.code}: {_shorten(text) or error.reason}", status=error.code, body=text
        ) from None
    except urllib.error.URLError as error:
        raise RegistryError(f"{method} {url}: registry unreachable: {error.reason}") from error
    except (OSError, http.client.HTTPException) as error:
        # Timeouts and connections dropped mid-answer arrive here rather than as URLError.
        raise RegistryError(f"{method} {url}: registry unreachable: {error!r}") from error


def decode_json(what: str, status: int, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise RegistryError(f"{what}: HTTP {status}: not JSON: {_shorten(text)!r}", status=status, body=text) from None


def _read_error_body(error: urllib.error.HTTPError) -> str:
    try:
        return error.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
    finally:
        error.close()


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_BODY_IN_MESSAGE else text[:_MAX_BODY_IN_MESSAGE] + "..."
