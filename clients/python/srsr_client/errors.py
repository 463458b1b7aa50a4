"""The one error type the client raises: what failed, and the registry's status and body."""

from __future__ import annotations

from typing import Optional


class RegistryError(Exception):
    """A registry call failed.

    ``status`` is the HTTP status, or ``None`` when the registry could not be reached at all;
    ``body`` is the answer's text (empty when there was none).
    """

    def __init__(self, message: str, *, status: Optional[int] = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body

    @property
    def retryable(self) -> bool:
        """Whether trying again later can help: the registry was unreachable or failed (5xx).

        A 4xx means the request itself is wrong (a bad name or address), which no retry fixes.
        """
        return self.status is None or self.status >= 500

    @property
    def transient(self) -> bool:
        """Whether the same request may succeed later: :attr:`retryable`, or a 408 or 429
        (the registry is busy or at a limit, which a deregistration elsewhere can lift)."""
        return self.retryable or self.status in (408, 429)
