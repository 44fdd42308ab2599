package marketdata

import (
	"testing"
	"time"
)

func TestSlotTrackerOrderingAndStaleness(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := NewSlotTracker(time.Second)
	if tr.Ready(t0) {
		t.Fatal("ready before any slot")
	}
	if !tr.Observe(10, t0) {
		t.Fatal("first slot rejected")
	}
	if tr.Observe(10, t0.Add(500*time.Millisecond)) || tr.Observe(9, t0.Add(500*time.Millisecond)) {
		t.Fatal("duplicate or older slot accepted")
	}
	// A duplicate must not refresh readiness.
	if tr.Ready(t0.Add(1500 * time.Millisecond)) {
		t.Fatal("duplicates kept the tracker ready")
	}
	tr.Observe(11, t0.Add(1600*time.Millisecond))
	if !tr.Ready(t0.Add(2 * time.Second)) {
		t.Fatal("not ready after a new slot")
	}
	if got := tr.Age(t0.Add(2 * time.Second)); got != 400*time.Millisecond {
		t.Fatalf("age %v", got)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for n := 0; n < 20; n++ {
		want := b.Min << min(n, 4)
		if want > b.Max {
			want = b.Max
		}
		for i := 0; i < 50; i++ {
			d := b.Delay(n)
			if d < want/2 || d > want {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
}
