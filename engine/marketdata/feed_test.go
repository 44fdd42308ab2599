package marketdata_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hft-ninja/hft-ninja/engine/marketdata"
	"github.com/hft-ninja/hft-ninja/engine/metrics"
	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

// harness runs a Feed against the fault-injecting server and collects events.
type harness struct {
	t      *testing.T
	srv    *solanatest.Server
	m      *metrics.Metrics
	mu     sync.Mutex
	events []marketdata.Event
	vault  solanatest.AccountFixture
}

func start(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, srv: solanatest.New(), m: metrics.New()}
	t.Cleanup(h.srv.Close)
	v, err := solanatest.LoadAccount("orca_whirlpool_HJPjo_vault_b_usdc.json")
	if err != nil {
		t.Fatal(err)
	}
	h.vault = v
	h.srv.SetSlot(376411673)
	h.srv.SetAccount(v.Pubkey, solanatest.Account{Lamports: v.Lamports, Owner: v.Owner, Data: v.Data})
	f, err := marketdata.New(marketdata.Config{
		RPCURL: h.srv.RPCURL(), WSURL: h.srv.WSURL(),
		Accounts:     []solana.PublicKey{solana.MustPublicKeyFromBase58(v.Pubkey)},
		PollInterval: 30 * time.Millisecond, StaleAfter: 400 * time.Millisecond,
		RPCTimeout: 300 * time.Millisecond,
		Backoff:    marketdata.Backoff{Min: 10 * time.Millisecond, Max: 80 * time.Millisecond},
		Metrics:    h.m,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan marketdata.Event, 64)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, out) }()
	go func() {
		for ev := range out {
			h.mu.Lock()
			h.events = append(h.events, ev)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
		close(out)
	})
	return h
}

// waitFor polls cond until it holds or the deadline passes.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) count(match func(marketdata.Event) bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.events {
		if match(e) {
			n++
		}
	}
	return n
}

func isSlot(src marketdata.Source, slot uint64) func(marketdata.Event) bool {
	return func(e marketdata.Event) bool {
		return e.Kind == marketdata.KindSlot && e.Source == src && (slot == 0 || e.Slot == slot)
	}
}

func TestFeedStreamsRealAccountBytesAndSlots(t *testing.T) {
	h := start(t)
	h.waitFor("both subscriptions", func() bool {
		return h.srv.Subscribers("slotSubscribe") == 1 && h.srv.Subscribers("accountSubscribe") == 1
	})
	h.srv.PushSlot(376411674)
	h.waitFor("ws slot", func() bool { return h.count(isSlot(marketdata.SourceWS, 376411674)) == 1 })

	// Re-publish the real vault bytes; the event must carry them unchanged.
	h.srv.SetAccount(h.vault.Pubkey, solanatest.Account{Lamports: h.vault.Lamports, Owner: h.vault.Owner, Data: h.vault.Data})
	var got marketdata.Event
	h.waitFor("ws account", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, e := range h.events {
			if e.Kind == marketdata.KindAccount && e.Source == marketdata.SourceWS {
				got = e
				return true
			}
		}
		return false
	})
	if !bytes.Equal(got.Data, h.vault.Data) || got.Owner.String() != h.vault.Owner || got.Lamports != h.vault.Lamports || got.Slot != 376411674 {
		t.Fatalf("account event differs from fixture: owner %s lamports %d slot %d len %d", got.Owner, got.Lamports, got.Slot, len(got.Data))
	}
}

func TestFeedReconnectsAndResubscribesAfterMidStreamDisconnect(t *testing.T) {
	h := start(t)
	h.waitFor("subscribed", func() bool { return h.srv.Subscribers("slotSubscribe") == 1 })
	h.srv.PushSlot(100)
	h.waitFor("slot 100", func() bool { return h.count(isSlot(marketdata.SourceWS, 100)) == 1 })

	h.srv.DropConnections()
	h.waitFor("resubscribed", func() bool {
		return h.srv.Calls("slotSubscribe") >= 2 && h.srv.Calls("accountSubscribe") >= 2 && h.srv.Subscribers("slotSubscribe") == 1
	})
	h.srv.PushSlot(101)
	h.waitFor("slot 101 after reconnect", func() bool { return h.count(isSlot(marketdata.SourceWS, 101)) == 1 })
	if n := testutil.ToFloat64(h.m.WSConnects.WithLabelValues("dropped")); n < 1 {
		t.Fatalf("dropped sessions counted %v, want >= 1", n)
	}
}

