package sign

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
)

// Inventory is what is attached to one digest, read back from the registry.
type Inventory struct {
	Digest         string   `json:"digest"`
	Signatures     int      `json:"signatures"`
	PredicateTypes []string `json:"attestations"` // one entry per attestation
}

// Inspect reads the signatures and attestations attached to d. It checks
// presence only; verification is the policy stage's job.
func Inspect(ctx context.Context, d name.Digest, opts ...ociremote.Option) (Inventory, error) {
	inv := Inventory{Digest: d.DigestStr()}
	se := ociremote.SignedUnknown(d, WithContext(ctx, opts)...)
	sigs, err := se.Signatures()
	if err != nil {
		return inv, fmt.Errorf("reading signatures of %s: %w", d, err)
	}
	sl, err := sigs.Get()
	if err != nil {
		return inv, fmt.Errorf("reading signatures of %s: %w", d, err)
	}
	inv.Signatures = len(sl)
	atts, err := se.Attestations()
	if err != nil {
		return inv, fmt.Errorf("reading attestations of %s: %w", d, err)
	}
	al, err := atts.Get()
	if err != nil {
		return inv, fmt.Errorf("reading attestations of %s: %w", d, err)
	}
	for _, a := range al {
		ann, err := a.Annotations()
		if err != nil {
			return inv, fmt.Errorf("reading attestation of %s: %w", d, err)
		}
		inv.PredicateTypes = append(inv.PredicateTypes, ann["predicateType"])
	}
	sort.Strings(inv.PredicateTypes)
	return inv, nil
}

// WithContext adds ctx to registry options, so cancellation reaches every
// registry request cosign makes.
func WithContext(ctx context.Context, opts []ociremote.Option) []ociremote.Option {
	return append(append([]ociremote.Option{}, opts...), ociremote.WithMoreRemoteOptions(remote.WithContext(ctx)))
}
