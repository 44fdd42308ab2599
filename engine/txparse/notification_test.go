package txparse

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

func notifications(t testing.TB, name string) [][]byte {
	t.Helper()
	raw, err := solanatest.Fixture(name)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

// TestParseRecordedRaydiumSwapNotifications checks the parser on the ten
// recorded swaps (PROVENANCE.md section 5): every one reaches Raydium AMM
// v4, through the route each took, and conserves lamports.
func TestParseRecordedRaydiumSwapNotifications(t *testing.T) {
	msgs := notifications(t, "ws_transaction_notifications_raydium_v4_swaps_slot308454032.jsonl")
	if len(msgs) != 10 {
		t.Fatalf("%d messages", len(msgs))
	}
	// Top-level DEX program per message ("" when only reached by CPI from an
	// unlabelled program), from the provenance notes.
	top := []string{"raydium-amm-v4", "raydium-route", "raydium-amm-v4", "raydium-route", "raydium-route",
		"jupiter-v6", "raydium-amm-v4", "raydium-amm-v4", "jupiter-v6", "raydium-amm-v4"}
	for i, m := range msgs {
		p, err := ParseNotification(m)
		if err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		if p.Slot != 308454032 || p.Failed {
			t.Errorf("message %d: slot %d failed %v", i+1, p.Slot, p.Failed)
		}
		var names []string
		sawRaydium := false
		for _, s := range p.Swaps {
			if !s.Inner {
				names = append(names, s.Name)
			}
			sawRaydium = sawRaydium || s.Name == "raydium-amm-v4"
		}
		if !sawRaydium {
			t.Errorf("message %d: Raydium AMM v4 not found in %+v", i+1, p.Swaps)
		}
		found := false
		for _, n := range names {
			found = found || n == top[i]
		}
		if !found {
			t.Errorf("message %d: top-level DEX %v, want %s", i+1, names, top[i])
		}
	}
	// Message 1 in detail: the signer receives exactly the ray_log out_amount.
	p, err := ParseNotification(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if p.Signer.String() != "6sDY4GkAotY2wfMwxHyqkNQtsVevtU19YMzzRMeDTjho" || p.Fee != 7505001 {
		t.Fatalf("signer %s fee %d", p.Signer, p.Fee)
	}
	got := int64(0)
	for _, d := range p.Tokens {
		if d.Mint.String() == "6YEhGNEJitUMARvy38BH2Z6gjtQTEMtnHq7NJcjbpump" {
			got = d.Change
		}
	}
	if got != 30963644580 {
		t.Fatalf("signer token delta %d, want 30963644580 (tokens %+v)", got, p.Tokens)
	}
}

func TestParseNotificationRejectsBadInput(t *testing.T) {
	msgs := notifications(t, "ws_transaction_notifications_raydium_v4_initialize2.jsonl")
	if _, err := ParseNotification(msgs[0]); err != nil {
		t.Fatalf("real initialize2 notification: %v", err)
	}
	for name, in := range map[string]string{
		"empty":     "",
		"no meta":   `{"params":{"result":{"transaction":{"transaction":{"message":{"accountKeys":[{"pubkey":"11111111111111111111111111111111","signer":true}]}}}}}}`,
		"truncated": string(msgs[0][:len(msgs[0])/3]),
	} {
		if _, err := ParseNotification([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
