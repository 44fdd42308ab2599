package decode

import (
	"encoding/binary"
	"testing"

	"github.com/gagliardetto/solana-go"
)

// FuzzDecoders feeds every decoder arbitrary bytes under every owner. Seeds
// are the real mainnet accounts. Decoders must never panic, and whatever
// they accept must be internally consistent.
func FuzzDecoders(f *testing.F) {
	for _, name := range []string{"raydium_amm_v4_58oQ_sol_usdc.json", "raydium_amm_v4_5y2Q_legacy_orderbook.json",
		"orca_whirlpool_HJPjo_sol_usdc.json", "orca_whirlpool_HJPjo_vault_a_wsol.json", "orca_whirlpool_HJPjo_vault_b_usdc.json", "spl_mint_wsol.json"} {
		_, data := account(f, name)
		for o := uint8(0); o < 6; o++ {
			f.Add(o, data)
		}
	}
	for _, name := range []string{"raydium_cpmm_Q2sPH_wsol.b64", "raydium_cpmm_BtGUff_wsol_creator_fee.b64", "orca_whirlpool_HyA4ct_pump_usdc.b64",
		"meteora_dlmm_EtAdVR_reserve_x_token.b64", "meteora_dlmm_EtAdVR_reserve_y_wsol.b64", "spl_mint_Df6yfr_pump_token.b64", "meteora_dlmm_EtAdVR_lb_pair.b64"} {
		data := raw(f, name)
		for o := uint8(0); o < 6; o++ {
			f.Add(o, data)
		}
	}
	owners := []solana.PublicKey{TokenProgram, Token2022Program, RaydiumAMMv4Program, RaydiumCPMMProgram, OrcaWhirlpoolProgram, {}}
	f.Fuzz(func(t *testing.T, o uint8, data []byte) {
		owner := owners[int(o)%len(owners)]
		if a, err := DecodeTokenAccount(owner, data); err == nil {
			if a.Amount != binary.LittleEndian.Uint64(data[64:]) || (a.State != 1 && a.State != 2) {
				t.Fatalf("accepted inconsistent token account %+v", a)
			}
		}
		if m, err := DecodeMint(owner, data); err == nil && !m.IsInitialized {
			t.Fatal("accepted uninitialized mint")
		}
		if p, err := DecodeRaydiumAMMv4(owner, data); err == nil && (p.SwapFeeDen == 0 || p.SwapFeeNum >= p.SwapFeeDen || len(data) != RaydiumAMMv4Len) {
			t.Fatalf("accepted bad amm %+v", p)
		}
		if _, err := DecodeRaydiumCPMM(owner, data); err == nil && (len(data) != RaydiumCPMMLen || owner != RaydiumCPMMProgram) {
			t.Fatal("accepted bad cpmm")
		}
		if w, err := DecodeWhirlpool(owner, data); err == nil && (w.TickSpacing == 0 || owner != OrcaWhirlpoolProgram) {
			t.Fatal("accepted bad whirlpool")
		}
	})
}
