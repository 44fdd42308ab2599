package engine

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine/clock"
	"github.com/hft-ninja/hft-ninja/engine/marketdata"
	"github.com/hft-ninja/hft-ninja/engine/metrics"
)

// CoreDeps are the collaborators of the decision core.
type CoreDeps struct {
	Logger  *slog.Logger
	Clock   clock.Clock
	Metrics *metrics.Metrics
}

// Core is the deterministic decision path: account update -> pool state ->
// strategy -> risk -> execution. Live runs and replays share it.
type Core struct {
	cfg    Config
	deps   CoreDeps
	killed atomic.Bool
}

// NewCore prepares the decision core.
func NewCore(cfg Config, deps CoreDeps) (*Core, error) {
	return &Core{cfg: cfg, deps: deps}, nil
}

// WatchedAccounts lists the accounts to subscribe to.
func (c *Core) WatchedAccounts() []solana.PublicKey {
	var out []solana.PublicKey
	for _, p := range c.cfg.Pools {
		out = append(out, p.Address, p.BaseVault, p.QuoteVault)
	}
	return out
}

// OnSlot records a new slot.
func (c *Core) OnSlot(slot uint64) {}

// OnAccount applies an account update; fresh says whether slots are current.
func (c *Core) OnAccount(ctx context.Context, ev marketdata.Event, fresh bool) {}

// Kill engages the kill switch.
func (c *Core) Kill(reason string) {
	if c.killed.CompareAndSwap(false, true) {
		c.deps.Logger.Warn("kill switch engaged", "reason", reason)
		c.deps.Metrics.Killed.Set(1)
	}
}

// Killed reports whether the kill switch is engaged.
func (c *Core) Killed() bool { return c.killed.Load() }
