package risk

import (
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 10, 28, 12, 0, 0, 0, time.UTC)

func TestManagerEnforcesEveryLimit(t *testing.T) {
	m := NewManager(Limits{MaxNotional: 100, MaxOpenExposure: 150, DailyLossLimit: 50, MaxConsecutiveFailures: 2})
	ok := Request{Notional: 100, ExpectedNet: 5, Fresh: true}
	steps := []struct {
		name string
		do   func() Decision
		want Reason
	}{
		{"stale", func() Decision { return m.Check(t0, Request{Notional: 1, ExpectedNet: 1}) }, StaleData},
		{"unprofitable", func() Decision { return m.Check(t0, Request{Notional: 1, ExpectedNet: 0, Fresh: true}) }, NotProfitable},
		{"zero", func() Decision { return m.Check(t0, Request{ExpectedNet: 1, Fresh: true}) }, InvalidRequest},
		{"too big", func() Decision { return m.Check(t0, Request{Notional: 101, ExpectedNet: 1, Fresh: true}) }, MaxNotional},
		{"first allowed", func() Decision { return m.Check(t0, ok) }, Allowed},
		{"exposure", func() Decision { return m.Check(t0, ok) }, MaxExposure},
		{"fits after settle", func() Decision { m.Settle(t0, 100, -20, false); return m.Check(t0, ok) }, Allowed},
		{"circuit", func() Decision { m.Settle(t0, 100, -20, false); return m.Check(t0, ok) }, CircuitOpen},
		{"daily loss", func() Decision { m.failures = 0; m.Settle(t0, 0, -10, true); return m.Check(t0, ok) }, DailyLoss},
		{"next day resets loss", func() Decision { return m.Check(t0.Add(13*time.Hour), ok) }, Allowed},
		{"kill", func() Decision {
			m.Kill("test")
			return m.Check(t0.Add(13*time.Hour), Request{Notional: 1, ExpectedNet: 1, Fresh: true})
		}, Killed},
	}
	for _, s := range steps {
		d := s.do()
		if d.Reason != s.want || d.Allow != (s.want == Allowed) {
			t.Fatalf("%s: got %+v, want %s", s.name, d, s.want)
		}
	}
	if m.Kill("again") {
		t.Fatal("second Kill reported a state change")
	}
}

func TestManagerUnlimitedByDefaultButNeverOnStaleData(t *testing.T) {
	m := NewManager(Limits{})
	if d := m.Check(t0, Request{Notional: 1 << 62, ExpectedNet: 1, Fresh: true}); !d.Allow {
		t.Fatalf("dry-run defaults denied: %+v", d)
	}
	if d := m.Check(t0, Request{Notional: 1, ExpectedNet: 1}); d.Allow {
		t.Fatal("stale data allowed")
	}
}

func TestKillIsSafeConcurrently(t *testing.T) {
	m := NewManager(Limits{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); m.Kill("x") }()
		go func() { defer wg.Done(); m.Check(t0, Request{Notional: 1, ExpectedNet: 1, Fresh: true}) }()
	}
	wg.Wait()
	if !m.Killed() {
		t.Fatal("not killed")
	}
}

func TestLimitsValidation(t *testing.T) {
	if err := (Limits{MaxNotional: 10, MaxOpenExposure: 5}).Validate(); err == nil {
		t.Fatal("exposure below notional accepted")
	}
	err := (Limits{MaxNotional: 1}).CompleteForLive()
	if err == nil || !strings.Contains(err.Error(), "daily_loss") || strings.Contains(err.Error(), "max_notional") {
		t.Fatalf("CompleteForLive: %v", err)
	}
}
