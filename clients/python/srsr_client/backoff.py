"""Capped exponential backoff with jitter, for retrying while the registry is unreachable."""

from __future__ import annotations

import random as _random
from typing import Callable


class Backoff:
    """Delays that double from ``initial`` up to ``maximum`` seconds, until :meth:`reset`.

    Each delay is drawn from the upper half of the current step ("equal jitter"): never shorter
    than half the step, so a dead registry is not hammered, and spread out so that many
    services cut off by the same outage do not all come back in the same instant.
    """

    def __init__(
        self, initial: float = 1.0, maximum: float = 30.0, *, random: Callable[[], float] = _random.random
    ) -> None:
        if not initial > 0:
            raise ValueError(f"backoff_initial: must be greater than 0, got {initial!r}")
        if not maximum >= initial:
            raise ValueError(f"backoff_max: must be at least backoff_initial ({initial!r}), got {maximum!r}")
        self.initial = initial
        self.maximum = maximum
        self._random = random
        self._attempts = 0

    def next(self) -> float:
        """The delay before the next retry, in seconds."""
        # Capping the exponent keeps 2 ** attempts from growing without bound in a long outage.
        step = min(self.maximum, self.initial * 2 ** min(self._attempts, 64))
        self._attempts += 1
        return step / 2 + self._random() * step / 2

    def reset(self) -> None:
        """Starts again from ``initial``, after a call succeeded."""
        self._attempts = 0
