package txparse

import (
	"errors"
	"testing"

	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

// FuzzParse: arbitrary responses either parse or fail with ErrMalformed;
// never a panic. Seeds are the four real transactions.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"tx_raydium_clmm_swap_v2_2cd7QQ.json", "tx_pumpswap_sell_5bvyp1.json",
		"tx_pumpswap_buy_via_router_v0_alt_2zNeSn.json", "tx_meteora_damm_v2_swap_3QHC6G.json"} {
		raw, err := solanatest.Fixture(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		f.Add([]byte(compact(raw)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("untyped error %v", err)
		}
		if err == nil && p.Signer.IsZero() && p.Signature.IsZero() {
			t.Log("parsed an all-zero transaction")
		}
	})
}

// FuzzParseNotification: seeds are the 14 recorded transactionNotification
// messages.
func FuzzParseNotification(f *testing.F) {
	for _, name := range []string{"ws_transaction_notifications_raydium_v4_swaps_slot308454032.jsonl", "ws_transaction_notifications_raydium_v4_initialize2.jsonl"} {
		for _, m := range notifications(f, name) {
			f.Add(m)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseNotification(data); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
