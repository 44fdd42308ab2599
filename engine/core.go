package engine

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hft-ninja/hft-ninja/engine/clock"
	"github.com/hft-ninja/hft-ninja/engine/decode"
	"github.com/hft-ninja/hft-ninja/engine/execution"
	"github.com/hft-ninja/hft-ninja/engine/marketdata"
	"github.com/hft-ninja/hft-ninja/engine/metrics"
	"github.com/hft-ninja/hft-ninja/engine/risk"
	"github.com/hft-ninja/hft-ninja/engine/strategy"
)

// Decision is one priced opportunity and what the engine did with it. Live
// runs log it; replay prints it.
type Decision struct {
	Slot      uint64 `json:"slot"`
	Trigger   string `json:"trigger"`
	Buy       string `json:"buy_pool"`
	Sell      string `json:"sell_pool"`
	AmountIn  uint64 `json:"amount_in"`
	BaseOut   uint64 `json:"base_out"`
	AmountOut uint64 `json:"amount_out"`
	Gross     int64  `json:"gross"`
	Cost      uint64 `json:"cost"`
	Net       int64  `json:"net"`
	Allow     bool   `json:"allow"`
	Reason    string `json:"reason"`
	Detail    string `json:"detail,omitempty"`
	// Execution is the outcome: "", "signed", "simulated_ok", "simulated_err", "confirmed", "failed", "skipped".
	Execution string `json:"execution,omitempty"`
	Signature string `json:"signature,omitempty"`
	ExecError string `json:"exec_error,omitempty"`
}

// CoreDeps are the collaborators of the decision core.
type CoreDeps struct {
	Logger  *slog.Logger
	Clock   clock.Clock
	Metrics *metrics.Metrics
	// Executor runs allowed trades; nil means decide only.
	Executor execution.Executor
	// Sync runs the executor inline (replay, for deterministic output)
	// instead of in a goroutine (live, so market data keeps flowing).
	Sync bool
	// OnDecision receives every decision (replay prints them).
	OnDecision func(Decision)
}

// Core is the deterministic decision path: account update -> pool state ->
// strategy -> risk -> execution. Live runs and replays share it. OnSlot and
// OnAccount must be called from one goroutine; Kill from any.
type Core struct {
	cfg      Config
	deps     CoreDeps
	risk     *risk.Manager
	pools    []*pool
	accounts map[solana.PublicKey]watched
	slot     uint64
	// pending holds pools whose two vaults were last updated in different
	// slots: they are priced when the next slot begins, so that one half
	// of a swap is never priced against the other half's old balance.
	pending map[int]trigger
	wg      sync.WaitGroup
	// Stats for replay summaries.
	Stats Stats
	// updates caches the per-source counters: WithLabelValues allocates,
	// and this is the per-update hot path.
	updates map[marketdata.Source]prometheus.Counter
	// inflight holds pairs with a transaction being executed: a second
	// signal on the same pools must not send a competing transaction.
	mu       sync.Mutex
	inflight map[[2]*pool]bool
}

func (c *Core) updatesBySource(s marketdata.Source) prometheus.Counter {
	ctr, ok := c.updates[s]
	if !ok {
		ctr = c.deps.Metrics.UpdatesProcessed.WithLabelValues(string(s))
		c.updates[s] = ctr
	}
	return ctr
}

// Stats counts what the core did.
type Stats struct {
	Updates       int `json:"updates"`
	Discarded     int `json:"discarded"`
	DecodeErrors  int `json:"decode_errors"`
	Evaluations   int `json:"evaluations"`
	Opportunities int `json:"opportunities"`
	Allowed       int `json:"allowed"`
	Denied        int `json:"denied"`
}

