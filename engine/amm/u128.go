// Package amm holds the exact integer math of constant-product pools: u64
// amounts, u128 intermediates (math/bits), fees rounded up and outputs
// rounded down, in the pool's favour, as the on-chain programs do. No
// floating point is used anywhere in this package.
package amm

import (
	"errors"
	"math/bits"
)

// ErrOverflow is returned when an intermediate would not fit the on-chain
// integer width; the on-chain program would fail the same swap.
var ErrOverflow = errors.New("amm: integer overflow")

// ErrZeroReserve is returned for an empty side of a pool.
var ErrZeroReserve = errors.New("amm: zero reserve")

// U128 is an unsigned 128-bit integer.
type U128 struct{ Hi, Lo uint64 }

// Mul64 returns a·b as a U128 (never overflows).
func Mul64(a, b uint64) U128 {
	hi, lo := bits.Mul64(a, b)
	return U128{hi, lo}
}

// Cmp compares x and y: -1, 0 or +1.
func (x U128) Cmp(y U128) int {
	switch {
	case x.Hi < y.Hi:
		return -1
	case x.Hi > y.Hi:
		return 1
	case x.Lo < y.Lo:
		return -1
	case x.Lo > y.Lo:
		return 1
	}
	return 0
}

// DivFloor64 returns ⌊x/d⌋ when the quotient fits in 64 bits.
func (x U128) DivFloor64(d uint64) (uint64, error) {
	if d == 0 {
		return 0, ErrZeroReserve
	}
	if x.Hi >= d {
		return 0, ErrOverflow
	}
	q, _ := bits.Div64(x.Hi, x.Lo, d)
	return q, nil
}

// DivCeil64 returns ⌈x/d⌉ when the quotient fits in 64 bits.
func (x U128) DivCeil64(d uint64) (uint64, error) {
	if d == 0 {
		return 0, ErrZeroReserve
	}
	if x.Hi >= d {
		return 0, ErrOverflow
	}
	q, r := bits.Div64(x.Hi, x.Lo, d)
	if r != 0 {
		if q == ^uint64(0) {
			return 0, ErrOverflow
		}
		q++
	}
	return q, nil
}

// u256 is used only to compare products of four u64 factors.
type u256 [4]uint64 // little-endian limbs

// mul128 returns x·y exactly.
func mul128(x, y U128) u256 {
	var r u256
	// Schoolbook multiplication on 64-bit limbs.
	a := [2]uint64{x.Lo, x.Hi}
	b := [2]uint64{y.Lo, y.Hi}
	for i := 0; i < 2; i++ {
		var carry uint64
		for j := 0; j < 2; j++ {
			hi, lo := bits.Mul64(a[i], b[j])
			var c1, c2 uint64
			r[i+j], c1 = bits.Add64(r[i+j], lo, 0)
			r[i+j], c2 = bits.Add64(r[i+j], carry, 0)
			carry = hi + c1 + c2
		}
		r[i+2] = carry
	}
	return r
}

func (x u256) cmp(y u256) int {
	for i := 3; i >= 0; i-- {
		switch {
		case x[i] < y[i]:
			return -1
		case x[i] > y[i]:
			return 1
		}
	}
	return 0
}
