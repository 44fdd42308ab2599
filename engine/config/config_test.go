package config

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hft-ninja/hft-ninja/engine"
)

const sample = `
rpc_url: https://rpc.example.com
ws_url: wss://rpc.example.com
commitment: processed
admin_addr: 0.0.0.0:9090
stale_after: 3s
poll_interval: 250ms
pools:
  - name: a
    kind: raydium-amm-v4
    address: AJCNdUWWJV32fX9FrSpdSdezBTuXmYgPUwFHFKgxYcLZ
    base_vault: DQZwzT4yFbYgtpCGPQXmVJLa3V2rpCCPGgq4T7DDJi7i
    quote_vault: HAGiCPMxbxwmBAuNednL9JTSncUH7uwmjjzuvrVeR76E
strategy:
  min_profit_lamports: 50000
  base_fee_lamports: 5000
  compute_unit_limit: 250000
  compute_unit_price_micro_lamports: 2000
risk:
  max_notional_lamports: 1000000000
  max_open_exposure_lamports: 2000000000
  daily_loss_limit_lamports: 100000000
  max_consecutive_failures: 3
`

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadYAMLThenEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path, env(map[string]string{EnvWSURL: "wss://other.example.com", EnvWallet: "/keys/id.json"}))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Engine
	if c.RPCURL != "https://rpc.example.com" || c.WSURL != "wss://other.example.com" || c.Commitment != "processed" ||
		c.AdminAddr != "0.0.0.0:9090" || c.StaleAfter != 3*time.Second || c.PollInterval != 250*time.Millisecond ||
		c.RPCTimeout != engine.DefaultConfig().RPCTimeout || s.WalletPath != "/keys/id.json" {
		t.Fatalf("loaded %+v wallet %q", c, s.WalletPath)
	}
	if len(c.Pools) != 1 || c.Pools[0].Address.String() != "AJCNdUWWJV32fX9FrSpdSdezBTuXmYgPUwFHFKgxYcLZ" || c.Strategy.MinProfit != 50000 || c.Risk.MaxConsecutiveFailures != 3 {
		t.Fatalf("pools/strategy/risk %+v %+v %+v", c.Pools, c.Strategy, c.Risk)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("sample invalid: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown key":  {"rpc_uri: x\n", "rpc_uri"},
		"bad duration": {"stale_after: soon\n", "soon"},
		"bad pubkey":   {"pools:\n  - name: a\n    address: notakey\n", "invalid public key"},
		"not yaml":     {"[\n", "parsing YAML"},
	} {
		if _, err := Parse([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
	// Semantics are checked by Validate.
	s, err := Parse([]byte("pools:\n  - name: a\n    kind: orca\n    address: AJCNdUWWJV32fX9FrSpdSdezBTuXmYgPUwFHFKgxYcLZ\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Engine.Validate(); err == nil || !strings.Contains(err.Error(), "kind") {
		t.Fatalf("bad pool kind accepted: %v", err)
	}
}

func writeKey(t *testing.T, mode os.FileMode, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "id.json")
	if err := os.WriteFile(path, content, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func keyJSON(t testing.TB) ([]byte, ed25519.PrivateKey) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	ints := make([]int, len(key))
	for i, b := range key {
		ints[i] = int(b)
	}
	raw, err := json.Marshal(ints)
	if err != nil {
		panic(err)
	}
	return raw, key
}

func TestLoadKeypair(t *testing.T) {
	raw, key := keyJSON(t)
	k, err := LoadKeypair(writeKey(t, 0o600, raw))
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.PublicKey(k.PublicKey().Bytes()).Equal(key.Public()) {
		t.Fatal("public key differs")
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if _, err := LoadKeypair(writeKey(t, mode, raw)); !errors.Is(err, ErrKeyPermissions) {
			t.Errorf("mode %o: err %v", mode, err)
		}
	}
	tampered := append([]byte(nil), raw...)
	tampered[len(tampered)-2] = '9' // last byte of the public half
	bad := map[string][]byte{
		"short":    []byte("[1,2,3]"),
		"not json": []byte("secret-material-here"),
		"range":    []byte("[" + strings.Repeat("300,", 63) + "300]"),
		"mismatch": tampered,
	}
	for name, content := range bad {
		_, err := LoadKeypair(writeKey(t, 0o600, content))
		if err == nil {
			t.Errorf("%s accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "secret-material") || strings.Contains(err.Error(), string(raw[:20])) {
			t.Errorf("%s: error leaks key file content: %v", name, err)
		}
	}
	if _, err := LoadKeypair(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestKeyPolicyGroupReadForKubernetesSecrets(t *testing.T) {
	raw, _ := keyJSON(t)
	path := writeKey(t, 0o440, raw)
	if _, err := LoadKeypair(path); !errors.Is(err, ErrKeyPermissions) {
		t.Fatalf("strict policy accepted 0440: %v", err)
	}
	if _, err := LoadKeypairWith(path, KeyPolicy{AllowGroupRead: true}); err != nil {
		t.Fatalf("group-read policy refused 0440: %v", err)
	}
	for _, mode := range []os.FileMode{0o460, 0o444, 0o404} {
		if _, err := LoadKeypairWith(writeKey(t, mode, raw), KeyPolicy{AllowGroupRead: true}); !errors.Is(err, ErrKeyPermissions) {
			t.Errorf("group-read policy accepted %04o: %v", mode, err)
		}
	}
	s, err := Parse([]byte("wallet: /x\nwallet_group_readable: true\n"))
	if err != nil || !s.KeyPolicy.AllowGroupRead || s.WalletPath != "/x" {
		t.Fatalf("parse %+v %v", s, err)
	}
}
