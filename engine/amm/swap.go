package amm

import "fmt"

// Fee is a trade fee as a fraction Num/Den of the input, charged before the
// constant-product step (Raydium AMM v4: swap_fee 25/10000; Raydium CPMM:
// trade_fee_rate/1_000_000).
type Fee struct{ Num, Den uint64 }

// FeeBps builds a basis-point fee.
func FeeBps(bps uint64) Fee { return Fee{Num: bps, Den: 10_000} }

// Validate rejects a fee that is not a proper fraction.
func (f Fee) Validate() error {
	if f.Den == 0 || f.Num >= f.Den {
		return fmt.Errorf("amm: fee %d/%d is not below 100%%", f.Num, f.Den)
	}
	return nil
}

// SwapExactIn is the output of selling amountIn into a pool holding
// reserveIn of the input token and reserveOut of the output token:
//
//	fee = ⌈amountIn·Num/Den⌉
//	out = ⌊reserveOut·(amountIn−fee) / (reserveIn + amountIn−fee)⌋
//
// which is Raydium AMM v4's swap_base_in (Calculator::swap_token_amount_base_in
// after the ceil-div fee) and Raydium CPMM's swap_base_input.
func SwapExactIn(amountIn, reserveIn, reserveOut uint64, fee Fee) (uint64, error) {
	if reserveIn == 0 || reserveOut == 0 {
		return 0, ErrZeroReserve
	}
	if fee.Den == 0 || fee.Num >= fee.Den {
		return 0, fmt.Errorf("amm: fee %d/%d: %w", fee.Num, fee.Den, ErrOverflow)
	}
	f, err := Mul64(amountIn, fee.Num).DivCeil64(fee.Den)
	if err != nil {
		return 0, err
	}
	in := amountIn - f
	den := reserveIn + in
	if den < reserveIn {
		return 0, ErrOverflow
	}
	if den == 0 {
		return 0, ErrZeroReserve
	}
	return Mul64(reserveOut, in).DivFloor64(den)
}

// PriceAbove reports whether a unit sold through pool 1 and then pool 2
// returns more than it cost at the margin, i.e. whether an infinitesimal
// round trip is profitable before fixed costs:
//
//	(1−f1)(1−f2)·out1·out2 > in1·in2
//
// with out1/in1 the reserves of pool 1 (output, input side) and in2/out2
// those of pool 2. The products are exact (256-bit).
func PriceAbove(in1, out1 uint64, f1 Fee, in2, out2 uint64, f2 Fee) bool {
	lhs := mul128(Mul64(f1.Den-f1.Num, f2.Den-f2.Num), Mul64(out1, out2))
	rhs := mul128(Mul64(f1.Den, f2.Den), Mul64(in1, in2))
	return lhs.cmp(rhs) > 0
}
