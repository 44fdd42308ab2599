package marketdata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/ws"

	"github.com/hft-ninja/hft-ninja/engine/clock"
	"github.com/hft-ninja/hft-ninja/engine/metrics"
)

// errStale ends a websocket session that stopped delivering slots even
// though the connection looks open (a silent half-open socket, or a server
// that never confirmed the subscription).
var errStale = errors.New("no websocket message within the staleness window")

// maxAccountsPerCall is the getMultipleAccounts limit of Solana RPC nodes.
const maxAccountsPerCall = 100

// Config configures a Feed.
type Config struct {
	RPCURL     string
	WSURL      string
	Commitment rpc.CommitmentType
	// Accounts are subscribed with accountSubscribe and polled while the websocket is down.
	Accounts []solana.PublicKey
	// PollInterval is the getMultipleAccounts/getSlot period while the websocket is down.
	PollInterval time.Duration
	// StaleAfter ends a websocket session that delivered nothing for this long.
	StaleAfter time.Duration
	// RPCTimeout bounds every HTTP JSON-RPC call.
	RPCTimeout time.Duration
	// Backoff paces websocket reconnects.
	Backoff Backoff
	Logger  *slog.Logger
	Clock   clock.Clock
	Metrics *metrics.Metrics
}

func (c *Config) defaults() {
	if c.Commitment == "" {
		c.Commitment = rpc.CommitmentConfirmed
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 10 * time.Second
	}
	if c.RPCTimeout <= 0 {
		c.RPCTimeout = 5 * time.Second
	}
	if c.Backoff.Min <= 0 {
		c.Backoff.Min = 250 * time.Millisecond
	}
	if c.Backoff.Max < c.Backoff.Min {
		c.Backoff.Max = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
}

// Feed streams slot and account events from a Solana RPC node.
type Feed struct {
	cfg Config
	rpc *rpc.Client
	// wsLive is true while a websocket session delivers slots; the poller
	// stays quiet then.
	wsLive atomic.Bool
}

// New validates cfg and returns a Feed. It does not connect.
func New(cfg Config) (*Feed, error) {
	if cfg.RPCURL == "" {
		return nil, errors.New("marketdata: RPC URL is required")
	}
	if cfg.WSURL == "" {
		return nil, errors.New("marketdata: websocket URL is required")
	}
	cfg.defaults()
	return &Feed{cfg: cfg, rpc: rpc.New(cfg.RPCURL)}, nil
}

// RPC returns the HTTP JSON-RPC client the feed uses.
func (f *Feed) RPC() *rpc.Client { return f.rpc }

// Probe calls getHealth and getSlot once; the engine logs the result at
// start so an operator sees at once whether the endpoint answers.
func (f *Feed) Probe(ctx context.Context) (health string, slot uint64, err error) {
	cctx, cancel := context.WithTimeout(ctx, f.cfg.RPCTimeout)
	defer cancel()
	health, err = f.rpc.GetHealth(cctx)
	if err != nil {
		f.countRPCError("getHealth")
		return "", 0, fmt.Errorf("getHealth on %s: %w", f.cfg.RPCURL, err)
	}
	slot, err = f.rpc.GetSlot(cctx, f.cfg.Commitment)
	if err != nil {
		f.countRPCError("getSlot")
		return health, 0, fmt.Errorf("getSlot on %s: %w", f.cfg.RPCURL, err)
	}
	return health, slot, nil
}

// Run streams events into out until ctx ends. Websocket failures are
// retried forever with backoff; while the websocket is down the accounts
// and slot are polled over HTTP. Run returns nil when ctx is cancelled.
func (f *Feed) Run(ctx context.Context, out chan<- Event) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.pollLoop(ctx, out)
	}()
	defer wg.Wait()

	attempt := 0
	for {
		healthy, err := f.session(ctx, out)
		f.wsLive.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if healthy {
			attempt = 0
		}
		delay := f.cfg.Backoff.Delay(attempt)
		attempt++
		f.cfg.Logger.Warn("websocket session ended; reconnecting",
			"err", err, "attempt", attempt, "delay", delay.String())
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// session runs one websocket connection. healthy reports whether at least
// one notification arrived, which resets the backoff.
func (f *Feed) session(ctx context.Context, out chan<- Event) (healthy bool, err error) {
	client, err := ws.ConnectWithOptions(ctx, f.cfg.WSURL, &ws.Options{HandshakeTimeout: f.cfg.RPCTimeout})
	if err != nil {
		f.countWS("dial_error")
		return false, fmt.Errorf("connecting websocket %s: %w", f.cfg.WSURL, err)
	}
	// Close (not Unsubscribe) tears everything down: solana-go's Unsubscribe
	// closes channels that its reader goroutine may still send on.
	defer client.Close()
	f.countWS("ok")

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(f.cfg.Accounts)+2)
	var last atomic.Int64
	last.Store(f.cfg.Clock.Now().UnixNano())
	var got atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	slotSub, err := client.SlotSubscribe()
	if err != nil {
		return false, fmt.Errorf("slotSubscribe: %w", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			r, err := slotSub.Recv(sctx)
			if err != nil {
				errs <- fmt.Errorf("slot subscription: %w", err)
				return
			}
			now := f.cfg.Clock.Now()
			last.Store(now.UnixNano())
			got.Store(true)
			f.wsLive.Store(true)
			if !send(sctx, out, Event{Kind: KindSlot, Source: SourceWS, Slot: r.Slot, Received: now}) {
				return
			}
		}
	}()
	for _, pk := range f.cfg.Accounts {
		sub, err := client.AccountSubscribe(pk, f.cfg.Commitment)
		if err != nil {
			return false, fmt.Errorf("accountSubscribe %s: %w", pk, err)
		}
		wg.Add(1)
		go func(pk solana.PublicKey, sub *ws.AccountSubscription) {
			defer wg.Done()
			for {
				r, err := sub.Recv(sctx)
				if err != nil {
					errs <- fmt.Errorf("account subscription %s: %w", pk, err)
					return
				}
				now := f.cfg.Clock.Now()
				last.Store(now.UnixNano())
				ev, ok := accountEvent(pk, r.Context.Slot, r.Value, SourceWS, now)
				if !ok {
					continue
				}
				if !send(sctx, out, ev) {
					return
				}
			}
		}(pk, sub)
	}

	// accountSubscribe only reports changes: take a snapshot now that the
	// subscriptions are in place, so accounts that are quiet still get a
	// state. A snapshot older than a notification is discarded downstream
	// by its slot.
	wg.Add(1)
	go func() {
		defer wg.Done()
		cctx, cancel := context.WithTimeout(sctx, f.cfg.RPCTimeout)
		defer cancel()
		if err := f.pollAccounts(cctx, out); err != nil && sctx.Err() == nil {
			f.cfg.Logger.Warn("account snapshot after subscribe failed; relying on notifications", "err", err)
		}
	}()

	tick := time.NewTicker(f.cfg.StaleAfter / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return got.Load(), ctx.Err()
		case err := <-errs:
			f.countWS("dropped")
			return got.Load(), err
		case <-tick.C:
			if f.cfg.Clock.Now().Sub(time.Unix(0, last.Load())) > f.cfg.StaleAfter {
				f.countWS("stale")
				return got.Load(), errStale
			}
		}
	}
}

