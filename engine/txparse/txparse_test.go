package txparse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

// Expected values are the "Signer deltas" of PROVENANCE.md section 4,
// which were computed independently and cross-checked (swapped mints net
// to zero across accounts, lamports conserved).
func TestParseRealSwaps(t *testing.T) {
	cases := []struct {
		file     string
		sig      string
		slot     uint64
		fee      uint64
		signer   string
		swaps    string // name[/inner] in order
		tokens   string // mint:change
		lamports int64
	}{
		{"tx_raydium_clmm_swap_v2_2cd7QQ.json", "2cd7QQSByKy6Y6eddUmQzVwZp5hfrbyhz4osnsf9gmi2EhoScvBoCs5hgJ8WpADH7zhxtQqUcCwBok49KWJ4iJPw",
			376411673, 6500, "98QXkwe6DThTsTq7tukKF4g9Wc6WnRbZyTBZ1iBupY39", "raydium-clmm@4",
			"7eR1yv7pUzhaqQneKJ2fmVTRuzY61ja5KwfbBrLsq1Gu:807769528641", -300006500},
		{"tx_pumpswap_sell_5bvyp1.json", "5bvyp1nob51M6FCjCeZd68AjXFWJJEvdqkHu9ZCeRt6sMz5wpUiTi3LPBEuonUHuVg8LwzSnx5MX2RFGSv6Mb36v",
			376243586, 5000, "95rVs91daKmzom4SM41dg4MRmy5M7rMEHPerenZwWaCq", "pumpswap@1",
			"EWV6bjhKF5zkXANCdWPvDs7dofRVk4pKyVTitqgEWj8E:-468934276696458", 201687493},
		{"tx_pumpswap_buy_via_router_v0_alt_2zNeSn.json", "2zNeSn8cJpTAW51NR8ZUHEXc5wVwerumVEk4iJFyAYdTHMjy49wumkZvWLkaeB8CD5YmjuJ3AjcbrBYBzAVKdEdD",
			376396640, 37351, "G2341KGbNxuSAfCfqNuPhfLQtPB94hPfgyVPC89Faor4", "",
			"8k1DvnFBsbuWJw2t4JqTibR7cAgqadMveqiykMr1pump:4374143343", -5959630},
		{"tx_meteora_damm_v2_swap_3QHC6G.json", "3QHC6GMfi2GsZaJ9pFCgRt6E3eevgvgDuULiJEPUzin86S4TUPqZoozNtptkM2iyKqiYWxd1fwFAFkTiU4QCoqfj",
			375774267, 5000, "8QXHLs61dPPz9V4SLKPw7WN1vsuRpgGqxVo3Wtc55jWy", "meteora-damm-v2@3",
			"4KCqTCbhV4qkCTGcc7adxSym5j7irot7ZW7EEVUJ2s7C:10049442880", -3858747},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := solanatest.Fixture(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if p.Signature.String() != tc.sig || p.Slot != tc.slot || p.Fee != tc.fee || p.Signer.String() != tc.signer || p.Failed {
				t.Fatalf("identity %s %d %d %s failed=%v", p.Signature, p.Slot, p.Fee, p.Signer, p.Failed)
			}
			var toks []string
			for _, d := range p.Tokens {
				toks = append(toks, fmt.Sprintf("%s:%d", d.Mint, d.Change))
			}
			if got := strings.Join(toks, ","); got != tc.tokens {
				t.Errorf("tokens %s, want %s", got, tc.tokens)
			}
			if p.Lamports != tc.lamports {
				t.Errorf("lamports %d, want %d", p.Lamports, tc.lamports)
			}
			var sw []string
			for _, s := range p.Swaps {
				if !s.Inner {
					sw = append(sw, fmt.Sprintf("%s@%d", s.Name, s.Outer))
				}
			}
			if tc.swaps != "" && strings.Join(sw, ",") != tc.swaps {
				t.Errorf("top-level swaps %v, want %s", sw, tc.swaps)
			}
			if len(p.Swaps) == 0 {
				t.Error("no swap found")
			}
		})
	}
}

func TestParseFindsRoutedSwapThroughCPI(t *testing.T) {
	raw, err := solanatest.Fixture("tx_pumpswap_buy_via_router_v0_alt_2zNeSn.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Swaps {
		if !s.Inner {
			t.Errorf("unexpected top-level DEX %s (the router is unlabelled)", s.Name)
		}
	}
	if len(p.Swaps) == 0 || p.Swaps[0].Name != "pumpswap" {
		t.Fatalf("swaps %+v, want PumpSwap reached through the router", p.Swaps)
	}
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		panic(err)
	}
	return buf.String()
}

func TestParseRejectsBadInput(t *testing.T) {
	good, _ := solanatest.Fixture("tx_meteora_damm_v2_swap_3QHC6G.json")
	for name, in := range map[string]string{
		"empty":        "",
		"not json":     "{",
		"null result":  `{"jsonrpc":"2.0","result":null,"id":1}`,
		"rpc error":    `{"jsonrpc":"2.0","error":{"code":-32000,"message":"x"},"id":1}`,
		"no meta":      `{"jsonrpc":"2.0","result":{"slot":1,"transaction":{"signatures":[],"message":{}}},"id":1}`,
		"truncated":    string(good[:len(good)/2]),
		"bad balances": strings.Replace(compact(good), `"preBalances":[`, `"preBalances":[1,`, 1),
		"bad amount":   strings.Replace(compact(good), `"amount":"`, `"amount":"x`, 1),
	} {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}
