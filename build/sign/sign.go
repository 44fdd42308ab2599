package sign

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"
)

// Signer attaches a signature to the image or index at a digest.
type Signer interface {
	Sign(ctx context.Context, d name.Digest) error
}

// Cosign writes cosign signatures (the sha256-<digest>.sig tag scheme) that
// `cosign verify` and policy-controller read.
type Cosign struct {
	key  *Key
	opts []ociremote.Option
}

var _ Signer = (*Cosign)(nil)

// New returns a Signer using key; opts reach the registry client.
func New(key *Key, opts ...ociremote.Option) *Cosign { return &Cosign{key: key, opts: opts} }

// Sign signs d. Signing the same digest twice with the same key keeps one
// signature (cosign's duplicate detection), so re-running a release is safe.
func (c *Cosign) Sign(ctx context.Context, d name.Digest) error {
	payload, err := (&sigpayload.Cosign{Image: d}).MarshalJSON()
	if err != nil {
		return fmt.Errorf("building signing payload for %s: %w", d, err)
	}
	sig, err := c.key.SimpleSigning(ctx, payload)
	if err != nil {
		return fmt.Errorf("signing %s: %w", d, err)
	}
	opts := WithContext(ctx, c.opts)
	se := ociremote.SignedUnknown(d, opts...)
	newSE, err := mutate.AttachSignatureToEntity(se, sig, mutate.WithDupeDetector(dupeDetector(c.key)))
	if err != nil {
		return fmt.Errorf("attaching signature to %s: %w", d, err)
	}
	if err := ociremote.WriteSignatures(d.Repository, newSE, opts...); err != nil {
		return fmt.Errorf("pushing signature of %s: %w", d, err)
	}
	return nil
}
