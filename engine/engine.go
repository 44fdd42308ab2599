// Package engine wires the hft-ninja trading engine together: market data
// in, pool state, strategy, risk, execution out, plus the admin endpoints.
// cmd/hft-ninja only turns flags and files into a Config and calls Run.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go/rpc"

	"github.com/hft-ninja/hft-ninja/engine/admin"
	"github.com/hft-ninja/hft-ninja/engine/clock"
	"github.com/hft-ninja/hft-ninja/engine/execution"
	"github.com/hft-ninja/hft-ninja/engine/marketdata"
	"github.com/hft-ninja/hft-ninja/engine/metrics"
)

// Engine is a configured, not yet running engine.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	clk     clock.Clock
	metrics *metrics.Metrics
	feed    *marketdata.Feed
	tracker *marketdata.SlotTracker
	admin   *admin.Server
	core    *Core
	hashes  *execution.Blockhashes
}

// New validates cfg, binds the admin address and prepares the feed. Nothing
// connects to the network until Run.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	m := metrics.New()
	deps := CoreDeps{Logger: log, Clock: clk, Metrics: m}
	feedCfg := marketdata.Config{
		RPCURL:       cfg.RPCURL,
		WSURL:        cfg.WSURL,
		Commitment:   rpc.CommitmentType(cfg.Commitment),
		Accounts:     cfg.watchedAccounts(),
		PollInterval: cfg.PollInterval,
		StaleAfter:   cfg.StaleAfter,
		RPCTimeout:   cfg.RPCTimeout,
		Backoff:      marketdata.Backoff{Min: cfg.BackoffMin, Max: cfg.BackoffMax},
		Logger:       log.With("component", "marketdata"),
		Clock:        clk,
		Metrics:      m,
	}
	feed, err := marketdata.New(feedCfg)
	if err != nil {
		return nil, fmt.Errorf("configuring market data: %w", err)
	}
	e := &Engine{cfg: cfg, log: log, clk: clk, metrics: m, feed: feed,
		tracker: marketdata.NewSlotTracker(cfg.StaleAfter)}
	if cfg.Wallet != nil {
		b, err := execution.NewBuilder(cfg.Wallet)
		if err != nil {
			return nil, err
		}
		e.hashes = execution.NewBlockhashes(feed.RPC(), 5*time.Second, cfg.RPCTimeout, log.With("component", "blockhash"))
		if cfg.Mode == ModeLive {
			deps.Executor = &execution.Live{B: b, RPC: feed.RPC(), Hashes: e.hashes, Timeout: cfg.RPCTimeout, WSURL: cfg.WSURL}
		} else {
			deps.Executor = &execution.DryRun{B: b, RPC: feed.RPC(), Hashes: e.hashes, Timeout: cfg.RPCTimeout}
		}
		// Only the public key is ever logged.
		log.Info("wallet loaded", "pubkey", b.Payer().String(), "mode", string(cfg.Mode))
	}
	core, err := NewCore(cfg, deps)
	if err != nil {
		return nil, err
	}
	e.core = core
	srv, err := admin.Listen(cfg.AdminAddr, admin.Handler(admin.Hooks{
		Status:  e.status,
		Kill:    core.Kill,
		Metrics: m.Handler(),
	}, log))
	if err != nil {
		return nil, err
	}
	e.admin = srv
	return e, nil
}

// AdminAddr is the bound admin address.
func (e *Engine) AdminAddr() string { return e.admin.Addr() }

// Kill engages the kill switch (used by the SIGUSR1 handler in main).
func (e *Engine) Kill(reason string) { e.core.Kill(reason) }

// Run starts the engine and blocks until ctx is cancelled, then shuts down.
// A cancelled context is a clean exit and returns nil.
func Run(ctx context.Context, cfg Config) error {
	e, err := New(cfg)
	if err != nil {
		return err
	}
	return e.Run(ctx)
}

// Run runs a prepared engine until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.log.Info("engine starting", "rpc", e.cfg.RPCURL, "ws", e.cfg.WSURL,
		"admin", e.AdminAddr(), "mode", e.cfg.Mode, "pools", len(e.cfg.Pools))

	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := e.admin.Serve(ctx); err != nil {
			errc <- err
		}
	}()

	if health, slot, err := e.feed.Probe(ctx); err != nil {
		// Not fatal: the endpoint may come up later; the feed retries.
		e.log.Warn("RPC probe failed; will keep retrying", "err", err)
	} else {
		e.log.Info("RPC endpoint answers", "health", health, "slot", slot)
	}

	if e.hashes != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.hashes.Run(ctx)
		}()
	}

	events := make(chan marketdata.Event, 1024)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := e.feed.Run(ctx, events); err != nil {
			errc <- fmt.Errorf("market data: %w", err)
		}
	}()

	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			runErr = err
			break loop
		case ev := <-events:
			e.handle(ctx, ev)
		case <-tick.C:
			e.refreshGauges()
		}
	}
	cancel()
	wg.Wait()
	e.core.Wait()
	e.log.Info("engine stopped")
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	return nil
}

// handle applies one event. Slots feed readiness; accounts go to the core.
func (e *Engine) handle(ctx context.Context, ev marketdata.Event) {
	switch ev.Kind {
	case marketdata.KindSlot:
		e.metrics.SlotsReceived.WithLabelValues(string(ev.Source)).Inc()
		if !e.tracker.Observe(ev.Slot, ev.Received) {
			e.metrics.SlotsDiscarded.Inc()
			return
		}
		e.metrics.LastSlot.Set(float64(ev.Slot))
		e.core.OnSlot(ctx, ev.Slot, e.tracker.Ready(e.clk.Now()))
	case marketdata.KindAccount:
		e.core.OnAccount(ctx, ev, e.tracker.Ready(e.clk.Now()))
	}
}

func (e *Engine) refreshGauges() {
	now := e.clk.Now()
	ready := e.tracker.Ready(now)
	if ready {
		e.metrics.Ready.Set(1)
	} else {
		e.metrics.Ready.Set(0)
	}
	e.metrics.StaleSeconds.Set(e.tracker.Age(now).Seconds())
}

func (e *Engine) status() admin.Status {
	now := e.clk.Now()
	slot, _ := e.tracker.Last()
	st := admin.Status{Slot: slot, AgeSeconds: e.tracker.Age(now).Seconds(), Killed: e.core.Killed()}
	st.Ready = e.tracker.Ready(now)
	switch {
	case slot == 0:
		st.Reason = "no slot received yet"
	case !st.Ready:
		st.Reason = fmt.Sprintf("no new slot for %s (limit %s)", e.tracker.Age(now).Round(time.Millisecond), e.cfg.StaleAfter)
	}
	return st
}
