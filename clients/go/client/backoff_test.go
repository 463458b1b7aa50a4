package client

import (
	"testing"
	"time"
)

func TestBackoffDelayDoublesUpToTheCapWithJitterInTheUpperHalf(t *testing.T) {
	lowest := func(int64) int64 { return 0 }
	highest := func(n int64) int64 { return n - 1 }
	cases := []struct {
		failures int
		base     time.Duration
	}{
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{5, 16 * time.Second},
		{6, 30 * time.Second},
		{1000, 30 * time.Second}, // no overflow from doubling many times
	}
	for _, tc := range cases {
		low := backoffDelay(tc.failures, time.Second, 30*time.Second, lowest)
		high := backoffDelay(tc.failures, time.Second, 30*time.Second, highest)
		if low != tc.base-tc.base/2 || high != tc.base {
			t.Errorf("failures=%d: delays %s..%s; want %s..%s", tc.failures, low, high, tc.base-tc.base/2, tc.base)
		}
	}
}
