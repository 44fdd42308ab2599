package strategy

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/hft-ninja/hft-ninja/engine/amm"
)

var raydiumFee = amm.Fee{Num: 25, Den: 10_000}

// Real reserves of Raydium AMM v4 pool #2 of the slot-308454032 recording
// (wSOL vault HAGiCPMx…, token vault DQZwzT4y…), before and after a real
// 460,535,925,998-unit token→SOL swap.
var (
	realPre  = Pool{BaseReserve: 28963621262318, QuoteReserve: 999796808193, Fee: raydiumFee}
	realPost = Pool{BaseReserve: 29424157188316, QuoteReserve: 984186872031, Fee: raydiumFee}
)

func TestNoProfitWhenPoolsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	p := Params{BaseFeeLamports: 5000, ComputeUnitLimit: 200_000}
	for i := 0; i < 3000; i++ {
		base := rng.Uint64N(1<<40) + 1
		quote := rng.Uint64N(1<<40) + 1
		k := rng.Uint64N(1000) + 1
		a := Pool{base, quote, amm.FeeBps(rng.Uint64N(100))}
		b := Pool{base * k, quote * k, amm.FeeBps(rng.Uint64N(100))}
		if _, err := Evaluate(a, b, p, 0); !errors.Is(err, ErrNoOpportunity) {
			t.Fatalf("opportunity between agreeing pools %+v %+v: %v", a, b, err)
		}
		// Stronger: no input size at all shows a positive gross profit.
		for j := 0; j < 20; j++ {
			x := rng.Uint64N(quote) + 1
			if g := gross(x, a, b); g > 0 {
				t.Fatalf("gross %d > 0 at x=%d for agreeing pools %+v %+v", g, x, a, b)
			}
			if g := gross(x, b, a); g > 0 {
				t.Fatalf("gross %d > 0 at x=%d (reverse)", g, x)
			}
		}
	}
}

func TestEvaluateFindsNearOptimalSizeAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := Params{BaseFeeLamports: 1, ComputeUnitLimit: 1}
	found := 0
	for i := 0; i < 300; i++ {
		a := Pool{rng.Uint64N(20000) + 100, rng.Uint64N(20000) + 100, amm.FeeBps(rng.Uint64N(50))}
		b := Pool{rng.Uint64N(20000) + 100, rng.Uint64N(20000) + 100, amm.FeeBps(rng.Uint64N(50))}
		opp, err := Evaluate(a, b, p, 0)
		// Brute force over every input in both directions.
		var best int64
		for x := uint64(1); x <= max(a.QuoteReserve, b.QuoteReserve); x++ {
			if x <= a.QuoteReserve {
				best = max(best, gross(x, a, b))
			}
			if x <= b.QuoteReserve {
				best = max(best, gross(x, b, a))
			}
		}
		if best-int64(p.CostLamports()) <= 0 {
			if err == nil {
				t.Fatalf("opportunity %+v where brute force finds none", opp)
			}
			continue
		}
		if err != nil {
			// The ternary search may miss a profit only within rounding noise.
			if best-int64(p.CostLamports()) > 3 {
				t.Fatalf("missed profit %d for %+v %+v", best, a, b)
			}
			continue
		}
		found++
		if opp.Gross < best-3 {
			t.Fatalf("search found %d, brute force %d for %+v %+v", opp.Gross, best, a, b)
		}
	}
	if found < 50 {
		t.Fatalf("only %d random pool pairs had opportunities; test is too weak", found)
	}
}

