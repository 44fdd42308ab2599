package decode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

// Expected values below are the decoded values listed in
// engine/solanatest/testdata/solana/PROVENANCE.md, obtained independently
// with solana-go's token decoder and raw layout offsets.

func account(t testing.TB, name string) (solana.PublicKey, []byte) {
	t.Helper()
	a, err := solanatest.LoadAccount(name)
	if err != nil {
		t.Fatal(err)
	}
	return solana.MustPublicKeyFromBase58(a.Owner), a.Data
}

func raw(t testing.TB, name string) []byte {
	t.Helper()
	b, err := solanatest.LoadRaw(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pk(s string) solana.PublicKey { return solana.MustPublicKeyFromBase58(s) }

var (
	wsol = pk("So11111111111111111111111111111111111111112")
	usdc = pk("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
)

func TestDecodeTokenAccountsOnRealBytes(t *testing.T) {
	whirl := pk("HJPjoWUrhoZzkNfRpHuieeFk9WcZWjwy6PBjZ81ngndJ")
	lbPair := pk("EtAdVRLFH22rjWh3mcUasKFF27WtHhsaCvK27tPFFWig")
	cases := []struct {
		name       string
		owner      solana.PublicKey
		data       []byte
		mint, auth solana.PublicKey
		amount     uint64
		native     bool
		rent       uint64
	}{
		{"whirlpool vault A wSOL", TokenProgram, nil, wsol, whirl, 101826710217770, true, 2039280},
		{"whirlpool vault B USDC", TokenProgram, nil, usdc, whirl, 1806982724843, false, 0},
		{"dlmm reserve x", TokenProgram, raw(t, "meteora_dlmm_EtAdVR_reserve_x_token.b64"), pk("Df6yfrKC8kZE3KNkrHERKzAetSxbrWeniQfyJY4Jpump"), lbPair, 4362066806, false, 0},
		{"dlmm reserve y wSOL", TokenProgram, raw(t, "meteora_dlmm_EtAdVR_reserve_y_wsol.b64"), wsol, lbPair, 1820186920, true, 2039280},
	}
	cases[0].owner, cases[0].data = account(t, "orca_whirlpool_HJPjo_vault_a_wsol.json")
	cases[1].owner, cases[1].data = account(t, "orca_whirlpool_HJPjo_vault_b_usdc.json")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := DecodeTokenAccount(tc.owner, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if a.Mint != tc.mint || a.Owner != tc.auth || a.Amount != tc.amount || a.State != 1 ||
				a.IsNative != tc.native || a.NativeRent != tc.rent || a.HasDelegate || a.HasCloseAuth {
				t.Fatalf("decoded %+v", a)
			}
		})
	}
}

func TestDecodeMintsOnRealBytes(t *testing.T) {
	owner, data := account(t, "spl_mint_wsol.json")
	m, err := DecodeMint(owner, data)
	if err != nil || m.Supply != 0 || m.Decimals != 9 || !m.IsInitialized || m.HasMintAuthority || m.HasFreezeAuthority {
		t.Fatalf("wSOL mint %+v %v", m, err)
	}
	m, err = DecodeMint(TokenProgram, raw(t, "spl_mint_Df6yfr_pump_token.b64"))
	if err != nil || m.Supply != 999965054959795 || m.Decimals != 6 || !m.IsInitialized || m.HasMintAuthority || m.HasFreezeAuthority {
		t.Fatalf("pump mint %+v %v", m, err)
	}
}

func TestDecodeRaydiumAMMv4OnRealBytes(t *testing.T) {
	owner, data := account(t, "raydium_amm_v4_58oQ_sol_usdc.json")
	a, err := DecodeRaydiumAMMv4(owner, data)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%d %d %d %d %d %d %d %d %d %d %d/%d %d/%d %d/%d",
		a.Status, a.Nonce, a.OrderNum, a.Depth, a.CoinDecimals, a.PCDecimals, a.State, a.MinSize, a.CoinLotSize, a.PCLotSize,
		a.TradeFeeNum, a.TradeFeeDen, a.SwapFeeNum, a.SwapFeeDen, a.PnlNum, a.PnlDen)
	if want := "6 254 7 3 9 6 2 1000000 1000000 1000000 25/10000 25/10000 12/100"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	got = fmt.Sprintf("%d %d %d %d %d %s %s %d %s %s %d", a.NeedTakePnlCoin, a.NeedTakePnlPC, a.TotalPnlPC, a.TotalPnlCoin, a.PoolOpenTime,
		a.SwapCoinIn, a.SwapPCOut, a.SwapAccPCFee, a.SwapPCIn, a.SwapCoinOut, a.SwapAccCoinFee)
	if want := "162834498 12518360 4027688400252 57648836614719 0 15772420391885631 1498391281348635 3779992925786 1511995956897497 15952222701825798 39431053174686"; got != want {
		t.Errorf("state %q, want %q", got, want)
	}
	keys := map[string]solana.PublicKey{
		"DQyrAcCrDXQ7NeoqGgDCZwBvWDcYmFCjSb9JtteuvPpz": a.CoinVault, "HLmqeL62xR1QoZ1HKKbXRrdN1p3phKpxRMb2VVopvBBz": a.PCVault,
		wsol.String(): a.CoinMint, usdc.String(): a.PCMint, "8HoQnePLqPj4M7PUDzfw8e3Ymdwgc7NLGnaTUapubyvu": a.LPMint,
		"HmiHHzq4Fym9e1D4qzLS6LDDM3tNsCTBPDWHTLZ763jY": a.OpenOrders, "8BnEgHoWFysVcuFFX7QztDmzuH8r5ZFvyP3sYwn1XTh6": a.Market,
		"srmqPvymJeFKQ4zGQed1GFppgkRHL9kaELCbyksJtPX": a.MarketProgram, "CZza3Ej4Mc58MnxWA385itCC9jCo3L1D7zc3LKy1bZMR": a.TargetOrders,
		"GThUX1Atko4tqhN2NaiTazWSeFWMuiUvfFnyJyUghFMJ": a.AmmOwner,
	}
	for want, got := range keys {
		if got.String() != want {
			t.Errorf("key %s, want %s", got, want)
		}
	}
	if a.LPAmount != 57482213984111 || a.RecentEpoch != 1002 {
		t.Errorf("tail lp %d epoch %d", a.LPAmount, a.RecentEpoch)
	}
	// The legacy order-book pool decodes too.
	owner, data = account(t, "raydium_amm_v4_5y2Q_legacy_orderbook.json")
	l, err := DecodeRaydiumAMMv4(owner, data)
	if err != nil || l.Status != 1 || l.NeedTakePnlCoin != 4566028610387 || l.NeedTakePnlPC != 3520673 ||
		l.PoolOpenTime != 1644631237 || l.CoinVault != pk("FubQ1Ca1SzJnVJULWz4dQ6odKM1thtBnjLDRZC8zqn8s") || l.LPAmount != 524213136037216 {
		t.Fatalf("legacy pool %+v %v", l, err)
	}
}

