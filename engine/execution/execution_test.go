package execution

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

func testKey() solana.PrivateKey {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i + 1)
	}
	return solana.PrivateKey(ed25519.NewKeyFromSeed(seed))
}

var (
	wsol  = solana.MustPublicKeyFromBase58("So11111111111111111111111111111111111111112")
	token = solana.MustPublicKeyFromBase58("HsNx7RirehVMy54xnFtcgCBPDMrwNnJKykageqdWpump")
)

// testPlan is the arbitrage of the real pool #2 (pre/post swap) with the
// real vault addresses of the recording.
func testPlan() Plan {
	pool := solana.MustPublicKeyFromBase58("AJCNdUWWJV32fX9FrSpdSdezBTuXmYgPUwFHFKgxYcLZ")
	coin := solana.MustPublicKeyFromBase58("HAGiCPMxbxwmBAuNednL9JTSncUH7uwmjjzuvrVeR76E")
	pc := solana.MustPublicKeyFromBase58("DQZwzT4yFbYgtpCGPQXmVJLa3V2rpCCPGgq4T7DDJi7i")
	return Plan{
		ComputeUnitLimit: 300_000, ComputeUnitPrice: 1_000,
		Legs: []Leg{
			{Kind: RaydiumV4, Pool: pool, CoinVault: coin, PCVault: pc, InVault: coin, OutVault: pc, InMint: wsol, OutMint: token, AmountIn: 6537692553, MinOut: 193684855071},
			{Kind: RaydiumCPMM, Pool: solana.MustPublicKeyFromBase58("Q2sPHPdUWFMg7M7wwrQKLrn619cAucfRsmhVJffodSp"),
				AmmConfig: solana.MustPublicKeyFromBase58("D4FPEruKEHrG5TenZ2mpDGEfu1iUvTiqBxvpU8HLBvC2"), Observation: solana.MustPublicKeyFromBase58("4UdSz2kMddtX4woMmdgkWg75fdBP8FgYwqfkh4ri7mnD"),
				InVault: pc, OutVault: coin, InMint: token, OutMint: wsol, AmountIn: 193684855071, MinOut: 6537692553 + 5300 + 10_000},
		},
	}
}

func TestBuildSignsAVerifiableTransaction(t *testing.T) {
	b, err := NewBuilder(testKey())
	if err != nil {
		t.Fatal(err)
	}
	hash := solana.MustHashFromBase58("4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn")
	tx, err := b.Build(testPlan(), hash)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.VerifySignatures(); err != nil {
		t.Fatalf("signature: %v", err)
	}
	raw, err := tx.MarshalBinary()
	if err != nil || len(raw) > 1232 {
		t.Fatalf("serialised %d bytes (%v); packet limit is 1232", len(raw), err)
	}
	// Round trip through the wire format and check every instruction.
	back, err := solana.TransactionFromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	if back.Message.RecentBlockhash != hash || back.Message.AccountKeys[0] != b.Payer() {
		t.Fatal("blockhash or fee payer wrong")
	}
	ixs := back.Message.Instructions
	if len(ixs) != 4 {
		t.Fatalf("%d instructions, want 4", len(ixs))
	}
	prog := func(i int) solana.PublicKey { return back.Message.AccountKeys[ixs[i].ProgramIDIndex] }
	if prog(0) != solana.ComputeBudget || prog(1) != solana.ComputeBudget || prog(2) != raydiumV4Program || prog(3) != raydiumCPMMProg {
		t.Fatalf("programs %s %s %s %s", prog(0), prog(1), prog(2), prog(3))
	}
	// SetComputeUnitLimit (tag 2, u32) and SetComputeUnitPrice (tag 3, u64).
	if d := ixs[0].Data; d[0] != 2 || binary.LittleEndian.Uint32(d[1:]) != 300_000 {
		t.Fatalf("CU limit data %x", d)
	}
	if d := ixs[1].Data; d[0] != 3 || binary.LittleEndian.Uint64(d[1:]) != 1_000 {
		t.Fatalf("CU price data %x", d)
	}
	if d := ixs[2].Data; len(d) != 17 || d[0] != 16 || binary.LittleEndian.Uint64(d[1:]) != 6537692553 || binary.LittleEndian.Uint64(d[9:]) != 193684855071 {
		t.Fatalf("raydium v4 data %x", d)
	}
	if len(ixs[2].Accounts) != 8 || len(ixs[3].Accounts) != 13 {
		t.Fatalf("account counts %d/%d", len(ixs[2].Accounts), len(ixs[3].Accounts))
	}
	if d := ixs[3].Data; fmt.Sprintf("%x", []byte(d[:8])) != "8fbe5adac41e33de" || binary.LittleEndian.Uint64(d[16:]) != 6537692553+15300 {
		t.Fatalf("cpmm data %x", d)
	}
	// The wallet ATAs are the real associated-token PDAs.
	ata, _, _ := solana.FindAssociatedTokenAddress(b.Payer(), wsol)
	if back.Message.AccountKeys[ixs[2].Accounts[5]] != ata {
		t.Fatal("v4 source is not the wallet's wSOL ATA")
	}
	// The key never appears in formatted output.
	if s := fmt.Sprintf("%v %+v %s", b, b, b); strings.Contains(s, testKey().String()) || strings.Contains(s, fmt.Sprint([]byte(testKey()))) {
		t.Fatal("builder formatting leaks the key")
	}
}

