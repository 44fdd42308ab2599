package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/hft-ninja/hft-ninja/engine/marketdata"
)

// FuzzReader: arbitrary recordings never panic the reader, it always
// terminates, and every event it yields is well-formed. Seeds are slices
// of the shipped real-data recording.
func FuzzReader(f *testing.F) {
	shipped, err := os.ReadFile("../testdata/replay/raydium_v4_slot308454032.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shipped)
	lines := bytes.SplitAfter(shipped, []byte("\n"))
	f.Add(bytes.Join(lines[:8], nil))
	f.Add(bytes.Join(lines[:len(lines)/2], nil))
	f.Add(append(bytes.Join(lines[:40], nil), lines[40][:len(lines[40])/2]...))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}` + "\n" + `{"jsonrpc":"2.0","result":7,"id":1}` + "\n" +
		`{"jsonrpc":"2.0","method":"slotNotification","params":{"subscription":7,"result":{"slot":5}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatal("reader does not terminate")
			}
			ev, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if errors.Is(err, ErrRead) {
				return
			}
			var le *LineError
			if errors.As(err, &le) {
				continue
			}
			if err != nil {
				t.Fatalf("untyped error %v", err)
			}
			switch ev.Kind {
			case marketdata.KindSlot:
			case marketdata.KindAccount:
				if ev.Account.IsZero() && ev.Owner.IsZero() && len(ev.Data) == 0 && ev.Slot == 0 {
					continue
				}
			default:
				t.Fatalf("event of kind %d", ev.Kind)
			}
		}
	})
}

// FuzzFastPathMatchesJSON is the differential check: on any line the
// strict scanner accepts, encoding/json must read the same fields.
func FuzzFastPathMatchesJSON(f *testing.F) {
	shipped, err := os.ReadFile("../testdata/replay/raydium_v4_slot308454032.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(shipped, []byte("\n")) {
		if bytes.Contains(l, accountMarker) {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ok := scanAccount(line)
		if !ok {
			return
		}
		var n accountNotification
		if err := json.Unmarshal(line, &n); err != nil {
			t.Fatalf("fast path accepted invalid JSON %q: %v", line, err)
		}
		v := n.Params.Result.Value
		if v == nil || n.Params.Subscription != fast.sub || n.Params.Result.Context.Slot != fast.slot ||
			v.Lamports != fast.lamports || v.Owner != string(fast.owner) || v.Data[0] != string(fast.data) || v.Data[1] != "base64" {
			t.Fatalf("fast %+v differs from encoding/json %+v", fast, n)
		}
	})
}
