package engine_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine"
	"github.com/hft-ninja/hft-ninja/engine/solanatest"
)

// syncBuffer collects JSON log lines from the engine goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) decisions() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(s.b.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil && m["msg"] == "decision" {
			out = append(out, m)
		}
	}
	return out
}

// ammInfoFor is TEST-ONLY data: the real 58oQ AmmInfo bytes with the coin
// and pc vault/mint fields pointed at another pool's vaults, because no
// AmmInfo of the recorded pools exists in the fixtures.
func ammInfoFor(t *testing.T, p realPool) []byte {
	a, err := solanatest.LoadAccount("raydium_amm_v4_58oQ_sol_usdc.json")
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte(nil), a.Data...)
	put := func(off int, s string) { k := solana.MustPublicKeyFromBase58(s); copy(b[off:], k[:]) }
	put(336, p.Quote.Pubkey) // coin = wSOL, as in pool 2
	put(368, p.Base.Pubkey)
	put(400, p.Quote.Mint)
	put(432, p.Base.Mint)
	binary.LittleEndian.PutUint64(b[192:], 0) // need_take_pnl: none, so reserves equal the vaults
	binary.LittleEndian.PutUint64(b[200:], 0)
	return b
}

// TestRunTradesOnlyOnFreshValidState runs the whole engine (dry-run, with
// a wallet) against the fake node serving the real pool balances: an
// opportunity is signed and simulated; stale data, invalid data and the
// kill switch each stop signing.
func TestRunTradesOnlyOnFreshValidState(t *testing.T) {
	pools := recordedPools(t)
	real := pools[arbPoolIndex]
	shadow := shadowOf(t, real)
	srv := solanatest.New()
	defer srv.Close()
	srv.SetSlot(swapSlot)
	var simulated atomic.Int32
	srv.Handle("getLatestBlockhash", func(json.RawMessage) (any, error) {
		return map[string]any{"context": map[string]any{"slot": swapSlot}, "value": map[string]any{"blockhash": "4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn", "lastValidBlockHeight": 1}}, nil
	})
	srv.Handle("simulateTransaction", func(params json.RawMessage) (any, error) {
		var p []json.RawMessage
		var s string
		if json.Unmarshal(params, &p) != nil || len(p) == 0 || json.Unmarshal(p[0], &s) != nil {
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
		if err := tx.VerifySignatures(); err != nil {
			return nil, fmt.Errorf("signature: %v", err)
		}
		simulated.Add(1)
		return map[string]any{"context": map[string]any{"slot": swapSlot}, "value": map[string]any{"err": nil, "logs": []string{}, "unitsConsumed": 61000}}, nil
	})
	var slot atomic.Uint64
	slot.Store(swapSlot)
	// Each state change lands in a new slot, as a swap on chain does.
	setVaults := func(p realPool, post bool) {
		srv.SetSlot(slot.Add(1))
		for _, v := range []realVault{p.Quote, p.Base} {
			amt := v.Pre
			if post {
				amt = v.Post
			}
			data, lamports := tokenAccountBytes(v, amt)
			srv.SetAccount(v.Pubkey, solanatest.Account{Lamports: lamports, Owner: v.Program, Data: data})
		}
	}
	setVaults(real, false)
	setVaults(shadow, false)
	for _, p := range []realPool{real, shadow} {
		srv.SetAccount(p.Amm, solanatest.Account{Lamports: 1, Owner: "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8", Data: ammInfoFor(t, p)})
	}

	cfg := testConfig(srv)
	cfg.StaleAfter = 400 * time.Millisecond
	cfg.Wallet = solana.PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	for _, p := range []realPool{real, shadow} {
		cfg.Pools = append(cfg.Pools, engine.PoolConfig{Name: p.Amm[:6], Kind: engine.PoolRaydiumAMMv4, FeeBps: 25,
			Address: solana.MustPublicKeyFromBase58(p.Amm), BaseVault: solana.MustPublicKeyFromBase58(p.Base.Pubkey), QuoteVault: solana.MustPublicKeyFromBase58(p.Quote.Pubkey)})
	}
	cfg.Risk.MaxNotional = 10_000_000_000
	var logs syncBuffer
	cfg.Logger = slogJSON(&logs)
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	base := "http://" + e.AdminAddr()
	stopPump := make(chan struct{})
	var pumpOn atomic.Bool
	pumpOn.Store(true)
	go func() {
		for {
			select {
			case <-stopPump:
				return
			case <-time.After(25 * time.Millisecond):
				if pumpOn.Load() {
					srv.PushSlot(slot.Add(1))
				}
			}
		}
	}()
	defer close(stopPump)
	ready := func() bool { code, _ := get(t, base+"/readyz"); return code == 200 }
	eventually(t, "subscriptions", func() bool { return srv.Subscribers("accountSubscribe") == 6 })
	eventually(t, "ready", ready)
	eventually(t, "blockhash", func() bool { return srv.Calls("getLatestBlockhash") > 0 })

	// 1. Fresh, valid, profitable: signed and simulated once. Further
	// evaluations of the same state (other accounts' snapshots arriving)
	// must not send a second transaction while the first is in flight.
	setVaults(real, true)
	var d map[string]any
	eventually(t, "simulated decision", func() bool {
		for _, x := range logs.decisions() {
			if x["execution"] == "simulated_ok" {
				d = x
				return true
			}
		}
		return false
	})
	if simulated.Load() != 1 || d["allow"] != true || d["signature"] == "" {
		t.Fatalf("decision %v after %d simulations", d, simulated.Load())
	}
	for _, x := range logs.decisions() {
		if x["execution"] != "simulated_ok" && x["exec_error"] != "a transaction on this pair is in flight" {
			t.Fatalf("unexpected decision %v", x)
		}
	}
	if strings.Contains(logs.String(), base64.StdEncoding.EncodeToString(cfg.Wallet)) || strings.Contains(logs.String(), cfg.Wallet.String()) {
		t.Fatal("wallet key in logs")
	}

	// 2. Stale: slots stop (websocket silent, HTTP rate-limited); an
	// opportunity seen meanwhile is denied, nothing is signed.
	// The slot sources fail (websocket slots stop, getSlot errors) while
	// account data still flows, by notification or snapshot.
	pumpOn.Store(false)
	srv.Handle("getSlot", func(json.RawMessage) (any, error) { return nil, errors.New("node is behind") })
	eventually(t, "stale", func() bool { return !ready() })
	time.Sleep(100 * time.Millisecond) // in-flight executions settle
	before := len(logs.decisions())
	setVaults(real, false)
	setVaults(real, true)
	eventually(t, "stale decision", func() bool { return len(logs.decisions()) > before })
	for _, d := range logs.decisions()[before:] {
		if d["allow"] != false || d["reason"] != "stale_data" {
			t.Fatalf("stale decision %v", d)
		}
	}
	srv.Handle("getSlot", nil)
	pumpOn.Store(true)
	eventually(t, "ready again", ready)

	// 3. Invalid data: a truncated vault is counted and the pool is not
	// priced until a valid update replaces it.
	setVaults(real, false)
	time.Sleep(150 * time.Millisecond) // let the pre-swap state settle
	n := len(logs.decisions())
	sims := simulated.Load()
	srv.SetSlot(slot.Add(1))
	srv.SetAccount(real.Base.Pubkey, solanatest.Account{Lamports: 1, Owner: real.Base.Program, Data: mustToken(real.Base, real.Base.Post)[:100]})
	eventually(t, "decode error counted", func() bool {
		_, m := get(t, base+"/metrics")
		return strings.Contains(m, `hftninja_decode_errors_total{reason="wrong_length"}`)
	})
	srv.SetSlot(slot.Add(1))
	srv.SetAccount(real.Quote.Pubkey, solanatest.Account{Lamports: 1, Owner: real.Quote.Program, Data: mustToken(real.Quote, real.Quote.Post)})
	time.Sleep(150 * time.Millisecond)
	if len(logs.decisions()) != n || simulated.Load() != sims {
		t.Fatalf("priced or signed from invalid state: %d decisions, %d simulations", len(logs.decisions()), simulated.Load())
	}

	// 4. Kill switch: valid fresh opportunity, denied.
	setVaults(real, false)
	resp, err := http.Post(base+"/v1/kill", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	setVaults(real, true)
	eventually(t, "killed decision", func() bool {
		ds := logs.decisions()
		return len(ds) > n && ds[len(ds)-1]["reason"] == "kill_switch"
	})
	if simulated.Load() != sims {
		t.Fatalf("signed after kill: %d simulations", simulated.Load())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func mustToken(v realVault, amount uint64) []byte {
	b, _ := tokenAccountBytes(v, amount)
	return b
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
