// Package risk decides whether a trade may be signed. It is pure state:
// callers pass the time, nothing here does I/O, and every decision carries
// a reason so that it can be logged and counted.
package risk

import (
	"fmt"
	"sync"
	"time"
)

// Reason labels a decision (also the metric label).
type Reason string

// Decision reasons.
const (
	Allowed        Reason = "allowed"
	Killed         Reason = "kill_switch"
	StaleData      Reason = "stale_data"
	MaxNotional    Reason = "max_notional"
	MaxExposure    Reason = "max_open_exposure"
	DailyLoss      Reason = "daily_loss_limit"
	CircuitOpen    Reason = "circuit_breaker"
	NotProfitable  Reason = "not_profitable"
	InvalidRequest Reason = "invalid_request"
)

// Decision is the verdict on one proposed trade.
type Decision struct {
	Allow  bool
	Reason Reason
	Detail string
}

// Request is a proposed trade.
type Request struct {
	// Notional is the input amount (lamports).
	Notional uint64
	// ExpectedNet is the expected profit after costs (lamports).
	ExpectedNet int64
	// Fresh says whether market data is current (slots arriving).
	Fresh bool
}

// Manager enforces Limits. It is safe for concurrent use: the kill switch
// is engaged from HTTP and signal handlers while the engine trades.
type Manager struct {
	mu         sync.Mutex
	limits     Limits
	killed     bool
	killReason string
	open       uint64
	day        time.Time // UTC midnight of the loss window
	dayLoss    uint64
	failures   int
}

// NewManager returns a manager enforcing l.
func NewManager(l Limits) *Manager { return &Manager{limits: l} }

// Check decides on r at time now. An allowed trade reserves its notional
// as open exposure until Settle is called.
func (m *Manager) Check(now time.Time, r Request) Decision {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rollDay(now)
	l := m.limits
	switch {
	case m.killed:
		return deny(Killed, m.killReason)
	case !r.Fresh:
		return deny(StaleData, "market data is stale; never trade on old state")
	case r.Notional == 0:
		return deny(InvalidRequest, "zero notional")
	case r.ExpectedNet <= 0:
		return deny(NotProfitable, fmt.Sprintf("expected net %d", r.ExpectedNet))
	case l.MaxConsecutiveFailures > 0 && m.failures >= l.MaxConsecutiveFailures:
		return deny(CircuitOpen, fmt.Sprintf("%d consecutive failures", m.failures))
	case l.DailyLossLimit > 0 && m.dayLoss >= l.DailyLossLimit:
		return deny(DailyLoss, fmt.Sprintf("lost %d today, limit %d", m.dayLoss, l.DailyLossLimit))
	case l.MaxNotional > 0 && r.Notional > l.MaxNotional:
		return deny(MaxNotional, fmt.Sprintf("notional %d above %d", r.Notional, l.MaxNotional))
	case l.MaxOpenExposure > 0 && m.open+r.Notional > l.MaxOpenExposure:
		return deny(MaxExposure, fmt.Sprintf("open %d + %d above %d", m.open, r.Notional, l.MaxOpenExposure))
	}
	m.open += r.Notional
	return Decision{Allow: true, Reason: Allowed}
}

// Settle releases an allowed trade's exposure and records its outcome:
// pnl is the realised profit (negative for a loss, e.g. fees of a failed
// transaction); ok=false counts towards the circuit breaker.
func (m *Manager) Settle(now time.Time, notional uint64, pnl int64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rollDay(now)
	if notional > m.open {
		notional = m.open
	}
	m.open -= notional
	if pnl < 0 {
		m.dayLoss += uint64(-pnl)
	}
	if ok {
		m.failures = 0
	} else {
		m.failures++
	}
}

// Kill engages the kill switch; it stays engaged until the process restarts.
func (m *Manager) Kill(reason string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.killed {
		return false
	}
	m.killed, m.killReason = true, reason
	return true
}

// Killed reports whether the kill switch is engaged.
func (m *Manager) Killed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.killed
}

// OpenExposure is the notional of trades not yet settled.
func (m *Manager) OpenExposure() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.open
}

func (m *Manager) rollDay(now time.Time) {
	d := now.UTC().Truncate(24 * time.Hour)
	if !d.Equal(m.day) {
		m.day, m.dayLoss = d, 0
	}
}

func deny(r Reason, detail string) Decision { return Decision{Reason: r, Detail: detail} }
