package engine

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine/amm"
	"github.com/hft-ninja/hft-ninja/engine/decode"
	"github.com/hft-ninja/hft-ninja/engine/marketdata"
	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

// vaultBytes builds a 165-byte token account (test data: only the fields
// the engine reads).
func vaultBytes(mint, authority solana.PublicKey, amount uint64) []byte {
	b := make([]byte, 165)
	copy(b[0:], mint[:])
	copy(b[32:], authority[:])
	binary.LittleEndian.PutUint64(b[64:], amount)
	b[108] = 1
	return b
}

// TestReservesExcludeProtocolOwedAmounts uses the real pool states: the
// reserves the curve sees are the vault balances minus what the pool owes
// the protocol (Raydium v4 need_take_pnl; CPMM protocol, fund and creator
// fees), exactly as the programs compute them.
func TestReservesExcludeProtocolOwedAmounts(t *testing.T) {
	t.Run("raydium v4 58oQ", func(t *testing.T) {
		a, err := solanatest.LoadAccount("raydium_amm_v4_58oQ_sol_usdc.json")
		if err != nil {
			t.Fatal(err)
		}
		st, _ := decode.DecodeRaydiumAMMv4(decode.RaydiumAMMv4Program, a.Data)
		p := &pool{cfg: PoolConfig{Name: "58oQ", Kind: PoolRaydiumAMMv4, Address: solana.MustPublicKeyFromBase58(a.Pubkey),
			BaseVault: st.PCVault, QuoteVault: st.CoinVault}} // USDC base, wSOL quote
		if err := p.apply(rolePool, decode.RaydiumAMMv4Program, a.Data, 10); err != nil {
			t.Fatal(err)
		}
		if err := p.apply(roleQuote, solana.TokenProgramID, vaultBytes(solana.SolMint, raydiumV4Authority, 1_000_000_000_000), 10); err != nil {
			t.Fatal(err)
		}
		if err := p.apply(roleBase, solana.TokenProgramID, vaultBytes(st.PCMint, raydiumV4Authority, 200_000_000_000), 10); err != nil {
			t.Fatal(err)
		}
		s, err := p.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		// need_take_pnl_coin=162834498 (wSOL), need_take_pnl_pc=12518360 (USDC).
		if s.QuoteReserve != 1_000_000_000_000-162834498 || s.BaseReserve != 200_000_000_000-12518360 || s.Fee != (amm.Fee{Num: 25, Den: 10000}) {
			t.Fatalf("snapshot %+v", s)
		}
		// Duplicates are recognised; a wrong authority or mint is rejected.
		if err := p.apply(rolePool, decode.RaydiumAMMv4Program, a.Data, 10); !errors.Is(err, errDuplicate) {
			t.Fatalf("duplicate state: %v", err)
		}
		if err := p.apply(roleQuote, solana.TokenProgramID, vaultBytes(solana.SolMint, solana.SystemProgramID, 5), 11); !errors.Is(err, decode.ErrInvalid) {
			t.Fatalf("wrong authority: %v", err)
		}
		if err := p.apply(roleQuote, solana.TokenProgramID, vaultBytes(st.PCMint, raydiumV4Authority, 5), 11); !errors.Is(err, decode.ErrInvalid) || p.ready() {
			t.Fatalf("non-wSOL quote vault: %v ready=%v", err, p.ready())
		}
	})
	t.Run("raydium cpmm BtGUff with creator fees", func(t *testing.T) {
		data, err := solanatest.LoadRaw("raydium_cpmm_BtGUff_wsol_creator_fee.b64")
		if err != nil {
			t.Fatal(err)
		}
		st, _ := decode.DecodeRaydiumCPMM(decode.RaydiumCPMMProgram, data)
		p := &pool{cfg: PoolConfig{Name: "BtGUff", Kind: PoolRaydiumCPMM, FeeBps: 25, Address: solana.MustPublicKeyFromBase58("BtGUffMEnxrzdjyC3kKAHjGMpG1UdZiVWXZUaSpUv13C"),
			BaseVault: st.Token1Vault, QuoteVault: st.Token0Vault}} // token0 is wSOL
		for _, step := range []struct {
			r    role
			data []byte
		}{
			{rolePool, data},
			{roleQuote, vaultBytes(solana.SolMint, raydiumCPMMAuthority, 500_000_000_000)},
			{roleBase, vaultBytes(st.Token1Mint, raydiumCPMMAuthority, 900_000_000_000_000)},
		} {
			owner := solana.TokenProgramID
			if step.r == rolePool {
				owner = decode.RaydiumCPMMProgram
			}
			if err := p.apply(step.r, owner, step.data, 20); err != nil {
				t.Fatal(err)
			}
		}
		s, err := p.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		// token0 owed: protocol 49023014 + fund 4037703 + creator 59466681730;
		// token1 owed: 3414305342 + 231412299 + 0.
		if s.QuoteReserve != 500_000_000_000-49023014-4037703-59466681730 || s.BaseReserve != 900_000_000_000_000-3414305342-231412299 {
			t.Fatalf("snapshot %+v", s)
		}
		// Vaults smaller than the owed fees: not priceable.
		if err := p.apply(roleQuote, solana.TokenProgramID, vaultBytes(solana.SolMint, raydiumCPMMAuthority, 1000), 21); err != nil {
			t.Fatal(err)
		}
		if _, err := p.snapshot(); err == nil {
			t.Fatal("owed fees above the vault accepted")
		}
	})
}

