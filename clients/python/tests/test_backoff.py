"""Backoff's delay schedule, with the jitter source injected so the numbers are exact."""

from __future__ import annotations

import unittest

from srsr_client import Backoff


class BackoffTest(unittest.TestCase):
    def test_doubles_from_initial_up_to_the_cap(self) -> None:
        backoff = Backoff(1.0, 30.0, random=lambda: 1.0)
        self.assertEqual([backoff.next() for _ in range(8)], [1, 2, 4, 8, 16, 30, 30, 30])

    def test_jitter_stays_within_the_upper_half_of_each_step(self) -> None:
        lowest = Backoff(1.0, 30.0, random=lambda: 0.0)
        self.assertEqual([lowest.next() for _ in range(6)], [0.5, 1, 2, 4, 8, 15])

    def test_reset_starts_again_from_initial(self) -> None:
        backoff = Backoff(0.5, 4.0, random=lambda: 1.0)
        for _ in range(5):
            backoff.next()
        backoff.reset()
        self.assertEqual(backoff.next(), 0.5)

    def test_a_long_outage_stays_at_the_cap(self) -> None:
        backoff = Backoff(1.0, 30.0, random=lambda: 1.0)
        for _ in range(10_000):
            delay = backoff.next()
        self.assertEqual(delay, 30.0)

    def test_rejects_a_cap_below_initial(self) -> None:
        with self.assertRaises(ValueError) as caught:
            Backoff(2.0, 1.0)
        self.assertIn("backoff_max", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
