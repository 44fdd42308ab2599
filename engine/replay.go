package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hft-ninja/hft-ninja/engine/clock"
	"github.com/hft-ninja/hft-ninja/engine/execution"
	"github.com/hft-ninja/hft-ninja/engine/marketdata"
	"github.com/hft-ninja/hft-ninja/engine/metrics"
	"github.com/hft-ninja/hft-ninja/engine/replay"
)

// ReplayStats summarises a replay.
type ReplayStats struct {
	Stats
	Events         int `json:"events"`
	Slots          int `json:"slots"`
	SlotsDiscarded int `json:"slots_discarded"`
	CorruptLines   int `json:"corrupt_lines"`
}

// slotDuration is the nominal Solana slot time; replay advances its clock
// by it per new slot so that staleness behaves as it did live.
const slotDuration = 400 * time.Millisecond

// Replay pushes a recording through the decision core, deterministically:
// an injected clock that advances per slot, execution inline, and (with a
// wallet) signing against a fixed blockhash instead of the network.
// Corrupt lines are counted, logged and skipped.
func Replay(ctx context.Context, cfg Config, r io.Reader, onDecision func(Decision)) (ReplayStats, error) {
	if err := cfg.Validate(); err != nil {
		return ReplayStats{}, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clk := clock.NewFake(time.Date(2024, 12, 16, 0, 0, 0, 0, time.UTC))
	deps := CoreDeps{Logger: log, Clock: clk, Metrics: metrics.New(), Sync: true, OnDecision: onDecision}
	if cfg.Wallet != nil {
		b, err := execution.NewBuilder(cfg.Wallet)
		if err != nil {
			return ReplayStats{}, err
		}
		deps.Executor = &execution.SignOnly{B: b, Now: clk.Now}
	}
	core, err := NewCore(cfg, deps)
	if err != nil {
		return ReplayStats{}, err
	}
	return replayInto(ctx, core, clk, marketdata.NewSlotTracker(cfg.StaleAfter), replay.NewReader(r), log)
}

func replayInto(ctx context.Context, core *Core, clk *clock.Fake, tr *marketdata.SlotTracker, rd *replay.Reader, log *slog.Logger) (ReplayStats, error) {
	var st ReplayStats
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *replay.LineError
		if err != nil && errors.As(err, &le) {
			st.CorruptLines++
			log.Warn("skipping corrupt replay line", "line", le.Line, "err", le.Err)
			if errors.Is(err, replay.ErrRead) {
				return st, fmt.Errorf("replay aborted: %w", err)
			}
			continue
		}
		if err != nil {
			return st, err
		}
		st.Events++
		ev.Received = clk.Now()
		switch ev.Kind {
		case marketdata.KindSlot:
			st.Slots++
			last, _ := tr.Last()
			if ev.Slot > last && last > 0 {
				clk.Advance(slotGap(ev.Slot - last))
				ev.Received = clk.Now()
			}
			if !tr.Observe(ev.Slot, ev.Received) {
				st.SlotsDiscarded++
				continue
			}
			core.OnSlot(ctx, ev.Slot, true)
		case marketdata.KindAccount:
			// Account data from slots the slot stream has not reached means
			// the slot stream lags: let the clock run so staleness shows.
			if last, lastAt := tr.Last(); last > 0 && ev.Slot > last {
				if t := lastAt.Add(slotGap(ev.Slot - last)); t.After(clk.Now()) {
					clk.Set(t)
				}
			}
			core.OnAccount(ctx, ev, tr.Ready(clk.Now()))
		}
	}
	st.Stats = core.Stats
	return st, nil
}

// slotGap converts a slot distance to time, capped so that a corrupt or
// hostile slot number cannot overflow time.Duration (a day of slots is
// stale under any setting).
func slotGap(n uint64) time.Duration {
	const maxSlots = uint64(24 * time.Hour / slotDuration)
	return time.Duration(min(n, maxSlots)) * slotDuration
}
