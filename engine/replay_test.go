package engine_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine"
	"github.com/hft-ninja/hft-ninja/engine/amm"
	"github.com/hft-ninja/hft-ninja/engine/config"
)

func shippedConfig(t *testing.T, mutate func(*engine.Config)) engine.Config {
	t.Helper()
	raw, err := os.ReadFile(shippedConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := config.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(&s.Engine)
	}
	return s.Engine
}

const shippedConfigPath = shippedConfigFile

func runReplay(t *testing.T, cfg engine.Config, rec []byte) ([]engine.Decision, engine.ReplayStats) {
	t.Helper()
	var ds []engine.Decision
	st, err := engine.Replay(context.Background(), cfg, bytes.NewReader(rec), func(d engine.Decision) { ds = append(ds, d) })
	if err != nil {
		t.Fatal(err)
	}
	return ds, st
}

func readShipped(t *testing.T) []byte {
	t.Helper()
	rec, err := os.ReadFile(shippedReplay)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestShippedReplayDecisions replays the shipped real-data file and checks
// every number of the printed decision against an independent computation
// from the recorded vault balances.
func TestShippedReplayDecisions(t *testing.T) {
	cfg := shippedConfig(t, nil)
	ds, st := runReplay(t, cfg, readShipped(t))
	pools := recordedPools(t)
	real := pools[arbPoolIndex]
	if len(ds) != 1 {
		t.Fatalf("%d decisions, want 1 (only the swapped pool vs its stale twin): %+v", len(ds), ds)
	}
	d := ds[0]
	if d.Slot != swapSlot || d.Buy != "ray-v4-"+real.Amm[:6] || d.Sell != "shadow-"+real.Amm[:6] || !d.Allow || d.Reason != "allowed" {
		t.Fatalf("decision %+v", d)
	}
	fee := amm.FeeBps(25)
	// Buy the token where it just got cheap (real post-swap balances)...
	base, err := amm.SwapExactIn(d.AmountIn, real.Quote.Post, real.Base.Post, fee)
	if err != nil {
		t.Fatal(err)
	}
	// ...and sell it into the twin still at the real pre-swap balances.
	out, err := amm.SwapExactIn(base, real.Base.Pre, real.Quote.Pre, fee)
	if err != nil {
		t.Fatal(err)
	}
	cost := cfg.Strategy.CostLamports()
	if d.BaseOut != base || d.AmountOut != out || d.Gross != int64(out)-int64(d.AmountIn) || d.Cost != cost || d.Net != d.Gross-int64(cost) {
		t.Fatalf("decision %+v; recomputed base %d out %d cost %d", d, base, out, cost)
	}
	if d.AmountIn > cfg.Risk.MaxNotional || d.Net <= int64(cfg.Strategy.MinProfit) {
		t.Fatalf("decision breaks limits: %+v", d)
	}
	gross := func(x uint64) int64 {
		b, _ := amm.SwapExactIn(x, real.Quote.Post, real.Base.Post, fee)
		o, _ := amm.SwapExactIn(b, real.Base.Pre, real.Quote.Pre, fee)
		return int64(o) - int64(x)
	}
	for _, dx := range []uint64{1, 1000, 1_000_000, d.AmountIn / 100} {
		if gross(d.AmountIn+dx) > d.Gross || gross(d.AmountIn-dx) > d.Gross {
			t.Fatalf("input %d±%d earns more than the chosen %d", d.AmountIn, dx, d.Gross)
		}
	}
	// Counts follow from the file: two vaults per pool before the swap (11
	// real pools and the twin), two per real pool after, one out-of-order
	// re-delivery, one duplicated slot.
	want := engine.Stats{Updates: 2*(len(pools)+1) + 2*len(pools), Discarded: 1, Evaluations: 2, Opportunities: 1, Allowed: 1}
	if st.Stats != want || st.Slots != 4 || st.SlotsDiscarded != 1 || st.CorruptLines != 0 {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	// Deterministic: a second run prints the same.
	ds2, st2 := runReplay(t, cfg, readShipped(t))
	if !reflect.DeepEqual(ds, ds2) || st != st2 {
		t.Fatal("replay is not deterministic")
	}
}

func TestReplaySkipsCorruptLines(t *testing.T) {
	cfg := shippedConfig(t, nil)
	clean, _ := runReplay(t, cfg, readShipped(t))
	lines := strings.SplitAfter(string(readShipped(t)), "\n")
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(l)
		if i == 30 {
			b.WriteString("{not json\n")
			b.WriteString(`{"jsonrpc":"2.0","method":"accountNotification","params":{"subscription":99999,"result":{"context":{"slot":1},"value":null}}}` + "\n")
			b.WriteString(`{"jsonrpc":"2.0","method":"accountNotification","params":{"subscription":1002,"result":{"context":{"slot":308454032},"value":{"lamports":1,"owner":"zzz","data":["AAAA","base64"]}}}}` + "\n")
		}
	}
	// A truncated final line, as when a recorder is killed mid-write.
	b.WriteString(`{"jsonrpc":"2.0","method":"accountNotification","params":{"subscr`)
	ds, st := runReplay(t, cfg, []byte(b.String()))
	if st.CorruptLines != 4 {
		t.Fatalf("corrupt lines %d, want 4", st.CorruptLines)
	}
	if !reflect.DeepEqual(ds, clean) {
		t.Fatalf("corrupt lines changed the decisions: %+v vs %+v", ds, clean)
	}
}

func TestReplayDeniesOnStaleSlots(t *testing.T) {
	// Without the slot-308454032 notifications the post-swap balances run
	// ahead of the slot stream; with a 300ms window that is stale.
	var kept []string
	for _, l := range strings.SplitAfter(string(readShipped(t)), "\n") {
		if !strings.Contains(l, `"slot":308454032}`) || !strings.Contains(l, "slotNotification") {
			kept = append(kept, l)
		}
	}
	cfg := shippedConfig(t, func(c *engine.Config) { c.StaleAfter = 300e6 })
	ds, _ := runReplay(t, cfg, []byte(strings.Join(kept, "")))
	if len(ds) != 1 || ds[0].Allow || ds[0].Reason != "stale_data" {
		t.Fatalf("stale decision %+v", ds)
	}
}

func TestReplayWithWalletNeverSignsWithoutPoolState(t *testing.T) {
	cfg := shippedConfig(t, func(c *engine.Config) {
		c.Wallet = solana.PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	})
	ds, _ := runReplay(t, cfg, readShipped(t))
	if len(ds) != 1 || ds[0].Execution != "skipped" || ds[0].Signature != "" || !strings.Contains(ds[0].ExecError, "state account not seen") {
		t.Fatalf("decision %+v", ds)
	}
}
