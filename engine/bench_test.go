package engine_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine"
	"github.com/hft-ninja/hft-ninja/engine/config"
	"github.com/hft-ninja/hft-ninja/engine/marketdata"
	"github.com/hft-ninja/hft-ninja/engine/metrics"
	"github.com/hft-ninja/hft-ninja/engine/replay"
	"os"
)

func benchConfig(b *testing.B) engine.Config {
	raw, err := os.ReadFile(shippedConfigFile)
	if err != nil {
		b.Fatal(err)
	}
	s, err := config.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	return s.Engine
}

// loadCore brings a core to the state after the shipped replay's pre-swap
// section, and returns the events of the recording.
func loadCore(b *testing.B) (*engine.Core, []marketdata.Event) {
	cfg := benchConfig(b)
	core, err := engine.NewCore(cfg, engine.CoreDeps{Metrics: metrics.New(), Sync: true})
	if err != nil {
		b.Fatal(err)
	}
	rec, err := os.ReadFile(shippedReplay)
	if err != nil {
		b.Fatal(err)
	}
	r := replay.NewReader(bytes.NewReader(rec))
	var evs []marketdata.Event
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		ev.Data = append([]byte(nil), ev.Data...)
		evs = append(evs, ev)
	}
	return core, evs
}

// BenchmarkDecodeUpdateEvaluate is the hot path of one swap landing in a
// pool: two vault account updates (decode the 165-byte token accounts,
// update the pool) and one evaluation against its pair, which alternates
// between the real post-swap balances (an opportunity: search, risk
// check, decision) and the real pre-swap ones (pools agree: rejected by
// the exact price test). ns/op covers both updates and the evaluation.
func BenchmarkDecodeUpdateEvaluate(b *testing.B) { benchUpdates(b, []int{0, 1}) }

// BenchmarkDecodeUpdateEvaluateNoOpportunity is the steady state: the
// pools agree, so each swap's two vault updates are decoded, applied and
// priced, and the exact price test rejects the pair. Target: 0 allocs.
func BenchmarkDecodeUpdateEvaluateNoOpportunity(b *testing.B) { benchUpdates(b, []int{0}) }

func benchUpdates(b *testing.B, phases []int) {
	core, evs := loadCore(b)
	ctx := context.Background()
	const quoteVault, baseVault = "HAGiCPMxbxwmBAuNednL9JTSncUH7uwmjjzuvrVeR76E", "DQZwzT4yFbYgtpCGPQXmVJLa3V2rpCCPGgq4T7DDJi7i"
	var pairs [2][2]marketdata.Event // [pre|post][quote|base]
	for _, ev := range evs {
		if ev.Kind == marketdata.KindSlot {
			core.OnSlot(ctx, ev.Slot, true)
			continue
		}
		if ev.Slot == 308454031 {
			core.OnAccount(ctx, ev, true)
		}
		phase := 0
		if ev.Slot == 308454032 {
			phase = 1
		}
		switch ev.Account.String() {
		case quoteVault:
			pairs[phase][0] = ev
		case baseVault:
			pairs[phase][1] = ev
		}
	}
	for _, p := range pairs {
		if p[0].Data == nil || p[1].Data == nil {
			b.Fatal("vault events not found")
		}
	}
	before := core.Stats
	b.ReportAllocs()
	slot := uint64(308454040)
	for i := 0; b.Loop(); i++ {
		slot++
		p := pairs[phases[i%len(phases)]]
		now := time.Now()
		for _, ev := range p {
			ev.Slot, ev.Received = slot, now
			core.OnAccount(ctx, ev, true)
		}
	}
	if core.Stats.Evaluations == before.Evaluations || (len(phases) > 1) != (core.Stats.Opportunities > before.Opportunities) {
		b.Fatalf("benchmark did not evaluate: %+v", core.Stats)
	}
}

// syntheticStream repeats the real pool's pre/post vault balances over n
// slots, in the recording format.
func syntheticStream(b *testing.B, n int) []byte {
	_, evs := loadCore(b)
	var vaults []marketdata.Event
	for _, ev := range evs {
		if ev.Kind == marketdata.KindAccount {
			vaults = append(vaults, ev)
		}
	}
	var buf bytes.Buffer
	w := replay.NewWriter(&buf)
	var keys []solana.PublicKey
	for _, ev := range vaults {
		keys = append(keys, ev.Account)
	}
	if err := w.Subscribe("confirmed", keys...); err != nil {
		b.Fatal(err)
	}
	for s := 0; s < n; s++ {
		slot := uint64(400_000_000 + s)
		if err := w.Write(marketdata.Event{Kind: marketdata.KindSlot, Slot: slot}); err != nil {
			b.Fatal(err)
		}
		for _, ev := range vaults[:24] { // every pool's pre-swap state, then:
			ev.Slot = slot
			if err := w.Write(ev); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReplayThroughput replays 2,000 slots × 25 updates through the
// engine per op and reports updates per second (one core).
func BenchmarkReplayThroughput(b *testing.B) {
	cfg := benchConfig(b)
	rec := syntheticStream(b, 2000)
	var events int
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		st, err := engine.Replay(context.Background(), cfg, bytes.NewReader(rec), nil)
		if err != nil {
			b.Fatal(err)
		}
		events += st.Events
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "updates/s")
}
