package marketdata

import (
	"sync"
	"time"
)

// SlotTracker records the newest slot and when it arrived. It decides
// readiness: the engine is ready only while slots keep arriving. Duplicated
// and out-of-order slots are reported so that they can be counted and
// ignored, but they do not refresh readiness.
type SlotTracker struct {
	mu         sync.Mutex
	staleAfter time.Duration
	last       uint64
	lastAt     time.Time
}

// NewSlotTracker returns a tracker that calls data stale after staleAfter
// without a new slot.
func NewSlotTracker(staleAfter time.Duration) *SlotTracker {
	return &SlotTracker{staleAfter: staleAfter}
}

// Observe records slot seen at time at. It returns false when the slot is
// not newer than the newest seen (a duplicate or an out-of-order delivery).
func (t *SlotTracker) Observe(slot uint64, at time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if slot <= t.last {
		return false
	}
	t.last = slot
	t.lastAt = at
	return true
}

// Last returns the newest slot and when it arrived.
func (t *SlotTracker) Last() (uint64, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last, t.lastAt
}

// Ready reports whether a new slot arrived within the staleness window.
func (t *SlotTracker) Ready(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last > 0 && now.Sub(t.lastAt) <= t.staleAfter
}

// Age returns how long ago the newest slot arrived (0 before the first).
func (t *SlotTracker) Age(now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == 0 {
		return 0
	}
	return now.Sub(t.lastAt)
}
