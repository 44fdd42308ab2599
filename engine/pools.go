package engine

import (
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine/amm"
	"github.com/hft-ninja/hft-ninja/engine/decode"
	"github.com/hft-ninja/hft-ninja/engine/execution"
	"github.com/hft-ninja/hft-ninja/engine/strategy"
)

// Vault authorities: the token-account owner every pool vault must have.
var (
	raydiumV4Authority   = solana.MustPublicKeyFromBase58("5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1")
	raydiumCPMMAuthority = solana.MustPublicKeyFromBase58("GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL")
	wrappedSOL           = solana.SolMint
)

type role uint8

const (
	rolePool role = iota + 1
	roleBase
	roleQuote
)

// String names the role for logs.
func (r role) String() string {
	return [...]string{"", "pool", "base vault", "quote vault"}[r]
}

type watched struct {
	pool int
	role role
}

// vault is the decoded state of one pool vault.
type vault struct {
	ok     bool
	slot   uint64
	amount uint64
	mint   solana.PublicKey
	prog   solana.PublicKey
}

// pool is everything known about one configured pool. Any component that
// fails to decode is marked not ok, so the pool is never priced from
// invalid state.
type pool struct {
	cfg       PoolConfig
	stateOK   bool
	stateSlot uint64
	v4        decode.RaydiumAMMv4
	cpmm      decode.RaydiumCPMM
	base      vault
	quote     vault
}

// ready reports whether the pool can be priced: both vaults decoded and
// either the pool state or a configured fee.
func (p *pool) ready() bool {
	return p.base.ok && p.quote.ok && (p.stateOK || p.cfg.FeeBps > 0)
}

func (p *pool) fee() amm.Fee {
	if p.stateOK && p.cfg.Kind == PoolRaydiumAMMv4 {
		return amm.Fee{Num: p.v4.SwapFeeNum, Den: p.v4.SwapFeeDen}
	}
	return amm.FeeBps(p.cfg.FeeBps)
}

// reserves are the vault balances minus amounts owed to the protocol, which
// the programs exclude from the curve.
func (p *pool) reserves() (base, quote uint64, err error) {
	base, quote = p.base.amount, p.quote.amount
	if !p.stateOK {
		return base, quote, nil
	}
	var owedBase, owedQuote uint64
	switch p.cfg.Kind {
	case PoolRaydiumAMMv4:
		if p.cfg.BaseVault == p.v4.CoinVault {
			owedBase, owedQuote = p.v4.NeedTakePnlCoin, p.v4.NeedTakePnlPC
		} else {
			owedBase, owedQuote = p.v4.NeedTakePnlPC, p.v4.NeedTakePnlCoin
		}
	case PoolRaydiumCPMM:
		c := p.cpmm
		o0 := c.ProtocolFeesToken0 + c.FundFeesToken0 + c.CreatorFeesToken0
		o1 := c.ProtocolFeesToken1 + c.FundFeesToken1 + c.CreatorFeesToken1
		if p.cfg.BaseVault == c.Token0Vault {
			owedBase, owedQuote = o0, o1
		} else {
			owedBase, owedQuote = o1, o0
		}
	}
	if owedBase >= base || owedQuote >= quote {
		return 0, 0, fmt.Errorf("pool %s: owed fees %d/%d exceed vaults %d/%d", p.cfg.Name, owedBase, owedQuote, base, quote)
	}
	return base - owedBase, quote - owedQuote, nil
}

func (p *pool) snapshot() (strategy.Pool, error) {
	b, q, err := p.reserves()
	if err != nil {
		return strategy.Pool{}, err
	}
	return strategy.Pool{BaseReserve: b, QuoteReserve: q, Fee: p.fee()}, nil
}

// errDuplicate marks an update that repeats the state already held (a
// snapshot overlapping a notification, or a node re-sending); it must not
// trigger a second evaluation of the same opportunity.
var errDuplicate = errors.New("duplicate update")

