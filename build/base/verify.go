package base

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore/pkg/fulcioroots"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Verifier checks the base image signature before a build may use it.
type Verifier interface {
	Verify(ctx context.Context, d name.Digest) error
}

// ErrUnverified means the base image has no acceptable signature.
var ErrUnverified = errors.New("base image signature not verified")

// KeyVerifier accepts signatures by one static key without a transparency
// log: the offline stand-in's "upstream" key.
type KeyVerifier struct {
	Key  signature.Verifier
	Opts []ociremote.Option
}

var _ Verifier = (*KeyVerifier)(nil)

// Verify implements Verifier.
func (v *KeyVerifier) Verify(ctx context.Context, d name.Digest) error {
	co := &cosign.CheckOpts{
		SigVerifier:        v.Key,
		IgnoreTlog:         true,
		ClaimVerifier:      cosign.SimpleClaimVerifier,
		RegistryClientOpts: v.Opts,
	}
	if _, _, err := cosign.VerifyImageSignatures(ctx, d, co); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnverified, d, err)
	}
	return nil
}

// KeylessVerifier accepts Fulcio-certified signatures from one CI identity,
// logged in Rekor: how Chainguard signs cgr.dev images.
type KeylessVerifier struct {
	Issuer        string // https://token.actions.githubusercontent.com
	SubjectRegExp string // Chainguard's images release workflow
	Opts          []ociremote.Option
}

var _ Verifier = (*KeylessVerifier)(nil)

// ChainguardIdentity is the keyless identity that signs cgr.dev/chainguard images.
func ChainguardIdentity() *KeylessVerifier {
	return &KeylessVerifier{
		Issuer:        "https://token.actions.githubusercontent.com",
		SubjectRegExp: `^https://github\.com/chainguard-images/images/\.github/workflows/release\.yaml@refs/heads/main$`,
	}
}

// Verify implements Verifier. It needs Sigstore's public-good TUF root,
// Fulcio and Rekor keys, so it only runs online (in CI).
func (v *KeylessVerifier) Verify(ctx context.Context, d name.Digest) error {
	roots, err := fulcioroots.Get()
	if err != nil {
		return fmt.Errorf("loading Fulcio roots: %w", err)
	}
	inter, err := fulcioroots.GetIntermediates()
	if err != nil {
		return fmt.Errorf("loading Fulcio intermediates: %w", err)
	}
	rekorKeys, err := cosign.GetRekorPubs(ctx)
	if err != nil {
		return fmt.Errorf("loading Rekor keys: %w", err)
	}
	ctKeys, err := cosign.GetCTLogPubs(ctx)
	if err != nil {
		return fmt.Errorf("loading CT log keys: %w", err)
	}
	co := &cosign.CheckOpts{
		RootCerts:          roots,
		IntermediateCerts:  inter,
		RekorPubKeys:       rekorKeys,
		CTLogPubKeys:       ctKeys,
		ClaimVerifier:      cosign.SimpleClaimVerifier,
		RegistryClientOpts: v.Opts,
		Identities:         []cosign.Identity{{Issuer: v.Issuer, SubjectRegExp: v.SubjectRegExp}},
	}
	if _, _, err := cosign.VerifyImageSignatures(ctx, d, co); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnverified, d, err)
	}
	return nil
}
