package engine_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/hft-ninja/hft-ninja/engine"
	"github.com/hft-ninja/hft-ninja/engine/config"
)

// FuzzReplayEngine pushes arbitrary recordings through the whole decision
// path (reader, decoders, pools, strategy, risk) with the shipped config:
// never a panic, and every decision printed is internally consistent.
func FuzzReplayEngine(f *testing.F) {
	rec, err := os.ReadFile(shippedReplay)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rec)
	lines := bytes.SplitAfter(rec, []byte("\n"))
	f.Add(bytes.Join(lines[:len(lines)-3], nil))
	raw, err := os.ReadFile(shippedConfigFile)
	if err != nil {
		f.Fatal(err)
	}
	s, err := config.Parse(raw)
	if err != nil {
		f.Fatal(err)
	}
	cfg := s.Engine
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := engine.Replay(context.Background(), cfg, bytes.NewReader(data), func(d engine.Decision) {
			if d.Net != d.Gross-int64(d.Cost) || d.AmountIn == 0 || d.AmountIn > cfg.Risk.MaxNotional || d.Net <= int64(cfg.Strategy.MinProfit) {
				t.Fatalf("inconsistent decision %+v", d)
			}
		})
		_ = err // read errors are allowed; panics and bad decisions are not
	})
}
