// Package strategy finds cross-pool arbitrage between constant-product
// pools of the same pair. It is pure: pool snapshots in, an opportunity (or
// none) out; no I/O, no clock, no allocation on the evaluate path.
package strategy

import (
	"errors"
	"fmt"

	"github.com/hft-ninja/hft-ninja/engine/amm"
)

// Pool is a snapshot of one constant-product pool. Quote is the token
// profits and costs are counted in (wSOL, in lamports); Base is the other
// token of the pair.
type Pool struct {
	BaseReserve  uint64
	QuoteReserve uint64
	Fee          amm.Fee
}

// Direction names the round trip.
type Direction uint8

const (
	// BuyAThenSellB spends quote in pool A for base, sells the base in pool B.
	BuyAThenSellB Direction = iota + 1
	// BuyBThenSellA is the reverse round trip.
	BuyBThenSellA
)

// String names the direction for logs.
func (d Direction) String() string {
	switch d {
	case BuyAThenSellB:
		return "buy A, sell B"
	case BuyBThenSellA:
		return "buy B, sell A"
	}
	return "none"
}

// Opportunity is a priced round trip. All amounts are exact integers.
type Opportunity struct {
	Direction Direction
	// AmountIn is the quote spent in the first leg.
	AmountIn uint64
	// BaseOut is the base received in the first leg and sold in the second.
	BaseOut uint64
	// AmountOut is the quote received in the second leg.
	AmountOut uint64
	// Gross is AmountOut − AmountIn; Cost the transaction cost; Net = Gross − Cost.
	Gross int64
	Cost  uint64
	Net   int64
}

// ErrNoOpportunity means no round trip beats the costs and threshold.
var ErrNoOpportunity = errors.New("no opportunity")

// roundTrip prices spending x quote through buy then sell.
func roundTrip(x uint64, buy, sell Pool) (base, out uint64, err error) {
	base, err = amm.SwapExactIn(x, buy.QuoteReserve, buy.BaseReserve, buy.Fee)
	if err != nil {
		return 0, 0, err
	}
	out, err = amm.SwapExactIn(base, sell.BaseReserve, sell.QuoteReserve, sell.Fee)
	return base, out, err
}

// gross is the profit of spending x, or a very negative value on error so
// that the search moves away from sizes the pools cannot take.
func gross(x uint64, buy, sell Pool) int64 {
	_, out, err := roundTrip(x, buy, sell)
	if err != nil {
		return -1 << 62
	}
	return int64(out) - int64(x)
}

// Evaluate finds the best round trip between a and b. maxIn caps the input
// (the risk limit on notional; 0 means only the pools bound it). It returns
// ErrNoOpportunity unless the net profit exceeds p.MinProfit.
func Evaluate(a, b Pool, p Params, maxIn uint64) (Opportunity, error) {
	if err := checkPool(a); err != nil {
		return Opportunity{}, fmt.Errorf("pool A: %w", err)
	}
	if err := checkPool(b); err != nil {
		return Opportunity{}, fmt.Errorf("pool B: %w", err)
	}
	// Only one direction can be profitable at the margin; the exact 256-bit
	// price test picks it, or proves neither is (pools agree within fees).
	var buy, sell Pool
	var dir Direction
	switch {
	case amm.PriceAbove(a.QuoteReserve, a.BaseReserve, a.Fee, b.BaseReserve, b.QuoteReserve, b.Fee):
		buy, sell, dir = a, b, BuyAThenSellB
	case amm.PriceAbove(b.QuoteReserve, b.BaseReserve, b.Fee, a.BaseReserve, a.QuoteReserve, a.Fee):
		buy, sell, dir = b, a, BuyBThenSellA
	default:
		return Opportunity{}, ErrNoOpportunity
	}
	hi := buy.QuoteReserve // spending more than the pool holds is never optimal
	if p.MaxInput > 0 && p.MaxInput < hi {
		hi = p.MaxInput
	}
	if maxIn > 0 && maxIn < hi {
		hi = maxIn
	}
	x := argmax(buy, sell, 1, hi)
	base, out, err := roundTrip(x, buy, sell)
	if err != nil {
		return Opportunity{}, ErrNoOpportunity
	}
	g := int64(out) - int64(x)
	cost := p.CostLamports()
	net := g - int64(cost)
	if net <= 0 || uint64(net) <= p.MinProfit {
		return Opportunity{}, ErrNoOpportunity
	}
	return Opportunity{Direction: dir, AmountIn: x, BaseOut: base, AmountOut: out, Gross: g, Cost: cost, Net: net}, nil
}

// argmax is a ternary search for the integer input maximising the round
// trip's profit on [lo, hi]. The profit is concave in the input (apart from
// ±1 rounding), so ~70 iterations cover a 64-bit range.
func argmax(buy, sell Pool, lo, hi uint64) uint64 {
	for hi-lo > 2 {
		third := (hi - lo) / 3
		m1, m2 := lo+third, hi-third
		if gross(m1, buy, sell) < gross(m2, buy, sell) {
			lo = m1 + 1
		} else {
			hi = m2
		}
	}
	best, bestG := lo, gross(lo, buy, sell)
	for x := lo + 1; x <= hi; x++ {
		if g := gross(x, buy, sell); g > bestG {
			best, bestG = x, g
		}
	}
	return best
}

func checkPool(p Pool) error {
	if p.BaseReserve == 0 || p.QuoteReserve == 0 {
		return amm.ErrZeroReserve
	}
	// Keep amounts within int64 so that profits and losses are signed exactly.
	if p.BaseReserve > 1<<62 || p.QuoteReserve > 1<<62 {
		return fmt.Errorf("reserves %d/%d: %w", p.BaseReserve, p.QuoteReserve, amm.ErrOverflow)
	}
	return p.Fee.Validate()
}
