package client

import "time"

// backoffDelay is the wait after the given number of consecutive failures: initial,
// doubling per failure up to max, then "equal jitter" (a random point in the upper half)
// so that many clients cut off by the same outage do not retry in lockstep. random(n)
// returns an integer in [0, n).
func backoffDelay(failures int, initial, max time.Duration, random func(n int64) int64) time.Duration {
	base := initial
	for i := 1; i < failures && base < max; i++ {
		base *= 2
	}
	if base > max {
		base = max
	}
	half := base / 2
	return base - half + time.Duration(random(int64(half)+1))
}