func TestBuildRejectsBadPlans(t *testing.T) {
	b, _ := NewBuilder(testKey())
	if _, err := b.Build(Plan{ComputeUnitLimit: 1}, solana.Hash{}); err == nil {
		t.Fatal("empty plan built")
	}
	p := testPlan()
	p.Legs[0].Kind = 9
	if _, err := b.Build(p, solana.Hash{}); err == nil {
		t.Fatal("unknown kind built")
	}
	p = testPlan()
	p.TipLamports = 1000
	if _, err := b.Build(p, solana.Hash{}); err == nil {
		t.Fatal("tip without account built")
	}
	if _, err := NewBuilder(solana.PrivateKey{1, 2}); err == nil {
		t.Fatal("short key accepted")
	}
}

// rpcNode serves blockhash, simulation and sending; simulateTransaction
// really decodes the transaction and verifies its signature.
func rpcNode(t *testing.T) (*solanatest.Server, *atomic.Int32) {
	srv := solanatest.New()
	t.Cleanup(srv.Close)
	srv.Handle("getLatestBlockhash", func(json.RawMessage) (any, error) {
		return map[string]any{"context": map[string]any{"slot": 100}, "value": map[string]any{"blockhash": "4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn", "lastValidBlockHeight": 200}}, nil
	})
	decode := func(params json.RawMessage) (*solana.Transaction, error) {
		var p []json.RawMessage
		var s string
		if err := json.Unmarshal(params, &p); err != nil || len(p) == 0 || json.Unmarshal(p[0], &s) != nil {
			return nil, errors.New("bad params")
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		tx, err := solana.TransactionFromBytes(raw)
		if err != nil {
			return nil, err
		}
		return tx, tx.VerifySignatures()
	}
	srv.Handle("simulateTransaction", func(params json.RawMessage) (any, error) {
		tx, err := decode(params)
		if err != nil {
			return nil, fmt.Errorf("invalid transaction: %v", err)
		}
		return map[string]any{"context": map[string]any{"slot": 100}, "value": map[string]any{
			"err": map[string]any{"InstructionError": []any{2, map[string]any{"Custom": 30}}}, "logs": []string{"Program log: " + tx.Signatures[0].String()}, "unitsConsumed": 42000}}, nil
	})
	var statusCalls atomic.Int32
	srv.Handle("sendTransaction", func(params json.RawMessage) (any, error) {
		tx, err := decode(params)
		if err != nil {
			return nil, err
		}
		return tx.Signatures[0].String(), nil
	})
	srv.Handle("getSignatureStatuses", func(json.RawMessage) (any, error) {
		if statusCalls.Add(1) < 3 {
			return map[string]any{"context": map[string]any{"slot": 101}, "value": []any{nil}}, nil
		}
		return map[string]any{"context": map[string]any{"slot": 102}, "value": []any{map[string]any{"slot": 102, "confirmations": 1, "err": nil, "confirmationStatus": "confirmed"}}}, nil
	})
	srv.Handle("getBlockHeight", func(json.RawMessage) (any, error) { return 150, nil })
	return srv, &statusCalls
}

func TestDryRunSimulatesSignedTransaction(t *testing.T) {
	srv, _ := rpcNode(t)
	b, _ := NewBuilder(testKey())
	c := rpc.New(srv.RPCURL())
	hashes := NewBlockhashes(c, time.Hour, time.Second, nil)
	d := &DryRun{B: b, RPC: c, Hashes: hashes, Timeout: time.Second}
	if _, err := d.Execute(context.Background(), testPlan()); !errors.Is(err, ErrNoBlockhash) {
		t.Fatalf("executed without a blockhash: %v", err)
	}
	if err := hashes.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := d.Execute(context.Background(), testPlan())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Simulated || res.Sent || res.UnitsConsumed != 42000 || !strings.Contains(res.SimErr, "Custom") || res.OK() {
		t.Fatalf("result %+v", res)
	}
	if srv.Calls("sendTransaction") != 0 {
		t.Fatal("dry-run sent a transaction")
	}
	// RPC failure surfaces as an error, not a panic.
	srv.Fail429(1)
	if _, err := d.Execute(context.Background(), testPlan()); err == nil {
		t.Fatal("429 on simulate not reported")
	}
}

func TestLiveSendsUntilConfirmed(t *testing.T) {
	srv, calls := rpcNode(t)
	b, _ := NewBuilder(testKey())
	c := rpc.New(srv.RPCURL())
	hashes := NewBlockhashes(c, time.Hour, time.Second, nil)
	if err := hashes.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := &Live{B: b, RPC: c, Hashes: hashes, Timeout: time.Second, Resend: 10 * time.Millisecond}
	res, err := l.Execute(context.Background(), testPlan())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Sent || !res.Confirmed || !res.OK() || calls.Load() != 3 || srv.Calls("sendTransaction") != 3 {
		t.Fatalf("result %+v after %d status calls, %d sends", res, calls.Load(), srv.Calls("sendTransaction"))
	}
	// Expiry: block height passes lastValidBlockHeight before confirmation.
	srv.Handle("getSignatureStatuses", func(json.RawMessage) (any, error) {
		return map[string]any{"context": map[string]any{"slot": 1}, "value": []any{nil}}, nil
	})
	srv.Handle("getBlockHeight", func(json.RawMessage) (any, error) { return 201, nil })
	if _, err := l.Execute(context.Background(), testPlan()); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expiry not detected: %v", err)
	}
}

