package amm

import (
	"math/big"
	"testing"
)

// FuzzSwapExactIn checks the u128 implementation against math/big on
// arbitrary inputs; seeds are the real Raydium swaps.
func FuzzSwapExactIn(f *testing.F) {
	f.Add(uint64(100000000), uint64(236723918515), uint64(73513021556350), uint64(25), uint64(10000))
	f.Add(uint64(460535925998), uint64(28963621262318), uint64(999796808193), uint64(25), uint64(10000))
	f.Add(^uint64(0), ^uint64(0), ^uint64(0), uint64(0), uint64(1))
	f.Fuzz(func(t *testing.T, in, rin, rout, num, den uint64) {
		fee := Fee{num, den}
		got, err := SwapExactIn(in, rin, rout, fee)
		if err != nil {
			return
		}
		if want := bigSwap(in, rin, rout, fee); want.Cmp(new(big.Int).SetUint64(got)) != 0 {
			t.Fatalf("SwapExactIn(%d,%d,%d,%v) = %d, oracle %s", in, rin, rout, fee, got, want)
		}
	})
}
