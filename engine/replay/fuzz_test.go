package replay

import (
	"bytes"
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
