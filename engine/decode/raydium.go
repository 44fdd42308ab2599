package decode

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// RaydiumAMMv4Len is the size of Raydium AMM v4's AmmInfo.
const RaydiumAMMv4Len = 752

// RaydiumAMMv4 is the part of AmmInfo the engine needs (layout from
// raydium-amm program/src/state.rs).
type RaydiumAMMv4 struct {
	Status       uint64
	Nonce        uint64
	OrderNum     uint64
	Depth        uint64
	CoinDecimals uint64
	PCDecimals   uint64
	State        uint64
	MinSize      uint64
	CoinLotSize  uint64
	PCLotSize    uint64
	// Fees as numerator/denominator pairs.
	TradeFeeNum, TradeFeeDen uint64
	SwapFeeNum, SwapFeeDen   uint64
	PnlNum, PnlDen           uint64
	// NeedTakePnl* are owed to the protocol and excluded from the reserves.
	NeedTakePnlCoin uint64
	NeedTakePnlPC   uint64
	TotalPnlPC      uint64
	TotalPnlCoin    uint64
	PoolOpenTime    uint64
	SwapCoinIn      Uint128
	SwapPCOut       Uint128
	SwapAccPCFee    uint64
	SwapPCIn        Uint128
	SwapCoinOut     Uint128
	SwapAccCoinFee  uint64
	CoinVault       solana.PublicKey
	PCVault         solana.PublicKey
	CoinMint        solana.PublicKey
	PCMint          solana.PublicKey
	LPMint          solana.PublicKey
	OpenOrders      solana.PublicKey
	Market          solana.PublicKey
	MarketProgram   solana.PublicKey
	TargetOrders    solana.PublicKey
	AmmOwner        solana.PublicKey
	LPAmount        uint64
	RecentEpoch     uint64
}

// DecodeRaydiumAMMv4 decodes an AmmInfo account.
func DecodeRaydiumAMMv4(owner solana.PublicKey, data []byte) (RaydiumAMMv4, error) {
	const typ = "raydium amm v4"
	if err := checkOwner(typ, owner, RaydiumAMMv4Program); err != nil {
		return RaydiumAMMv4{}, err
	}
	if err := checkLen(typ, data, RaydiumAMMv4Len); err != nil {
		return RaydiumAMMv4{}, err
	}
	a := RaydiumAMMv4{
		Status: u64(data, 0), Nonce: u64(data, 8), OrderNum: u64(data, 16), Depth: u64(data, 24),
		CoinDecimals: u64(data, 32), PCDecimals: u64(data, 40), State: u64(data, 48), MinSize: u64(data, 64),
		CoinLotSize: u64(data, 88), PCLotSize: u64(data, 96),
		TradeFeeNum: u64(data, 144), TradeFeeDen: u64(data, 152),
		PnlNum: u64(data, 160), PnlDen: u64(data, 168),
		SwapFeeNum: u64(data, 176), SwapFeeDen: u64(data, 184),
		NeedTakePnlCoin: u64(data, 192), NeedTakePnlPC: u64(data, 200),
		TotalPnlPC: u64(data, 208), TotalPnlCoin: u64(data, 216), PoolOpenTime: u64(data, 224),
		SwapCoinIn: u128(data, 256), SwapPCOut: u128(data, 272), SwapAccPCFee: u64(data, 288),
		SwapPCIn: u128(data, 296), SwapCoinOut: u128(data, 312), SwapAccCoinFee: u64(data, 328),
		CoinVault: key(data, 336), PCVault: key(data, 368), CoinMint: key(data, 400), PCMint: key(data, 432),
		LPMint: key(data, 464), OpenOrders: key(data, 496), Market: key(data, 528), MarketProgram: key(data, 560),
		TargetOrders: key(data, 592), AmmOwner: key(data, 688), LPAmount: u64(data, 720), RecentEpoch: u64(data, 736),
	}
	if a.Status == 0 {
		return RaydiumAMMv4{}, &Error{Type: typ, Err: ErrUninitialized, Detail: "status 0"}
	}
	if a.SwapFeeDen == 0 || a.SwapFeeNum >= a.SwapFeeDen {
		return RaydiumAMMv4{}, &Error{Type: typ, Err: ErrInvalid, Detail: fmt.Sprintf("swap fee %d/%d", a.SwapFeeNum, a.SwapFeeDen)}
	}
	if a.CoinVault.IsZero() || a.PCVault.IsZero() {
		return RaydiumAMMv4{}, &Error{Type: typ, Err: ErrInvalid, Detail: "zero vault address"}
	}
	return a, nil
}

