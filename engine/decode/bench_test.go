package decode

import "testing"

func BenchmarkDecodeTokenAccount(b *testing.B) {
	owner, data := account(b, "orca_whirlpool_HJPjo_vault_a_wsol.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeTokenAccount(owner, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRaydiumAMMv4(b *testing.B) {
	owner, data := account(b, "raydium_amm_v4_58oQ_sol_usdc.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRaydiumAMMv4(owner, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRaydiumCPMM(b *testing.B) {
	data := raw(b, "raydium_cpmm_Q2sPH_wsol.b64")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRaydiumCPMM(RaydiumCPMMProgram, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeWhirlpool(b *testing.B) {
	owner, data := account(b, "orca_whirlpool_HJPjo_sol_usdc.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeWhirlpool(owner, data); err != nil {
			b.Fatal(err)
		}
	}
}