// pollLoop polls slot and accounts over HTTP while the websocket is down.
func (f *Feed) pollLoop(ctx context.Context, out chan<- Event) {
	t := time.NewTicker(f.cfg.PollInterval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if f.wsLive.Load() {
			failures = 0
			continue
		}
		if err := f.pollOnce(ctx, out); err != nil && ctx.Err() == nil {
			// Log the 1st, 2nd, 4th, 8th… consecutive failure: an outage
			// stays visible without a line per poll (metrics count them all).
			failures++
			if failures&(failures-1) == 0 {
				f.cfg.Logger.Warn("polling fallback failed", "err", err, "consecutive_failures", failures)
			}
		} else {
			failures = 0
		}
	}
}

// pollOnce fetches the current slot and every watched account once.
func (f *Feed) pollOnce(ctx context.Context, out chan<- Event) error {
	cctx, cancel := context.WithTimeout(ctx, f.cfg.RPCTimeout)
	defer cancel()
	slot, err := f.rpc.GetSlot(cctx, f.cfg.Commitment)
	if err != nil {
		f.countRPCError("getSlot")
		return fmt.Errorf("getSlot: %w", err)
	}
	if !send(ctx, out, Event{Kind: KindSlot, Source: SourcePoll, Slot: slot, Received: f.cfg.Clock.Now()}) {
		return nil
	}
	return f.pollAccounts(cctx, out)
}

// pollAccounts fetches every watched account once with getMultipleAccounts.
func (f *Feed) pollAccounts(ctx context.Context, out chan<- Event) error {
	for start := 0; start < len(f.cfg.Accounts); start += maxAccountsPerCall {
		keys := f.cfg.Accounts[start:min(start+maxAccountsPerCall, len(f.cfg.Accounts))]
		res, err := f.rpc.GetMultipleAccountsWithOpts(ctx, keys, &rpc.GetMultipleAccountsOpts{
			Commitment: f.cfg.Commitment, Encoding: solana.EncodingBase64,
		})
		if err != nil {
			f.countRPCError("getMultipleAccounts")
			return fmt.Errorf("getMultipleAccounts: %w", err)
		}
		if len(res.Value) != len(keys) {
			f.countRPCError("getMultipleAccounts")
			return fmt.Errorf("getMultipleAccounts: %d values for %d keys", len(res.Value), len(keys))
		}
		now := f.cfg.Clock.Now()
		for i, acc := range res.Value {
			ev, ok := accountEvent(keys[i], res.Context.Slot, acc, SourcePoll, now)
			if !ok {
				continue
			}
			if !send(ctx, out, ev) {
				return nil
			}
		}
	}
	return nil
}

// accountEvent converts an RPC account; ok is false for a missing account
// (a null value: closed or never created).
func accountEvent(pk solana.PublicKey, slot uint64, acc *rpc.Account, src Source, now time.Time) (Event, bool) {
	if acc == nil || acc.Data == nil {
		return Event{}, false
	}
	return Event{
		Kind: KindAccount, Source: src, Slot: slot, Account: pk, Owner: acc.Owner,
		Lamports: acc.Lamports, Data: acc.Data.GetBinary(), Received: now,
	}, true
}

func send(ctx context.Context, out chan<- Event, ev Event) bool {
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *Feed) countRPCError(method string) {
	if f.cfg.Metrics != nil {
		f.cfg.Metrics.RPCErrors.WithLabelValues(method).Inc()
	}
}

func (f *Feed) countWS(result string) {
	if f.cfg.Metrics != nil {
		f.cfg.Metrics.WSConnects.WithLabelValues(result).Inc()
	}
}
