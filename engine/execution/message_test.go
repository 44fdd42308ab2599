package execution

import (
	"bytes"
	"testing"

	"github.com/gagliardetto/solana-go"
	computebudget "github.com/gagliardetto/solana-go/programs/compute-budget"
	"github.com/gagliardetto/solana-go/programs/system"
)

// TestCompileMatchesSolanaGo holds the hand-rolled message compiler and
// compute-budget encoders byte-equal to solana-go's NewTransaction + Sign.
func TestCompileMatchesSolanaGo(t *testing.T) {
	b, _ := NewBuilder(testKey())
	hash := solana.MustHashFromBase58("4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn")
	plans := []Plan{testPlan()}
	withTip := testPlan()
	withTip.TipLamports, withTip.TipAccount = 10_000, solana.MustPublicKeyFromBase58("96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5")
	plans = append(plans, withTip)
	oneLeg := testPlan()
	oneLeg.Legs = oneLeg.Legs[:1]
	plans = append(plans, oneLeg)
	for i, p := range plans {
		got, err := b.Build(p, hash)
		if err != nil {
			t.Fatal(err)
		}
		// Reference: the same instructions through solana-go.
		limit := computebudget.NewSetComputeUnitLimitInstruction(p.ComputeUnitLimit).Build()
		price := computebudget.NewSetComputeUnitPriceInstruction(p.ComputeUnitPrice).Build()
		for j, pair := range [][2]solana.Instruction{{limit, setComputeUnitLimit(p.ComputeUnitLimit)}, {price, setComputeUnitPrice(p.ComputeUnitPrice)}} {
			d1, _ := pair[0].Data()
			d2, _ := pair[1].Data()
			if !bytes.Equal(d1, d2) || pair[0].ProgramID() != pair[1].ProgramID() {
				t.Fatalf("compute budget instruction %d differs: %x vs %x", j, d1, d2)
			}
		}
		ixs := []solana.Instruction{limit, price}
		for _, l := range p.Legs {
			ix, err := b.swap(l)
			if err != nil {
				t.Fatal(err)
			}
			ixs = append(ixs, ix)
		}
		if p.TipLamports > 0 {
			ixs = append(ixs, system.NewTransferInstruction(p.TipLamports, b.Payer(), p.TipAccount).Build())
		}
		want, err := solana.NewTransaction(ixs, hash, solana.TransactionPayer(b.Payer()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := want.Sign(func(k solana.PublicKey) *solana.PrivateKey {
			if k == b.Payer() {
				return &b.key
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		gotRaw, _ := got.MarshalBinary()
		wantRaw, _ := want.MarshalBinary()
		if !bytes.Equal(gotRaw, wantRaw) {
			t.Fatalf("plan %d: transaction differs from solana-go's\n got %x\nwant %x", i, gotRaw, wantRaw)
		}
	}
}