func TestDecodeRaydiumCPMMOnRealBytes(t *testing.T) {
	p, err := DecodeRaydiumCPMM(RaydiumCPMMProgram, raw(t, "raydium_cpmm_Q2sPH_wsol.b64"))
	if err != nil {
		t.Fatal(err)
	}
	if p.AmmConfig != pk("D4FPEruKEHrG5TenZ2mpDGEfu1iUvTiqBxvpU8HLBvC2") || p.Token0Vault != pk("HgNPDD8bpbSrGyHegiCT5xrYxHTfwLfZydwGkjNCJRKA") ||
		p.Token1Vault != pk("9xsCiNwYQXM3ZeHFSVj9JQdP1vREJREpN23f6wvxA1ty") || p.Token0Mint != wsol ||
		p.Token1Mint != pk("Dz9mQ9NzkBcCsuGPFJ3r1bS4wgqKMHBPiVuniW8Mbonk") || p.Token0Program != TokenProgram ||
		p.ObservationKey != pk("4UdSz2kMddtX4woMmdgkWg75fdBP8FgYwqfkh4ri7mnD") {
		t.Errorf("keys %+v", p)
	}
	got := fmt.Sprintf("%d %d %d/%d/%d %d %d/%d %d/%d %d %d %d %v %d/%d", p.AuthBump, p.Status, p.LPMintDecimals, p.Mint0Decimals, p.Mint1Decimals,
		p.LPSupply, p.ProtocolFeesToken0, p.ProtocolFeesToken1, p.FundFeesToken0, p.FundFeesToken1, p.OpenTime, p.RecentEpoch,
		p.CreatorFeeOn, p.EnableCreatorFee, p.CreatorFeesToken0, p.CreatorFeesToken1)
	if want := "253 0 9/9/6 4192510124589 484814504/286186090 123593244/78871511 1746886997 833 0 false 0/0"; got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	c, err := DecodeRaydiumCPMM(RaydiumCPMMProgram, raw(t, "raydium_cpmm_BtGUff_wsol_creator_fee.b64"))
	if err != nil {
		t.Fatal(err)
	}
	got = fmt.Sprintf("%d %d/%d %d/%d %d %d %d %v %d/%d", c.LPSupply, c.ProtocolFeesToken0, c.ProtocolFeesToken1, c.FundFeesToken0, c.FundFeesToken1,
		c.OpenTime, c.RecentEpoch, c.CreatorFeeOn, c.EnableCreatorFee, c.CreatorFeesToken0, c.CreatorFeesToken1)
	if want := "3836966203034 49023014/3414305342 4037703/231412299 1756490919 841 1 true 59466681730/0"; got != want {
		t.Errorf("creator-fee pool %q, want %q", got, want)
	}
	if c.Token0Vault != pk("SvbJANoKJmz6RqEJBj5gjPrfurkKzhfGXUvaEams48y") || c.SwapDisabled() {
		t.Errorf("vault %s / swap disabled %v", c.Token0Vault, c.SwapDisabled())
	}
}

