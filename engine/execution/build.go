// Package execution turns a priced arbitrage into a signed Solana
// transaction (compute-budget limit and price, two swap instructions, an
// optional tip) and either simulates it (dry-run) or sends it and tracks
// confirmation (live). The wallet key is held by Builder and is never
// logged or formatted.
package execution

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
)

// Program ids and fixed authorities of the supported pools.
var (
	raydiumV4Program  = solana.MustPublicKeyFromBase58("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8")
	raydiumV4Auth     = solana.MustPublicKeyFromBase58("5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1")
	raydiumCPMMProg   = solana.MustPublicKeyFromBase58("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C")
	raydiumCPMMAuth   = solana.MustPublicKeyFromBase58("GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL")
	cpmmSwapBaseInput = anchorIx("swap_base_input")
)

// raydiumV4SwapBaseInV2 is the AMM v4 instruction tag of SwapBaseInV2, the
// variant that needs no OpenBook market accounts.
const raydiumV4SwapBaseInV2 = 16

// PoolKind selects the swap instruction layout.
type PoolKind uint8

// Supported pool kinds.
const (
	RaydiumV4 PoolKind = iota + 1
	RaydiumCPMM
)

// Leg is one swap of the round trip.
type Leg struct {
	Kind PoolKind
	Pool solana.PublicKey
	// CoinVault and PCVault are Raydium v4's vaults in pool order.
	CoinVault, PCVault solana.PublicKey
	// AmmConfig and Observation are Raydium CPMM accounts.
	AmmConfig, Observation solana.PublicKey
	InVault, OutVault      solana.PublicKey
	InMint, OutMint        solana.PublicKey
	// InTokenProgram/OutTokenProgram default to the SPL Token program.
	InTokenProgram, OutTokenProgram solana.PublicKey
	AmountIn, MinOut                uint64
}

// Plan is everything needed to build one transaction.
type Plan struct {
	Legs             []Leg
	ComputeUnitLimit uint32
	ComputeUnitPrice uint64 // micro-lamports per CU
	TipLamports      uint64
	TipAccount       solana.PublicKey
}

// Builder builds and signs transactions for one wallet.
type Builder struct {
	key   solana.PrivateKey
	sign  *signer
	payer solana.PublicKey
	mu    sync.RWMutex
	atas  map[solana.PublicKey]solana.PublicKey // mint -> wallet ATA
}

// NewBuilder returns a builder signing with key.
func NewBuilder(key solana.PrivateKey) (*Builder, error) {
	sg, err := newSigner(ed25519.PrivateKey(key))
	if err != nil {
		return nil, err
	}
	return &Builder{key: key, sign: sg, payer: key.PublicKey(), atas: map[solana.PublicKey]solana.PublicKey{}}, nil
}

// Payer is the wallet's public key.
func (b *Builder) Payer() solana.PublicKey { return b.payer }

// String never prints the key.
func (b *Builder) String() string { return "execution.Builder{payer: " + b.payer.String() + "}" }

// Prepare derives (and caches) the wallet's associated token accounts for
// mints, so that PDA derivation (tens of µs each) stays off the hot path.
func (b *Builder) Prepare(mints ...solana.PublicKey) error {
	for _, m := range mints {
		if _, err := b.ata(m); err != nil {
			return err
		}
	}
	return nil
}

func (b *Builder) ata(mint solana.PublicKey) (solana.PublicKey, error) {
	b.mu.RLock()
	a, ok := b.atas[mint]
	b.mu.RUnlock()
	if ok {
		return a, nil
	}
	a, _, err := solana.FindAssociatedTokenAddress(b.payer, mint)
	if err != nil {
		return solana.PublicKey{}, fmt.Errorf("deriving token account for mint %s: %w", mint, err)
	}
	b.mu.Lock()
	b.atas[mint] = a
	b.mu.Unlock()
	return a, nil
}

// Build assembles and signs the transaction for plan with blockhash.
func (b *Builder) Build(plan Plan, blockhash solana.Hash) (*solana.Transaction, error) {
	if len(plan.Legs) == 0 {
		return nil, errors.New("execution: plan has no legs")
	}
	ixs := make([]solana.Instruction, 0, len(plan.Legs)+3)
	ixs = append(ixs, setComputeUnitLimit(plan.ComputeUnitLimit), setComputeUnitPrice(plan.ComputeUnitPrice))
	for i, leg := range plan.Legs {
		ix, err := b.swap(leg)
		if err != nil {
			return nil, fmt.Errorf("leg %d: %w", i, err)
		}
		ixs = append(ixs, ix)
	}
	if plan.TipLamports > 0 {
		if plan.TipAccount.IsZero() {
			return nil, errors.New("execution: tip set without a tip account")
		}
		tip, err := system.NewTransferInstruction(plan.TipLamports, b.payer, plan.TipAccount).ValidateAndBuild()
		if err != nil {
			return nil, fmt.Errorf("tip: %w", err)
		}
		ixs = append(ixs, tip)
	}
	return compileAndSign(b.sign, b.payer, ixs, blockhash)
}

func (b *Builder) swap(l Leg) (solana.Instruction, error) {
	src, err := b.ata(l.InMint)
	if err != nil {
		return nil, err
	}
	dst, err := b.ata(l.OutMint)
	if err != nil {
		return nil, err
	}
	inProg, outProg := l.InTokenProgram, l.OutTokenProgram
	if inProg.IsZero() {
		inProg = solana.TokenProgramID
	}
	if outProg.IsZero() {
		outProg = solana.TokenProgramID
	}
	switch l.Kind {
	case RaydiumV4:
		data := make([]byte, 17)
		data[0] = raydiumV4SwapBaseInV2
		binary.LittleEndian.PutUint64(data[1:], l.AmountIn)
		binary.LittleEndian.PutUint64(data[9:], l.MinOut)
		return solana.NewInstruction(raydiumV4Program, solana.AccountMetaSlice{
			solana.Meta(solana.TokenProgramID),
			solana.Meta(l.Pool).WRITE(),
			solana.Meta(raydiumV4Auth),
			solana.Meta(l.CoinVault).WRITE(),
			solana.Meta(l.PCVault).WRITE(),
			solana.Meta(src).WRITE(),
			solana.Meta(dst).WRITE(),
			solana.Meta(b.payer).SIGNER(),
		}, data), nil
	case RaydiumCPMM:
		data := make([]byte, 24)
		copy(data, cpmmSwapBaseInput[:])
		binary.LittleEndian.PutUint64(data[8:], l.AmountIn)
		binary.LittleEndian.PutUint64(data[16:], l.MinOut)
		return solana.NewInstruction(raydiumCPMMProg, solana.AccountMetaSlice{
			solana.Meta(b.payer).SIGNER(),
			solana.Meta(raydiumCPMMAuth),
			solana.Meta(l.AmmConfig),
			solana.Meta(l.Pool).WRITE(),
			solana.Meta(src).WRITE(),
			solana.Meta(dst).WRITE(),
			solana.Meta(l.InVault).WRITE(),
			solana.Meta(l.OutVault).WRITE(),
			solana.Meta(inProg),
			solana.Meta(outProg),
			solana.Meta(l.InMint),
			solana.Meta(l.OutMint),
			solana.Meta(l.Observation).WRITE(),
		}, data), nil
	}
	return nil, fmt.Errorf("execution: unknown pool kind %d", l.Kind)
}

func anchorIx(name string) [8]byte {
	sum := sha256.Sum256([]byte("global:" + name))
	var d [8]byte
	copy(d[:], sum[:8])
	return d
}
