// Package decode parses Solana account data of the pools the engine
// trades: SPL Token (and Token-2022 base layout) accounts and mints,
// Raydium AMM v4, Raydium CPMM and Orca Whirlpool. Every decoder checks the
// owner program and the length before reading, and returns a *Error that
// wraps one of the sentinel errors below.
//
// Decoders take the bytes as they come from RPC and return values (no
// pointers into the input, no allocation), so the hot path stays free of
// garbage.
package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"

	"github.com/gagliardetto/solana-go"
)

// Sentinel errors, for errors.Is.
var (
	ErrWrongOwner         = errors.New("wrong owner program")
	ErrWrongLength        = errors.New("wrong data length")
	ErrWrongDiscriminator = errors.New("wrong account discriminator")
	ErrUninitialized      = errors.New("account not initialized")
	ErrInvalid            = errors.New("invalid field value")
)

// Error describes a rejected account.
type Error struct {
	// Type is the account type being decoded ("raydium amm v4", "spl token account", …).
	Type string
	// Err is one of the sentinel errors.
	Err error
	// Detail says what was expected and found.
	Detail string
}

// Error describes the rejection.
func (e *Error) Error() string { return fmt.Sprintf("decoding %s: %v: %s", e.Type, e.Err, e.Detail) }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Reason is a short metric label for the sentinel ("wrong_owner", …).
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrWrongOwner):
		return "wrong_owner"
	case errors.Is(err, ErrWrongLength):
		return "wrong_length"
	case errors.Is(err, ErrWrongDiscriminator):
		return "wrong_discriminator"
	case errors.Is(err, ErrUninitialized):
		return "uninitialized"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	}
	return "other"
}

// Program ids of the owners the decoders accept.
var (
	TokenProgram         = solana.TokenProgramID
	Token2022Program     = solana.Token2022ProgramID
	RaydiumAMMv4Program  = solana.MustPublicKeyFromBase58("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8")
	RaydiumCPMMProgram   = solana.MustPublicKeyFromBase58("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C")
	OrcaWhirlpoolProgram = solana.MustPublicKeyFromBase58("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc")
)

func checkOwner(typ string, got solana.PublicKey, want ...solana.PublicKey) error {
	for _, w := range want {
		if got == w {
			return nil
		}
	}
	return &Error{Type: typ, Err: ErrWrongOwner, Detail: fmt.Sprintf("owner %s, want %s", got, want[0])}
}

func checkLen(typ string, data []byte, want int) error {
	if len(data) != want {
		return &Error{Type: typ, Err: ErrWrongLength, Detail: fmt.Sprintf("%d bytes, want %d", len(data), want)}
	}
	return nil
}

// Little-endian readers; callers have checked the length.
func u64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
func u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func u16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }

func key(b []byte, off int) solana.PublicKey {
	var k solana.PublicKey
	copy(k[:], b[off:off+32])
	return k
}

// Uint128 is a little-endian u128 as stored on chain.
type Uint128 struct{ Hi, Lo uint64 }

func u128(b []byte, off int) Uint128 {
	return Uint128{Lo: u64(b, off), Hi: u64(b, off+8)}
}

// String prints the value in decimal.
func (v Uint128) String() string {
	if v.Hi == 0 {
		return strconv.FormatUint(v.Lo, 10)
	}
	// Long division by 10^19 (the largest power of ten in a u64).
	const chunk = 10_000_000_000_000_000_000
	var parts []uint64
	hi, lo := v.Hi, v.Lo
	for hi != 0 || lo != 0 {
		qh, rh := hi/chunk, hi%chunk
		ql, r := bits.Div64(rh, lo, chunk)
		parts = append(parts, r)
		hi, lo = qh, ql
	}
	s := strconv.FormatUint(parts[len(parts)-1], 10)
	for i := len(parts) - 2; i >= 0; i-- {
		s += fmt.Sprintf("%019d", parts[i])
	}
	return s
}