func TestDecodeWhirlpoolOnRealBytes(t *testing.T) {
	owner, data := account(t, "orca_whirlpool_HJPjo_sol_usdc.json")
	w, err := DecodeWhirlpool(owner, data)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%d %d %d %d %s %s %d %d/%d %s %s", w.Bump, w.TickSpacing, w.FeeRate, w.ProtocolFeeRate, w.Liquidity, w.SqrtPrice,
		w.TickCurrentIndex, w.ProtocolFeeOwedA, w.ProtocolFeeOwedB, w.FeeGrowthGlobalA, w.FeeGrowthGlobalB)
	if want := "255 64 2000 300 179999872843830 3706015876595606636 -32101 533835902873/25786963151 5195114924723508514 219749538362201637"; got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	if w.TokenMintA != wsol || w.TokenMintB != usdc || w.TokenVaultA != pk("3YQm7ujtXWJU2e9jhp2QGHpnn1ShXn12QjvzMvDgabpX") ||
		w.TokenVaultB != pk("2JTw1fE2wz1SymWUQ7UqpVtrTuKjcd6mWwYwUJUCh2rq") || w.RewardMints[0] != pk("orcaEKTdK7LKz57vaAYr9QeNsVEPfiu6QeMU1kektZE") ||
		w.Config != pk("2LecshUwdy9xi7meFgHtFJQNSKk4KdTrcpvaB56dP2NQ") {
		t.Errorf("keys %+v", w)
	}
	p, err := DecodeWhirlpool(OrcaWhirlpoolProgram, raw(t, "orca_whirlpool_HyA4ct_pump_usdc.b64"))
	if err != nil {
		t.Fatal(err)
	}
	got = fmt.Sprintf("%d %d %v %d %d %s %s %d %s %s", p.Bump, p.TickSpacing, p.FeeTierSeed, p.FeeRate, p.ProtocolFeeRate, p.Liquidity, p.SqrtPrice, p.TickCurrentIndex, p.FeeGrowthGlobalA, p.FeeGrowthGlobalB)
	if want := "255 4 [4 4] 400 1300 27294928523276 1479720588305778009 -50464 33776624149079213179 132055652616940219"; got != want {
		t.Errorf("pump pool %q, want %q", got, want)
	}
	if p.TokenMintA != pk("pumpCmXqMfrsAkQ5r49WcJnRayYRqmXz6ae8H7H9Dfn") || p.TokenVaultB != pk("5Mg2j1oUCfAWk2YcVirxyUA3js5zgHSyNFpsFACwBrxj") {
		t.Errorf("pump keys %+v", p)
	}
}

