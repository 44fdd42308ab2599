package replay

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine/marketdata"
)

// Writer records events in the replay format. Subscription ids are
// assigned locally (solana-go does not expose the node's ids); the file is
// self-consistent, which is all a replay needs.
type Writer struct {
	w       *bufio.Writer
	nextID  uint64
	nextSub uint64
	slotSub uint64
	subs    map[solana.PublicKey]uint64
}

// NewWriter writes to w; call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriter(w), subs: map[solana.PublicKey]uint64{}, nextSub: 1000}
}

// Subscribe writes the subscribe requests and confirmations for the slot
// stream and accounts, with the given commitment.
func (w *Writer) Subscribe(commitment string, accounts ...solana.PublicKey) error {
	if w.slotSub == 0 {
		sub, err := w.subscribe("slotSubscribe", nil)
		if err != nil {
			return err
		}
		w.slotSub = sub
	}
	for _, a := range accounts {
		if _, ok := w.subs[a]; ok {
			continue
		}
		sub, err := w.subscribe("accountSubscribe", []any{a.String(), map[string]any{"encoding": "base64", "commitment": commitment}})
		if err != nil {
			return err
		}
		w.subs[a] = sub
	}
	return nil
}

func (w *Writer) subscribe(method string, params []any) (uint64, error) {
	w.nextID++
	w.nextSub++
	req := map[string]any{"jsonrpc": "2.0", "id": w.nextID, "method": method}
	if params != nil {
		req["params"] = params
	}
	if err := w.line(req); err != nil {
		return 0, err
	}
	return w.nextSub, w.line(map[string]any{"jsonrpc": "2.0", "result": w.nextSub, "id": w.nextID})
}

// Write records one event as its websocket notification.
func (w *Writer) Write(ev marketdata.Event) error {
	switch ev.Kind {
	case marketdata.KindSlot:
		if w.slotSub == 0 {
			return fmt.Errorf("recording slot %d before Subscribe", ev.Slot)
		}
		return w.line(map[string]any{"jsonrpc": "2.0", "method": "slotNotification", "params": map[string]any{
			"subscription": w.slotSub, "result": map[string]any{"parent": ev.Slot - 1, "root": ev.Slot, "slot": ev.Slot}}})
	case marketdata.KindAccount:
		sub, ok := w.subs[ev.Account]
		if !ok {
			return fmt.Errorf("recording account %s that was not subscribed", ev.Account)
		}
		return w.line(map[string]any{"jsonrpc": "2.0", "method": "accountNotification", "params": map[string]any{
			"subscription": sub, "result": map[string]any{
				"context": map[string]any{"slot": ev.Slot},
				"value": map[string]any{"lamports": ev.Lamports, "owner": ev.Owner.String(), "executable": false,
					"rentEpoch": uint64(18446744073709551615), "space": len(ev.Data),
					"data": []string{base64.StdEncoding.EncodeToString(ev.Data), "base64"}},
			}}})
	}
	return fmt.Errorf("unknown event kind %d", ev.Kind)
}

// Flush writes buffered lines.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("flushing recording: %w", err)
	}
	return nil
}

func (w *Writer) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding recording line: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("writing recording: %w", err)
	}
	return nil
}
