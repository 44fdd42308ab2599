// Package replay reads and writes the engine's recording format: JSONL, one
// Solana websocket JSON-RPC message per line, exactly as exchanged with the
// node — the subscribe requests, their confirmations (which map
// subscription ids to accounts) and the slotNotification /
// accountNotification messages. Replaying a file pushes the notifications
// through the same decision core as a live run.
package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine/marketdata"
)

// MaxLine bounds one message (a 10 MB account is Solana's maximum; pool
// accounts are a few KB).
const MaxLine = 16 << 20

// ErrRead means the recording cannot be read any further (an I/O error or
// a line longer than MaxLine); unlike a corrupt line, it ends the replay.
var ErrRead = errors.New("reading recording")

// LineError is a corrupt or unusable line; the reader can continue after it.
type LineError struct {
	Line int
	Err  error
}

// Error names the line and the cause.
func (e *LineError) Error() string { return fmt.Sprintf("replay line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// Reader turns a recording into market-data events.
type Reader struct {
	sc      *bufio.Scanner
	line    int
	pending map[uint64]target // request id -> what it subscribes to
	subs    map[uint64]target // subscription id -> target
	owners  map[string]solana.PublicKey
	buf     []byte
	// slowOnly disables the fast path (differential tests).
	slowOnly bool
}

type target struct {
	slot    bool
	account solana.PublicKey
}

// NewReader reads a recording from r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	return &Reader{sc: sc, pending: map[uint64]target{}, subs: map[uint64]target{}, owners: map[string]solana.PublicKey{}}
}

// wire is the union of the message shapes in a recording.
type wire struct {
	ID     *uint64         `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

type accountNotification struct {
	Params struct {
		Subscription uint64 `json:"subscription"`
		Result       struct {
			Context struct {
				Slot uint64 `json:"slot"`
			} `json:"context"`
			Value *struct {
				Lamports uint64    `json:"lamports"`
				Owner    string    `json:"owner"`
				Data     [2]string `json:"data"`
			} `json:"value"`
		} `json:"result"`
	} `json:"params"`
}

type slotNotification struct {
	Params struct {
		Subscription uint64 `json:"subscription"`
		Result       struct {
			Slot uint64 `json:"slot"`
		} `json:"result"`
	} `json:"params"`
}

var accountMarker = []byte(`"accountNotification"`)

// Next returns the next event. It returns io.EOF at the end, and a
// *LineError for a line it cannot use; the caller may count it and call
// Next again. Event.Data is only valid until the next call.
func (r *Reader) Next() (marketdata.Event, error) {
	for r.sc.Scan() {
		r.line++
		line := bytes.TrimSpace(r.sc.Bytes())
		if len(line) == 0 {
			continue
		}
		ev, ok, err := r.parse(line)
		if err != nil {
			return marketdata.Event{}, &LineError{Line: r.line, Err: err}
		}
		if ok {
			return ev, nil
		}
	}
	if err := r.sc.Err(); err != nil {
		return marketdata.Event{}, &LineError{Line: r.line + 1, Err: fmt.Errorf("%w: %w", ErrRead, err)}
	}
	return marketdata.Event{}, io.EOF
}

// Line is the number of the line last read.
func (r *Reader) Line() int { return r.line }

func (r *Reader) fastEvent(f fastFields) (marketdata.Event, bool, error) {
	t, ok := r.subs[f.sub]
	if !ok || t.slot {
		return marketdata.Event{}, false, fmt.Errorf("account notification for unknown subscription %d", f.sub)
	}
	owner, err := r.owner(f.owner)
	if err != nil {
		return marketdata.Event{}, false, fmt.Errorf("owner %q: %w", f.owner, err)
	}
	data, err := r.decodeData(f.data)
	if err != nil {
		return marketdata.Event{}, false, fmt.Errorf("account data: %w", err)
	}
	return marketdata.Event{Kind: marketdata.KindAccount, Source: marketdata.SourceReplay, Slot: f.slot,
		Account: t.account, Owner: owner, Lamports: f.lamports, Data: data}, true, nil
}

func (r *Reader) parse(line []byte) (marketdata.Event, bool, error) {
	// Fast path: account notifications are nearly all of a recording.
	if bytes.Contains(line, accountMarker) {
		if !r.slowOnly {
			if f, ok := scanAccount(line); ok {
				return r.fastEvent(f)
			}
		}
		var n accountNotification
		if err := json.Unmarshal(line, &n); err != nil {
			return marketdata.Event{}, false, fmt.Errorf("account notification: %w", err)
		}
		t, ok := r.subs[n.Params.Subscription]
		if !ok || t.slot {
			return marketdata.Event{}, false, fmt.Errorf("account notification for unknown subscription %d", n.Params.Subscription)
		}
		v := n.Params.Result.Value
		if v == nil {
			return marketdata.Event{}, false, nil // account closed: nothing to apply
		}
		if v.Data[1] != "base64" {
			return marketdata.Event{}, false, fmt.Errorf("account data encoding %q, want base64", v.Data[1])
		}
		owner, err := r.owner([]byte(v.Owner))
		if err != nil {
			return marketdata.Event{}, false, fmt.Errorf("owner %q: %w", v.Owner, err)
		}
		data, err := r.decodeData([]byte(v.Data[0]))
		if err != nil {
			return marketdata.Event{}, false, fmt.Errorf("account data: %w", err)
		}
		return marketdata.Event{Kind: marketdata.KindAccount, Source: marketdata.SourceReplay, Slot: n.Params.Result.Context.Slot,
			Account: t.account, Owner: owner, Lamports: v.Lamports, Data: data}, true, nil
	}
	var w wire
	if err := json.Unmarshal(line, &w); err != nil {
		return marketdata.Event{}, false, fmt.Errorf("not a JSON-RPC message: %w", err)
	}
	switch {
	case w.Method == "slotNotification":
		var n slotNotification
		if err := json.Unmarshal(line, &n); err != nil {
			return marketdata.Event{}, false, fmt.Errorf("slot notification: %w", err)
		}
		if t, ok := r.subs[n.Params.Subscription]; !ok || !t.slot {
			return marketdata.Event{}, false, fmt.Errorf("slot notification for unknown subscription %d", n.Params.Subscription)
		}
		return marketdata.Event{Kind: marketdata.KindSlot, Source: marketdata.SourceReplay, Slot: n.Params.Result.Slot}, true, nil
	case w.Method == "slotSubscribe" && w.ID != nil:
		r.pending[*w.ID] = target{slot: true}
	case w.Method == "accountSubscribe" && w.ID != nil:
		var params []json.RawMessage
		var key string
		if err := json.Unmarshal(w.Params, &params); err != nil || len(params) == 0 || json.Unmarshal(params[0], &key) != nil {
			return marketdata.Event{}, false, errors.New("accountSubscribe without an account")
		}
		pk, err := solana.PublicKeyFromBase58(key)
		if err != nil {
			return marketdata.Event{}, false, fmt.Errorf("accountSubscribe account %q: %w", key, err)
		}
		r.pending[*w.ID] = target{account: pk}
	case w.Method == "" && w.ID != nil && len(w.Error) > 0:
		delete(r.pending, *w.ID) // a refused subscription
	case w.Method == "" && w.ID != nil:
		t, ok := r.pending[*w.ID]
		if !ok {
			return marketdata.Event{}, false, nil // an answer to something else (unsubscribe)
		}
		var sub uint64
		if err := json.Unmarshal(w.Result, &sub); err != nil {
			return marketdata.Event{}, false, fmt.Errorf("subscription confirmation: %w", err)
		}
		delete(r.pending, *w.ID)
		r.subs[sub] = t
	default:
		return marketdata.Event{}, false, fmt.Errorf("unexpected message (method %q)", w.Method)
	}
	return marketdata.Event{}, false, nil
}