// apply decodes an update for role r. It returns a decode error (already
// typed by package decode, or a consistency error) and leaves the
// component marked invalid in that case, or errDuplicate.
func (p *pool) apply(r role, owner solana.PublicKey, data []byte, slot uint64) error {
	switch r {
	case rolePool:
		wasOK := p.stateOK
		p.stateOK = false
		switch p.cfg.Kind {
		case PoolRaydiumAMMv4:
			s, err := decode.DecodeRaydiumAMMv4(owner, data)
			if err != nil {
				return err
			}
			if wasOK && slot == p.stateSlot && s == p.v4 {
				p.stateOK = true
				return errDuplicate
			}
			if !sameSet(s.CoinVault, s.PCVault, p.cfg.BaseVault, p.cfg.QuoteVault) {
				return &decode.Error{Type: "raydium amm v4", Err: decode.ErrInvalid, Detail: fmt.Sprintf("vaults %s/%s do not match the configured ones", s.CoinVault, s.PCVault)}
			}
			p.v4 = s
		case PoolRaydiumCPMM:
			s, err := decode.DecodeRaydiumCPMM(owner, data)
			if err != nil {
				return err
			}
			if wasOK && slot == p.stateSlot && s == p.cpmm {
				p.stateOK = true
				return errDuplicate
			}
			if !sameSet(s.Token0Vault, s.Token1Vault, p.cfg.BaseVault, p.cfg.QuoteVault) {
				return &decode.Error{Type: "raydium cpmm", Err: decode.ErrInvalid, Detail: "vaults do not match the configured ones"}
			}
			if s.SwapDisabled() {
				return &decode.Error{Type: "raydium cpmm", Err: decode.ErrInvalid, Detail: "swaps disabled by pool status"}
			}
			p.cpmm = s
		}
		p.stateOK, p.stateSlot = true, slot
		return nil
	case roleBase, roleQuote:
		v := &p.base
		if r == roleQuote {
			v = &p.quote
		}
		prev := *v
		v.ok = false
		a, err := decode.DecodeTokenAccount(owner, data)
		if err != nil {
			return err
		}
		if prev.ok && prev.slot == slot && prev.amount == a.Amount && prev.mint == a.Mint {
			*v = prev
			return errDuplicate
		}
		auth := raydiumV4Authority
		if p.cfg.Kind == PoolRaydiumCPMM {
			auth = raydiumCPMMAuthority
		}
		if a.Owner != auth {
			return &decode.Error{Type: "pool vault", Err: decode.ErrInvalid, Detail: fmt.Sprintf("vault authority %s, want %s", a.Owner, auth)}
		}
		if r == roleQuote && a.Mint != wrappedSOL {
			return &decode.Error{Type: "pool vault", Err: decode.ErrInvalid, Detail: fmt.Sprintf("quote vault mint %s is not wSOL; profits are counted in lamports", a.Mint)}
		}
		*v = vault{ok: true, slot: slot, amount: a.Amount, mint: a.Mint, prog: owner}
		return nil
	}
	return fmt.Errorf("unknown role %d", r)
}

// slotOf returns the slot of the data held for role r.
func (p *pool) slotOf(r role) uint64 {
	switch r {
	case rolePool:
		return p.stateSlot
	case roleBase:
		return p.base.slot
	}
	return p.quote.slot
}

// leg describes swapping through p, buying base with quote when buy is true.
func (p *pool) leg(buy bool, amountIn, minOut uint64) (execution.Leg, error) {
	if !p.stateOK {
		return execution.Leg{}, fmt.Errorf("pool %s: state account not seen yet; cannot build its swap", p.cfg.Name)
	}
	l := execution.Leg{Pool: p.cfg.Address, AmountIn: amountIn, MinOut: minOut}
	in, out := p.quote, p.base
	l.InVault, l.OutVault = p.cfg.QuoteVault, p.cfg.BaseVault
	if !buy {
		in, out = p.base, p.quote
		l.InVault, l.OutVault = p.cfg.BaseVault, p.cfg.QuoteVault
	}
	l.InMint, l.OutMint, l.InTokenProgram, l.OutTokenProgram = in.mint, out.mint, in.prog, out.prog
	switch p.cfg.Kind {
	case PoolRaydiumAMMv4:
		l.Kind, l.CoinVault, l.PCVault = execution.RaydiumV4, p.v4.CoinVault, p.v4.PCVault
	case PoolRaydiumCPMM:
		l.Kind, l.AmmConfig, l.Observation = execution.RaydiumCPMM, p.cpmm.AmmConfig, p.cpmm.ObservationKey
	}
	return l, nil
}

func sameSet(a, b, x, y solana.PublicKey) bool {
	return (a == x && b == y) || (a == y && b == x)
}
