package attest

import (
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"

	"github.com/hft-ninja/hft-ninja/build/sign"
)

// replacePredicate drops earlier attestations of one predicate type made by
// the same key when a new one is attached. cosign's own ReplaceOp drops
// every signer's (so a release with another key would erase this one's
// evidence) and prints a line to stderr for every attestation it looks at.
type replacePredicate struct {
	predicateType string
	key           *sign.Key
}

var _ mutate.ReplaceOp = replacePredicate{}

// Replace implements mutate.ReplaceOp.
func (r replacePredicate) Replace(existing oci.Signatures, added oci.Signature) (oci.Signatures, error) {
	sigs, err := existing.Get()
	if err != nil {
		return nil, err
	}
	kept := []oci.Signature{added}
	for _, s := range sigs {
		ann, err := s.Annotations()
		if err != nil {
			return nil, err
		}
		if ann["predicateType"] == r.predicateType && r.key.Signed(s) {
			continue
		}
		kept = append(kept, s)
	}
	return replaced{Signatures: existing, list: kept}, nil
}

type replaced struct {
	oci.Signatures
	list []oci.Signature
}

func (r replaced) Get() ([]oci.Signature, error) { return r.list, nil }
