package marketdata

import (
	"math/rand/v2"
	"time"
)

// Backoff computes exponential reconnect delays with jitter, so that many
// engines restarted together do not reconnect in lock step.
type Backoff struct {
	Min time.Duration
	Max time.Duration
}

// Delay returns the wait before reconnect attempt n (0-based): Min·2^n
// capped at Max, then drawn uniformly from [d/2, d].
func (b Backoff) Delay(n int) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
