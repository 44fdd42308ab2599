package decode

import (
	"bytes"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// WhirlpoolLen is the size of an Orca Whirlpool account.
const WhirlpoolLen = 653

var whirlpoolDiscriminator = anchorDiscriminator("Whirlpool")

// Whirlpool is Orca's concentrated-liquidity pool state
// (whirlpools programs/whirlpool/src/state/whirlpool.rs). The engine decodes
// it for prices and monitoring; it does not arbitrage it as a
// constant-product pool.
type Whirlpool struct {
	Config            solana.PublicKey
	Bump              uint8
	TickSpacing       uint16
	FeeTierSeed       [2]byte
	FeeRate           uint16 // hundredths of a basis point
	ProtocolFeeRate   uint16
	Liquidity         Uint128
	SqrtPrice         Uint128 // Q64.64
	TickCurrentIndex  int32
	ProtocolFeeOwedA  uint64
	ProtocolFeeOwedB  uint64
	TokenMintA        solana.PublicKey
	TokenVaultA       solana.PublicKey
	FeeGrowthGlobalA  Uint128
	TokenMintB        solana.PublicKey
	TokenVaultB       solana.PublicKey
	FeeGrowthGlobalB  Uint128
	RewardLastUpdated uint64
	RewardMints       [3]solana.PublicKey
	RewardVaults      [3]solana.PublicKey
}

// DecodeWhirlpool decodes a Whirlpool account.
func DecodeWhirlpool(owner solana.PublicKey, data []byte) (Whirlpool, error) {
	const typ = "orca whirlpool"
	if err := checkOwner(typ, owner, OrcaWhirlpoolProgram); err != nil {
		return Whirlpool{}, err
	}
	if err := checkLen(typ, data, WhirlpoolLen); err != nil {
		return Whirlpool{}, err
	}
	if !bytes.Equal(data[:8], whirlpoolDiscriminator[:]) {
		return Whirlpool{}, &Error{Type: typ, Err: ErrWrongDiscriminator, Detail: fmt.Sprintf("%x", data[:8])}
	}
	w := Whirlpool{
		Config: key(data, 8), Bump: data[40], TickSpacing: u16(data, 41), FeeTierSeed: [2]byte{data[43], data[44]},
		FeeRate: u16(data, 45), ProtocolFeeRate: u16(data, 47),
		Liquidity: u128(data, 49), SqrtPrice: u128(data, 65), TickCurrentIndex: int32(u32(data, 81)),
		ProtocolFeeOwedA: u64(data, 85), ProtocolFeeOwedB: u64(data, 93),
		TokenMintA: key(data, 101), TokenVaultA: key(data, 133), FeeGrowthGlobalA: u128(data, 165),
		TokenMintB: key(data, 181), TokenVaultB: key(data, 213), FeeGrowthGlobalB: u128(data, 245),
		RewardLastUpdated: u64(data, 261),
	}
	for i := 0; i < 3; i++ {
		w.RewardMints[i] = key(data, 269+128*i)
		w.RewardVaults[i] = key(data, 269+128*i+32)
	}
	if w.TickSpacing == 0 {
		return Whirlpool{}, &Error{Type: typ, Err: ErrInvalid, Detail: "tick_spacing 0"}
	}
	if w.SqrtPrice == (Uint128{}) {
		return Whirlpool{}, &Error{Type: typ, Err: ErrInvalid, Detail: "sqrt_price 0"}
	}
	return w, nil
}
