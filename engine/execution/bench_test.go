package execution

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/gagliardetto/solana-go"
)

// BenchmarkBuildSign builds the two-leg arbitrage transaction (compute
// budget, Raydium v4 + CPMM swaps) and signs it. Target: < 60 µs.
func BenchmarkBuildSign(b *testing.B) {
	bld, err := NewBuilder(testKey())
	if err != nil {
		b.Fatal(err)
	}
	p := testPlan()
	if err := bld.Prepare(wsol, token); err != nil {
		b.Fatal(err)
	}
	ex := &SignOnly{B: bld, Blockhash: solana.MustHashFromBase58("4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ex.Execute(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEd25519Sign is the floor: signing alone.
func BenchmarkEd25519Sign(b *testing.B) {
	key := ed25519.PrivateKey(testKey())
	msg := make([]byte, 600)
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(key, msg)
	}
}

// BenchmarkSigner is signing with the pre-expanded key (what Build uses).
func BenchmarkSigner(b *testing.B) {
	sg, err := newSigner(ed25519.PrivateKey(testKey()))
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 600)
	b.ReportAllocs()
	for b.Loop() {
		sg.sign(msg)
	}
}
