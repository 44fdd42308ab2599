package sign_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hft-ninja/hft-ninja/build/internal/regtest"
	"github.com/hft-ninja/hft-ninja/build/sign"
)

func pushRandom(t *testing.T) name.Digest { return regtest.PushRandom(t, regtest.Repo(t, "app")) }

func newKey(t *testing.T) signature.SignerVerifier { return regtest.Key(t) }

func TestSignVerifiesWithCosign(t *testing.T) {
	ctx := context.Background()
	d := pushRandom(t)
	sv := newKey(t)
	s := sign.New(sign.NewStaticKey(sv))
	if err := s.Sign(ctx, d); err != nil {
		t.Fatal(err)
	}
	// Signing twice keeps one signature (duplicate detection).
	if err := s.Sign(ctx, d); err != nil {
		t.Fatal(err)
	}
	sigs, _, err := cosign.VerifyImageSignatures(ctx, d, &cosign.CheckOpts{SigVerifier: sv, IgnoreTlog: true, ClaimVerifier: cosign.SimpleClaimVerifier})
	if err != nil {
		t.Fatalf("cosign rejects our signature: %v", err)
	}
	if len(sigs) != 1 {
		t.Errorf("%d signatures after signing twice, want 1", len(sigs))
	}
	inv, err := sign.Inspect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Signatures != 1 || len(inv.PredicateTypes) != 0 {
		t.Errorf("inventory = %+v", inv)
	}

	// Another key must not verify.
	if _, _, err := cosign.VerifyImageSignatures(ctx, d, &cosign.CheckOpts{SigVerifier: newKey(t), IgnoreTlog: true, ClaimVerifier: cosign.SimpleClaimVerifier}); err == nil {
		t.Error("a signature verified under an unrelated key")
	}
}

func TestPublicKeyPEM(t *testing.T) {
	k := sign.NewStaticKey(newKey(t))
	pem, err := k.PublicKeyPEM(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pem), "BEGIN PUBLIC KEY") || strings.Contains(string(pem), "PRIVATE") {
		t.Errorf("PublicKeyPEM = %q", pem)
	}
	if k.Keyless() {
		t.Error("static key reports keyless")
	}
}