func TestDecodersRejectBadInput(t *testing.T) {
	_, amm := account(t, "raydium_amm_v4_58oQ_sol_usdc.json")
	_, vault := account(t, "orca_whirlpool_HJPjo_vault_b_usdc.json")
	cpmm := raw(t, "raydium_cpmm_Q2sPH_wsol.b64")
	_, whirl := account(t, "orca_whirlpool_HJPjo_sol_usdc.json")
	zeroed := func(b []byte, off, n int) []byte {
		c := append([]byte(nil), b...)
		for i := off; i < off+n; i++ {
			c[i] = 0
		}
		return c
	}
	badTag := append([]byte(nil), vault...)
	badTag[72] = 7
	cases := []struct {
		name string
		fn   func() error
		want error
	}{
		{"amm wrong owner", func() error { _, err := DecodeRaydiumAMMv4(TokenProgram, amm); return err }, ErrWrongOwner},
		{"amm truncated", func() error { _, err := DecodeRaydiumAMMv4(RaydiumAMMv4Program, amm[:751]); return err }, ErrWrongLength},
		{"amm empty", func() error { _, err := DecodeRaydiumAMMv4(RaydiumAMMv4Program, nil); return err }, ErrWrongLength},
		{"amm status 0", func() error { _, err := DecodeRaydiumAMMv4(RaydiumAMMv4Program, zeroed(amm, 0, 8)); return err }, ErrUninitialized},
		{"amm zero fee den", func() error { _, err := DecodeRaydiumAMMv4(RaydiumAMMv4Program, zeroed(amm, 184, 8)); return err }, ErrInvalid},
		{"token wrong owner", func() error { _, err := DecodeTokenAccount(RaydiumAMMv4Program, vault); return err }, ErrWrongOwner},
		{"token truncated", func() error { _, err := DecodeTokenAccount(TokenProgram, vault[:100]); return err }, ErrWrongLength},
		{"token uninitialized", func() error { _, err := DecodeTokenAccount(TokenProgram, zeroed(vault, 108, 1)); return err }, ErrUninitialized},
		{"token bad option tag", func() error { _, err := DecodeTokenAccount(TokenProgram, badTag); return err }, ErrInvalid},
		{"token-2022 with mint type", func() error {
			b := append(append([]byte(nil), vault...), 1, 0, 0)
			_, err := DecodeTokenAccount(Token2022Program, b)
			return err
		}, ErrWrongLength},
		{"mint given account bytes", func() error { _, err := DecodeMint(TokenProgram, vault); return err }, ErrWrongLength},
		{"cpmm wrong discriminator", func() error { _, err := DecodeRaydiumCPMM(RaydiumCPMMProgram, zeroed(cpmm, 0, 8)); return err }, ErrWrongDiscriminator},
		{"cpmm wrong owner", func() error { _, err := DecodeRaydiumCPMM(RaydiumAMMv4Program, cpmm); return err }, ErrWrongOwner},
		{"whirlpool as cpmm", func() error { _, err := DecodeRaydiumCPMM(RaydiumCPMMProgram, whirl[:637]); return err }, ErrWrongDiscriminator},
		{"whirlpool zero price", func() error { _, err := DecodeWhirlpool(OrcaWhirlpoolProgram, zeroed(whirl, 65, 16)); return err }, ErrInvalid},
	}
	for _, tc := range cases {
		err := tc.fn()
		var de *Error
		if !errors.Is(err, tc.want) || !errors.As(err, &de) {
			t.Errorf("%s: err %v, want %v as *decode.Error", tc.name, err, tc.want)
		}
	}
	// Token-2022 account with extensions (AccountType 2 after the base) is accepted.
	ext := append(append([]byte(nil), vault...), accountTypeAccount, 0, 0, 0, 0)
	if a, err := DecodeTokenAccount(Token2022Program, ext); err != nil || a.Amount != 1806982724843 {
		t.Errorf("token-2022 with extensions: %+v %v", a, err)
	}
	if Reason(&Error{Err: ErrWrongOwner}) != "wrong_owner" || Reason(errors.New("x")) != "other" {
		t.Error("Reason labels")
	}
}

func TestCPMMDiscriminatorMatchesFixture(t *testing.T) {
	if got := fmt.Sprintf("%x", raydiumCPMMDiscriminator); got != "f7ede3f5d7c3de46" {
		t.Fatalf("discriminator %s", got)
	}
}