func TestFeedPollsWhileWebsocketIsDownAndSurvives429(t *testing.T) {
	h := start(t)
	h.waitFor("subscribed", func() bool { return h.srv.Subscribers("slotSubscribe") == 1 })
	h.srv.PushSlot(200)
	h.waitFor("ws slot", func() bool { return h.count(isSlot(marketdata.SourceWS, 200)) == 1 })

	h.srv.RejectWS(true)
	h.srv.DropConnections()
	h.srv.SetSlot(201)
	h.waitFor("polled slot", func() bool { return h.count(isSlot(marketdata.SourcePoll, 201)) >= 1 })
	h.waitFor("polled account", func() bool {
		return h.count(func(e marketdata.Event) bool {
			return e.Kind == marketdata.KindAccount && e.Source == marketdata.SourcePoll && bytes.Equal(e.Data, h.vault.Data)
		}) >= 1
	})

	// Rate limiting: polling fails, is counted, and resumes after.
	h.srv.Fail429(3)
	h.srv.SetSlot(202)
	h.waitFor("poll after 429s", func() bool { return h.count(isSlot(marketdata.SourcePoll, 202)) >= 1 })
	if n := testutil.ToFloat64(h.m.RPCErrors.WithLabelValues("getSlot")); n < 1 {
		t.Fatalf("429s not counted as RPC errors: %v", n)
	}

	// Malformed JSON and slow responses on the HTTP path.
	h.srv.FailMalformed(2)
	h.srv.SetSlot(203)
	h.waitFor("poll after malformed", func() bool { return h.count(isSlot(marketdata.SourcePoll, 203)) >= 1 })
	h.srv.SetDelay(time.Second) // above RPCTimeout: calls time out
	before := testutil.ToFloat64(h.m.RPCErrors.WithLabelValues("getSlot"))
	h.waitFor("timeouts counted", func() bool { return testutil.ToFloat64(h.m.RPCErrors.WithLabelValues("getSlot")) > before })
	h.srv.SetDelay(0)

	// The websocket comes back: the feed returns to it and polling stops.
	h.srv.RejectWS(false)
	h.waitFor("ws back", func() bool { return h.srv.Subscribers("slotSubscribe") == 1 })
	h.srv.PushSlot(300)
	h.waitFor("ws slot after outage", func() bool { return h.count(isSlot(marketdata.SourceWS, 300)) == 1 })
	time.Sleep(100 * time.Millisecond)
	polls := h.srv.Calls("getSlot")
	time.Sleep(200 * time.Millisecond)
	h.srv.PushSlot(301) // keep the session fresh
	if extra := h.srv.Calls("getSlot") - polls; extra > 1 {
		t.Fatalf("still polling while the websocket is live: %d extra getSlot calls", extra)
	}
}

func TestFeedSurvivesMalformedWebsocketMessages(t *testing.T) {
	h := start(t)
	h.waitFor("subscribed", func() bool { return h.srv.Subscribers("slotSubscribe") == 1 })
	h.srv.SendRaw(`{"jsonrpc":"2.0","method":"slotNotification","params":{"subscription":`)
	h.srv.SendRaw(`not json at all`)
	h.srv.SendRaw(`{"jsonrpc":"2.0","method":"slotNotification","params":{"subscription":1001,"result":{"slot":"NaN"}}}`)
	// Whatever the client did with those (ignore, or drop the subscription
	// and reconnect), slots must flow again.
	deadline := time.Now().Add(5 * time.Second)
	for slot := uint64(400); ; slot++ {
		h.srv.PushSlot(slot)
		time.Sleep(20 * time.Millisecond)
		if h.count(isSlot(marketdata.SourceWS, 0)) > 0 && h.count(isSlot(marketdata.SourceWS, slot)) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no slots after malformed messages")
		}
	}
}

func TestFeedTearsDownSilentWebsocket(t *testing.T) {
	h := start(t)
	h.waitFor("subscribed", func() bool { return h.srv.Subscribers("slotSubscribe") == 1 })
	h.srv.SilentWS(true)
	h.waitFor("stale session ended", func() bool { return testutil.ToFloat64(h.m.WSConnects.WithLabelValues("stale")) >= 1 })
	h.waitFor("polling during silence", func() bool { return h.count(isSlot(marketdata.SourcePoll, 0)) >= 1 })
}

func TestFeedRequiresURLs(t *testing.T) {
	if _, err := marketdata.New(marketdata.Config{WSURL: "ws://x"}); err == nil {
		t.Fatal("missing RPC URL accepted")
	}
	if _, err := marketdata.New(marketdata.Config{RPCURL: "http://x"}); err == nil {
		t.Fatal("missing WS URL accepted")
	}
}