// TestLiveConfirmsThroughSignatureSubscribe: statuses never confirm, the
// websocket notification does.
func TestLiveConfirmsThroughSignatureSubscribe(t *testing.T) {
	srv, _ := rpcNode(t)
	srv.Handle("getSignatureStatuses", func(json.RawMessage) (any, error) {
		return map[string]any{"context": map[string]any{"slot": 1}, "value": []any{nil}}, nil
	})
	b, _ := NewBuilder(testKey())
	c := rpc.New(srv.RPCURL())
	hashes := NewBlockhashes(c, time.Hour, time.Second, nil)
	if err := hashes.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := &Live{B: b, RPC: c, Hashes: hashes, Timeout: time.Second, Resend: 20 * time.Millisecond, WSURL: srv.WSURL()}
	tx, err := b.Build(testPlan(), solana.MustHashFromBase58("4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn"))
	if err != nil {
		t.Fatal(err)
	}
	sig := tx.Signatures[0].String()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	notifyOnSubscribe := func(n int, err any) {
		for srv.Calls("signatureSubscribe") < n || srv.NotifySignature(sig, err) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	go notifyOnSubscribe(1, nil)
	res, err := l.Execute(ctx, testPlan())
	if err != nil || !res.Confirmed || res.Signature.String() != sig {
		t.Fatalf("result %+v err %v", res, err)
	}
	// An on-chain error delivered by notification fails the execution.
	go notifyOnSubscribe(2, map[string]any{"InstructionError": []any{3, map[string]any{"Custom": 30}}})
	if _, err := l.Execute(ctx, testPlan()); err == nil || !strings.Contains(err.Error(), "failed on chain") {
		t.Fatalf("on-chain failure not reported: %v", err)
	}
}

// TestLiveReadsRealisedPnLBack: after confirmation the transaction is read
// back and parsed (engine/txparse); the wallet's SOL and wSOL changes are
// the realised PnL.
func TestLiveReadsRealisedPnLBack(t *testing.T) {
	srv, _ := rpcNode(t)
	b, _ := NewBuilder(testKey())
	hash := solana.MustHashFromBase58("4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn")
	tx, err := b.Build(testPlan(), hash)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tx.MarshalBinary()
	n := len(tx.Message.AccountKeys)
	pre, post := make([]uint64, n), make([]uint64, n)
	pre[0], post[0] = 1_000_000_000, 1_000_000_000-5300 // fee and priority fee
	wsolATA, _, _ := solana.FindAssociatedTokenAddress(b.Payer(), wsol)
	ataIdx := -1
	for i, k := range tx.Message.AccountKeys {
		if k == wsolATA {
			ataIdx = i
		}
	}
	bal := func(amount string) []any {
		return []any{map[string]any{"accountIndex": ataIdx, "mint": wsol.String(), "owner": b.Payer().String(),
			"uiTokenAmount": map[string]any{"amount": amount, "decimals": 9}}}
	}
	srv.Handle("getTransaction", func(json.RawMessage) (any, error) {
		return map[string]any{"slot": 102, "transaction": []string{base64.StdEncoding.EncodeToString(raw), "base64"},
			"meta": map[string]any{"err": nil, "fee": 5300, "preBalances": pre, "postBalances": post,
				"preTokenBalances": bal("10000000000"), "postTokenBalances": bal("10087214381"),
				"loadedAddresses": map[string]any{"writable": []string{}, "readonly": []string{}}}}, nil
	})
	c := rpc.New(srv.RPCURL())
	hashes := NewBlockhashes(c, time.Hour, time.Second, nil)
	if err := hashes.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := &Live{B: b, RPC: c, Hashes: hashes, Timeout: time.Second, Resend: 10 * time.Millisecond}
	res, err := l.Execute(context.Background(), testPlan())
	if err != nil || !res.Confirmed {
		t.Fatalf("%+v %v", res, err)
	}
	if !res.HaveRealised || res.Realised != 87214381-5300 {
		t.Fatalf("realised %d (have %v), want %d", res.Realised, res.HaveRealised, 87214381-5300)
	}
}