// RaydiumCPMMLen is the size of Raydium CPMM's PoolState.
const RaydiumCPMMLen = 637

// raydiumCPMMDiscriminator is the Anchor discriminator of PoolState,
// sha256("account:PoolState")[:8] = f7ede3f5d7c3de46.
var raydiumCPMMDiscriminator = anchorDiscriminator("PoolState")

// RaydiumCPMM is Raydium CPMM's PoolState (raydium-cp-swap states/pool.rs).
type RaydiumCPMM struct {
	AmmConfig      solana.PublicKey
	PoolCreator    solana.PublicKey
	Token0Vault    solana.PublicKey
	Token1Vault    solana.PublicKey
	LPMint         solana.PublicKey
	Token0Mint     solana.PublicKey
	Token1Mint     solana.PublicKey
	Token0Program  solana.PublicKey
	Token1Program  solana.PublicKey
	ObservationKey solana.PublicKey
	AuthBump       uint8
	// Status bits: 1 disables deposit, 2 withdraw, 4 swap.
	Status             uint8
	LPMintDecimals     uint8
	Mint0Decimals      uint8
	Mint1Decimals      uint8
	LPSupply           uint64
	ProtocolFeesToken0 uint64
	ProtocolFeesToken1 uint64
	FundFeesToken0     uint64
	FundFeesToken1     uint64
	OpenTime           uint64
	RecentEpoch        uint64
	CreatorFeeOn       uint8
	EnableCreatorFee   bool
	CreatorFeesToken0  uint64
	CreatorFeesToken1  uint64
}

// DecodeRaydiumCPMM decodes a PoolState account.
func DecodeRaydiumCPMM(owner solana.PublicKey, data []byte) (RaydiumCPMM, error) {
	const typ = "raydium cpmm"
	if err := checkOwner(typ, owner, RaydiumCPMMProgram); err != nil {
		return RaydiumCPMM{}, err
	}
	if err := checkLen(typ, data, RaydiumCPMMLen); err != nil {
		return RaydiumCPMM{}, err
	}
	if !bytes.Equal(data[:8], raydiumCPMMDiscriminator[:]) {
		return RaydiumCPMM{}, &Error{Type: typ, Err: ErrWrongDiscriminator, Detail: fmt.Sprintf("%x", data[:8])}
	}
	p := RaydiumCPMM{
		AmmConfig: key(data, 8), PoolCreator: key(data, 40), Token0Vault: key(data, 72), Token1Vault: key(data, 104),
		LPMint: key(data, 136), Token0Mint: key(data, 168), Token1Mint: key(data, 200),
		Token0Program: key(data, 232), Token1Program: key(data, 264), ObservationKey: key(data, 296),
		AuthBump: data[328], Status: data[329], LPMintDecimals: data[330], Mint0Decimals: data[331], Mint1Decimals: data[332],
		LPSupply: u64(data, 333), ProtocolFeesToken0: u64(data, 341), ProtocolFeesToken1: u64(data, 349),
		FundFeesToken0: u64(data, 357), FundFeesToken1: u64(data, 365), OpenTime: u64(data, 373), RecentEpoch: u64(data, 381),
		CreatorFeeOn: data[389], EnableCreatorFee: data[390] != 0,
		CreatorFeesToken0: u64(data, 397), CreatorFeesToken1: u64(data, 405),
	}
	if p.Token0Vault.IsZero() || p.Token1Vault.IsZero() {
		return RaydiumCPMM{}, &Error{Type: typ, Err: ErrInvalid, Detail: "zero vault address"}
	}
	return p, nil
}

// SwapDisabled reports whether the pool's status bit 2 blocks swaps.
func (p RaydiumCPMM) SwapDisabled() bool { return p.Status&4 != 0 }

func anchorDiscriminator(account string) [8]byte {
	sum := sha256.Sum256([]byte("account:" + account))
	var d [8]byte
	copy(d[:], sum[:8])
	return d
}
