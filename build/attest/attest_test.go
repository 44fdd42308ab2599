package attest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hft-ninja/hft-ninja/build/attest"
	"github.com/hft-ninja/hft-ninja/build/internal/regtest"
	"github.com/hft-ninja/hft-ninja/build/sign"
)

func setup(t *testing.T) (name.Digest, signature.SignerVerifier) {
	t.Helper()
	return regtest.PushRandom(t, regtest.Repo(t, "app")), regtest.Key(t)
}

func TestAttestVerifiesAndKeepsHistory(t *testing.T) {
	ctx := context.Background()
	d, sv := setup(t)
	a := attest.New(sign.NewStaticKey(sv))
	st1, err := attest.Statement("https://example.com/p/v1", []byte(`{"n":1}`), d)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := attest.Statement("https://example.com/q/v1", []byte(`{"n":2}`), d)
	if err := a.Attest(ctx, d, st1, st2); err != nil {
		t.Fatal(err)
	}
	// Re-attesting adds; the earlier statement stays as evidence.
	st3, _ := attest.Statement("https://example.com/p/v1", []byte(`{"n":3}`), d)
	if err := a.Attest(ctx, d, st3); err != nil {
		t.Fatal(err)
	}
	atts, _, err := cosign.VerifyImageAttestations(ctx, d, &cosign.CheckOpts{SigVerifier: sv, IgnoreTlog: true, ClaimVerifier: cosign.IntotoSubjectClaimVerifier})
	if err != nil {
		t.Fatalf("cosign rejects our attestations: %v", err)
	}
	got := map[string][]int{}
	for _, att := range atts {
		p, _ := att.Payload()
		var env struct{ Payload []byte }
		if err := json.Unmarshal(p, &env); err != nil {
			t.Fatal(err)
		}
		var st struct {
			PredicateType string
			Predicate     struct{ N int }
		}
		if err := json.Unmarshal(env.Payload, &st); err != nil {
			t.Fatal(err)
		}
		got[st.PredicateType] = append(got[st.PredicateType], st.Predicate.N)
	}
	if len(got["https://example.com/p/v1"]) != 2 || len(got["https://example.com/q/v1"]) != 1 {
		t.Errorf("attestations = %v, want p: [1 3] and q: [2]", got)
	}
	// The same statement again is not duplicated.
	before := len(atts)
	if err := a.Attest(ctx, d, st3); err != nil {
		t.Fatal(err)
	}
	atts, _, _ = cosign.VerifyImageAttestations(ctx, d, &cosign.CheckOpts{SigVerifier: sv, IgnoreTlog: true, ClaimVerifier: cosign.IntotoSubjectClaimVerifier})
	if len(atts) != before {
		t.Errorf("identical attestation stacked: %d -> %d", before, len(atts))
	}
}

func TestAttestRefusesForeignSubject(t *testing.T) {
	ctx := context.Background()
	d, sv := setup(t)
	other, _ := name.NewDigest(d.Context().Name() + "@sha256:" + strings.Repeat("a", 64))
	st, _ := attest.Statement("https://example.com/p/v1", []byte(`{}`), other)
	err := attest.New(sign.NewStaticKey(sv)).Attest(ctx, d, st)
	if err == nil || !strings.Contains(err.Error(), "does not name") {
		t.Fatalf("err = %v, want a subject mismatch", err)
	}
	if _, err := attest.Statement("x", []byte("{not json"), d); err == nil {
		t.Error("non-JSON predicate accepted")
	}
	if err := attest.New(sign.NewStaticKey(sv)).Attest(ctx, d, []byte("garbage")); err == nil {
		t.Error("garbage statement accepted")
	}
}

func TestAttestKeepsOtherSignersAttestations(t *testing.T) {
	ctx := context.Background()
	d, sv := setup(t)
	other, _, _ := signature.NewDefaultECDSASignerVerifier()
	st, _ := attest.Statement("https://example.com/p/v1", []byte(`{"n":1}`), d)
	if err := attest.New(sign.NewStaticKey(sv)).Attest(ctx, d, st); err != nil {
		t.Fatal(err)
	}
	if err := attest.New(sign.NewStaticKey(other)).Attest(ctx, d, st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []signature.SignerVerifier{sv, other} {
		if _, _, err := cosign.VerifyImageAttestations(ctx, d, &cosign.CheckOpts{SigVerifier: k, IgnoreTlog: true, ClaimVerifier: cosign.IntotoSubjectClaimVerifier}); err != nil {
			t.Errorf("an attestation was lost when another key attested: %v", err)
		}
	}
}