func TestEvaluateOnRealPreAndPostSwapReserves(t *testing.T) {
	p := DefaultParams() // 5000 base + 300 priority lamports, 10k minimum
	opp, err := Evaluate(realPost, realPre, p, 0)
	if err != nil {
		t.Fatalf("no opportunity after a 1.6%% price move: %v", err)
	}
	if opp.Direction != BuyAThenSellB {
		t.Fatalf("direction %v: the token is cheaper after the sell, buy it there", opp.Direction)
	}
	// Recompute independently with the swap formula.
	base, err := amm.SwapExactIn(opp.AmountIn, realPost.QuoteReserve, realPost.BaseReserve, raydiumFee)
	if err != nil {
		t.Fatal(err)
	}
	out, err := amm.SwapExactIn(base, realPre.BaseReserve, realPre.QuoteReserve, raydiumFee)
	if err != nil {
		t.Fatal(err)
	}
	if base != opp.BaseOut || out != opp.AmountOut || opp.Gross != int64(out)-int64(opp.AmountIn) ||
		opp.Cost != 5300 || opp.Net != opp.Gross-5300 {
		t.Fatalf("opportunity %+v inconsistent with recomputation base=%d out=%d", opp, base, out)
	}
	// Optimality: one lamport more or less (and 0.1% steps) is no better.
	for _, d := range []uint64{1, 1000, opp.AmountIn / 1000} {
		if g := gross(opp.AmountIn+d, realPost, realPre); g > opp.Gross {
			t.Errorf("x+%d earns %d > %d", d, g, opp.Gross)
		}
		if g := gross(opp.AmountIn-d, realPost, realPre); g > opp.Gross {
			t.Errorf("x-%d earns %d > %d", d, g, opp.Gross)
		}
	}
	// A notional cap binds the size and lowers the profit.
	capped, err := Evaluate(realPost, realPre, p, opp.AmountIn/2)
	if err != nil || capped.AmountIn > opp.AmountIn/2 || capped.Net >= opp.Net {
		t.Fatalf("capped %+v (%v)", capped, err)
	}
	// The reverse pairing finds the same trade mirrored.
	rev, err := Evaluate(realPre, realPost, p, 0)
	if err != nil || rev.Direction != BuyBThenSellA || rev.Net != opp.Net {
		t.Fatalf("reverse %+v (%v)", rev, err)
	}
	// A threshold above the profit suppresses it.
	p.MinProfit = uint64(opp.Net)
	if _, err := Evaluate(realPost, realPre, p, 0); !errors.Is(err, ErrNoOpportunity) {
		t.Fatalf("threshold not applied: %v", err)
	}
	t.Logf("real pre/post arbitrage: in %d lamports, base %d, out %d, net %d", opp.AmountIn, opp.BaseOut, opp.AmountOut, opp.Net)
}

func TestEvaluateRejectsBadPools(t *testing.T) {
	good := realPre
	for name, bad := range map[string]Pool{
		"zero base":  {0, 5, raydiumFee},
		"zero quote": {5, 0, raydiumFee},
		"huge":       {1 << 63, 5, raydiumFee},
		"fee 100%":   {5, 5, amm.Fee{Num: 1, Den: 1}},
	} {
		if _, err := Evaluate(bad, good, DefaultParams(), 0); err == nil || errors.Is(err, ErrNoOpportunity) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func TestCostLamports(t *testing.T) {
	p := Params{BaseFeeLamports: 5000, ComputeUnitLimit: 300_000, ComputeUnitPrice: 1_000, JitoTipLamports: 10_000}
	if got := p.CostLamports(); got != 5000+300+10_000 {
		t.Fatalf("cost %d", got)
	}
	p.ComputeUnitPrice = 1 // 0.3 lamports rounds up to 1
	if got := p.CostLamports(); got != 15_001 {
		t.Fatalf("rounded cost %d", got)
	}
}

func TestParamsValidateBoundsCosts(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Params){
		"zero CU":          func(p *Params) { p.ComputeUnitLimit = 0 },
		"absurd CU price":  func(p *Params) { p.ComputeUnitPrice = 1 << 60 },
		"absurd tip":       func(p *Params) { p.JitoTipLamports = 1 << 60 },
		"tip, no account":  func(p *Params) { p.JitoTipLamports = 1000 },
		"zero base fee":    func(p *Params) { p.BaseFeeLamports = 0 },
		"absurd threshold": func(p *Params) { p.MinProfit = 1 << 63 },
	} {
		q := DefaultParams()
		mut(&q)
		if err := q.Validate(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