// NewCore prepares the decision core.
func NewCore(cfg Config, deps CoreDeps) (*Core, error) {
	if deps.Metrics == nil {
		deps.Metrics = metrics.New()
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Core{cfg: cfg, deps: deps, risk: risk.NewManager(cfg.Risk), accounts: map[solana.PublicKey]watched{}, pending: map[int]trigger{},
		updates: map[marketdata.Source]prometheus.Counter{}, inflight: map[[2]*pool]bool{}}
	for i, pc := range cfg.Pools {
		c.pools = append(c.pools, &pool{cfg: pc})
		c.accounts[pc.Address] = watched{i, rolePool}
		c.accounts[pc.BaseVault] = watched{i, roleBase}
		c.accounts[pc.QuoteVault] = watched{i, roleQuote}
	}
	return c, nil
}

// WatchedAccounts lists the accounts to subscribe to, in config order.
func (c *Core) WatchedAccounts() []solana.PublicKey {
	return c.cfg.watchedAccounts()
}

// OnSlot records a new slot and prices pools left pending: a vault that
// did not change in a slot sends no update, so its balance is current once
// that slot is safely over.
func (c *Core) OnSlot(ctx context.Context, slot uint64, fresh bool) {
	if slot <= c.slot {
		return
	}
	c.slot = slot
	if len(c.pending) == 0 {
		return
	}
	for _, i := range sortedKeys(c.pending) {
		tr := c.pending[i]
		// One slot of grace: notifications of slot S may still arrive just
		// after the notification of slot S+1 (they travel on separate
		// subscriptions).
		if tr.slot+1 < slot {
			delete(c.pending, i)
			c.evaluatePool(ctx, marketdata.Event{Kind: marketdata.KindAccount, Slot: tr.slot, Account: tr.account, Received: tr.received}, i, fresh)
		}
	}
}

// trigger is the part of an event a pending evaluation needs. It is kept
// small: map values above 128 bytes are stored out of line, which would
// allocate on every swap.
type trigger struct {
	slot     uint64
	account  solana.PublicKey
	received time.Time
}

func sortedKeys(m map[int]trigger) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// OnAccount applies an account update; fresh says whether slots are
// current (stale data is priced but never traded).
func (c *Core) OnAccount(ctx context.Context, ev marketdata.Event, fresh bool) {
	w, ok := c.accounts[ev.Account]
	if !ok {
		c.Stats.Discarded++
		c.deps.Metrics.UpdatesDiscarded.Inc()
		return
	}
	p := c.pools[w.pool]
	// Older than what we hold: an out-of-order delivery (for example a
	// poll answered by a lagging node after a websocket update).
	if ev.Slot < p.slotOf(w.role) {
		c.Stats.Discarded++
		c.deps.Metrics.UpdatesDiscarded.Inc()
		return
	}
	if err := p.apply(w.role, ev.Owner, ev.Data, ev.Slot); errors.Is(err, errDuplicate) {
		c.Stats.Discarded++
		c.deps.Metrics.UpdatesDiscarded.Inc()
		return
	} else if err != nil {
		c.Stats.Updates++
		c.updatesBySource(ev.Source).Inc()
		c.Stats.DecodeErrors++
		c.deps.Metrics.DecodeErrors.WithLabelValues(decode.Reason(err)).Inc()
		c.deps.Logger.Warn("account update rejected", "pool", p.cfg.Name, "role", w.role.String(),
			"account", ev.Account.String(), "slot", ev.Slot, "err", err)
		return
	}
	c.Stats.Updates++
	c.updatesBySource(ev.Source).Inc()
	if !p.ready() {
		return
	}
	if p.base.slot != p.quote.slot {
		c.pending[w.pool] = trigger{ev.Slot, ev.Account, ev.Received}
		return
	}
	delete(c.pending, w.pool)
	c.evaluatePool(ctx, ev, w.pool, fresh)
}

// evaluatePool prices pool i against every ready pool of the same pair.
func (c *Core) evaluatePool(ctx context.Context, ev marketdata.Event, i int, fresh bool) {
	p := c.pools[i]
	for j, other := range c.pools {
		if _, half := c.pending[j]; j == i || half || !other.ready() || other.base.mint != p.base.mint {
			continue
		}
		c.evaluate(ctx, ev, i, j, fresh)
	}
}

// evaluate prices the round trip between pools i (updated) and j.
func (c *Core) evaluate(ctx context.Context, ev marketdata.Event, i, j int, fresh bool) {
	a, b := c.pools[i], c.pools[j]
	sa, err := a.snapshot()
	if err != nil {
		c.deps.Metrics.DecodeErrors.WithLabelValues("invalid_reserves").Inc()
		c.deps.Logger.Warn("pool not priceable", "err", err)
		return
	}
	sb, err := b.snapshot()
	if err != nil {
		c.deps.Metrics.DecodeErrors.WithLabelValues("invalid_reserves").Inc()
		c.deps.Logger.Warn("pool not priceable", "err", err)
		return
	}
	c.Stats.Evaluations++
	opp, err := strategy.Evaluate(sa, sb, c.cfg.Strategy, c.cfg.Risk.MaxNotional)
	if err != nil {
		if !errors.Is(err, strategy.ErrNoOpportunity) {
			c.Stats.DecodeErrors++
			c.deps.Metrics.DecodeErrors.WithLabelValues("invalid_reserves").Inc()
			c.deps.Logger.Warn("strategy rejected pool state", "a", a.cfg.Name, "b", b.cfg.Name, "err", err)
		}
		return
	}
	c.Stats.Opportunities++
	c.deps.Metrics.Opportunities.Inc()
	buy, sell := a, b
	if opp.Direction == strategy.BuyBThenSellA {
		buy, sell = b, a
	}
	d := Decision{
		Slot: ev.Slot, Trigger: ev.Account.String(), Buy: buy.cfg.Name, Sell: sell.cfg.Name,
		AmountIn: opp.AmountIn, BaseOut: opp.BaseOut, AmountOut: opp.AmountOut,
		Gross: opp.Gross, Cost: opp.Cost, Net: opp.Net,
	}
	verdict := c.risk.Check(c.deps.Clock.Now(), risk.Request{Notional: opp.AmountIn, ExpectedNet: opp.Net, Fresh: fresh})
	d.Allow, d.Reason, d.Detail = verdict.Allow, string(verdict.Reason), verdict.Detail
	outcome := "deny"
	if d.Allow {
		outcome = "allow"
		c.Stats.Allowed++
	} else {
		c.Stats.Denied++
	}
	c.deps.Metrics.Decisions.WithLabelValues(outcome, d.Reason).Inc()
	c.deps.Metrics.TickToDecision.Observe(c.deps.Clock.Now().Sub(ev.Received).Seconds())
	if d.Allow && c.deps.Executor != nil {
		c.execute(ctx, ev, d, buy, sell)
		return
	}
	c.emit(d)
}

func (c *Core) execute(ctx context.Context, ev marketdata.Event, d Decision, buy, sell *pool) {
	// The second leg must return at least input + costs + threshold, so a
	// moved pool makes the transaction fail instead of losing money.
	leg1, err1 := buy.leg(true, d.AmountIn, d.BaseOut)
	leg2, err2 := sell.leg(false, d.BaseOut, d.AmountIn+d.Cost+c.cfg.Strategy.MinProfit)
	if err := errors.Join(err1, err2); err != nil {
		c.risk.Settle(c.deps.Clock.Now(), d.AmountIn, 0, true)
		d.Execution, d.ExecError = "skipped", err.Error()
		c.deps.Metrics.Executions.WithLabelValues("skipped").Inc()
		c.emit(d)
		return
	}
	key := [2]*pool{buy, sell}
	c.mu.Lock()
	busy := c.inflight[key]
	if !busy {
		c.inflight[key] = true
	}
	c.mu.Unlock()
	if busy {
		c.risk.Settle(c.deps.Clock.Now(), d.AmountIn, 0, true)
		d.Execution, d.ExecError = "skipped", "a transaction on this pair is in flight"
		c.deps.Metrics.Executions.WithLabelValues("skipped").Inc()
		c.emit(d)
		return
	}
	s := c.cfg.Strategy
	plan := execution.Plan{Legs: []execution.Leg{leg1, leg2}, ComputeUnitLimit: s.ComputeUnitLimit,
		ComputeUnitPrice: s.ComputeUnitPrice, TipLamports: s.JitoTipLamports, TipAccount: s.TipAccount}
	run := func() {
		defer func() {
			c.mu.Lock()
			delete(c.inflight, key)
			c.mu.Unlock()
		}()
		res, err := c.deps.Executor.Execute(ctx, plan)
		now := c.deps.Clock.Now()
		if !res.Signed.IsZero() {
			c.deps.Metrics.TickToSigned.Observe(res.Signed.Sub(ev.Received).Seconds())
			d.Signature = res.Signature.String()
		}
		var pnl int64
		switch {
		case err != nil:
			d.Execution, d.ExecError = "failed", err.Error()
			if res.Sent {
				pnl = -int64(d.Cost) // a sent transaction that failed still pays its fees
			}
		case res.Simulated && res.SimErr == "":
			d.Execution = "simulated_ok"
		case res.Simulated:
			d.Execution, d.ExecError = "simulated_err", res.SimErr
		case res.Confirmed:
			d.Execution, pnl = "confirmed", d.Net
			if res.HaveRealised {
				pnl = res.Realised // what the chain says, not what we expected
			}
		default:
			d.Execution = "signed"
		}
		ok := err == nil && (res.OK() || d.Execution == "signed")
		c.risk.Settle(now, d.AmountIn, pnl, ok)
		c.deps.Metrics.Executions.WithLabelValues(d.Execution).Inc()
		c.emit(d)
	}
	if c.deps.Sync {
		run()
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		run()
	}()
}

func (c *Core) emit(d Decision) {
	c.deps.Logger.Info("decision", "slot", d.Slot, "buy", d.Buy, "sell", d.Sell, "amount_in", d.AmountIn,
		"net", d.Net, "allow", d.Allow, "reason", d.Reason, "detail", d.Detail, "execution", d.Execution,
		"signature", d.Signature, "exec_error", d.ExecError)
	if c.deps.OnDecision != nil {
		c.deps.OnDecision(d)
	}
}

// Wait blocks until in-flight executions finish.
func (c *Core) Wait() { c.wg.Wait() }

// Kill engages the kill switch: no further trade is signed.
func (c *Core) Kill(reason string) {
	if c.risk.Kill(reason) {
		c.deps.Logger.Warn("kill switch engaged", "reason", reason)
		c.deps.Metrics.Killed.Set(1)
	}
}

// Killed reports whether the kill switch is engaged.
func (c *Core) Killed() bool { return c.risk.Killed() }
