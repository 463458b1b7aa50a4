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
from typing import Any, Dict, Mapping, Optional

from .errors import RegistryError

USER_AGENT = "srsr-client-python/0.1.0"
# Error bodies go into messages; a misbehaving proxy could answer with a whole HTML page.
_MAX_BODY_IN_MESSAGE = 500


def post_json(
    url: str, body: Mapping[str, object], timeout: float, ssl_context: Optional[ssl.SSLContext] = None
) -> Dict[str, Any]:
    """POSTs ``body`` as JSON to ``url`` and returns the decoded JSON object it answers.

    ``ssl_context`` verifies an ``https://`` URL; ``None`` uses the system's trusted CAs.
    """
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=ssl_context) as response:
            status = response.status
            text = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        text = _read_error_body(error)
        raise RegistryError(
            f"POST {url}: HTTP {error.code}: {_shorten(text) or error.reason}", status=error.code, body=text
        ) from None
    except urllib.error.URLError as error:
        raise RegistryError(f"POST {url}: registry unreachable: {error.reason}") from error
    except (OSError, http.client.HTTPException) as error:
        # Timeouts and connections dropped mid-answer arrive here rather than as URLError.
        raise RegistryError(f"POST {url}: registry unreachable: {error!r}") from error

    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise RegistryError(
            f"POST {url}: HTTP {status}: expected a JSON object, got: {_shorten(text)!r}", status=status, body=text
        )
    return value


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