// TestCoreSkipsZeroAndOverflowReserves: a pool whose vault reads zero, or
// whose reserves are too large for exact signed arithmetic, is counted and
// skipped, never priced into a decision.
func TestCoreSkipsZeroAndOverflowReserves(t *testing.T) {
	mint := solana.MustPublicKeyFromBase58("HsNx7RirehVMy54xnFtcgCBPDMrwNnJKykageqdWpump")
	mk := func(i byte) PoolConfig {
		k := func(j byte) solana.PublicKey { var p solana.PublicKey; p[0], p[1] = i, j; return p }
		return PoolConfig{Name: string('a' + i), Kind: PoolRaydiumAMMv4, FeeBps: 25, Address: k(1), BaseVault: k(2), QuoteVault: k(3)}
	}
	cfg := DefaultConfig()
	cfg.Pools = []PoolConfig{mk(0), mk(1)}
	var decisions []Decision
	c, err := NewCore(cfg, CoreDeps{Sync: true, OnDecision: func(d Decision) { decisions = append(decisions, d) }})
	if err != nil {
		t.Fatal(err)
	}
	set := func(p PoolConfig, base, quote, slot uint64) {
		for _, v := range []struct {
			k      solana.PublicKey
			m      solana.PublicKey
			amount uint64
		}{{p.QuoteVault, solana.SolMint, quote}, {p.BaseVault, mint, base}} {
			c.OnAccount(t.Context(), marketdataEvent(v.k, vaultBytes(v.m, raydiumV4Authority, v.amount), slot), true)
		}
	}
	set(cfg.Pools[0], 28963621262318, 999796808193, 1)
	set(cfg.Pools[1], 29424157188316, 0, 1)   // empty wSOL side
	set(cfg.Pools[1], 1<<63, 984186872031, 2) // beyond exact int64 profit arithmetic
	if len(decisions) != 0 {
		t.Fatalf("decisions from bad reserves: %+v", decisions)
	}
	if c.Stats.DecodeErrors != 2 || c.Stats.Opportunities != 0 {
		t.Fatalf("stats %+v", c.Stats)
	}
	// Sane reserves again: the real post-swap state is priced at once.
	set(cfg.Pools[1], 29424157188316, 984186872031, 3)
	if len(decisions) != 1 || decisions[0].Net != 87214381 {
		t.Fatalf("decisions %+v", decisions)
	}
}

func marketdataEvent(k solana.PublicKey, data []byte, slot uint64) marketdata.Event {
	return marketdata.Event{Kind: marketdata.KindAccount, Source: marketdata.SourceWS, Slot: slot, Account: k, Owner: solana.TokenProgramID, Data: data}
}
