package replay

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine/marketdata"
)

func TestWriterReaderRoundTrip(t *testing.T) {
	acct := solana.MustPublicKeyFromBase58("HAGiCPMxbxwmBAuNednL9JTSncUH7uwmjjzuvrVeR76E")
	in := []marketdata.Event{
		{Kind: marketdata.KindSlot, Slot: 10},
		{Kind: marketdata.KindAccount, Slot: 10, Account: acct, Owner: solana.TokenProgramID, Lamports: 5, Data: []byte{1, 2, 3}},
		{Kind: marketdata.KindSlot, Slot: 11},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Write(in[0]); err == nil {
		t.Fatal("wrote before Subscribe")
	}
	if err := w.Subscribe("confirmed", acct); err != nil {
		t.Fatal(err)
	}
	for _, ev := range in {
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(marketdata.Event{Kind: marketdata.KindAccount, Account: solana.SystemProgramID}); err == nil {
		t.Fatal("wrote an unsubscribed account")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf)
	for i, want := range in {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got.Kind != want.Kind || got.Slot != want.Slot || got.Account != want.Account || got.Owner != want.Owner ||
			got.Lamports != want.Lamports || !bytes.Equal(got.Data, want.Data) || got.Source != marketdata.SourceReplay {
			t.Fatalf("event %d: got %+v, want %+v", i, got, want)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
}

func TestReaderAbortsOnOverlongLine(t *testing.T) {
	r := NewReader(bytes.NewReader(append(bytes.Repeat([]byte("x"), MaxLine+10), '\n')))
	if _, err := r.Next(); !errors.Is(err, ErrRead) {
		t.Fatalf("err %v, want ErrRead", err)
	}
}
