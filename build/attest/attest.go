// Package attest attaches signed in-toto attestations (DSSE envelopes) to
// pushed images, by digest, in cosign's .att tag scheme.
package attest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	"github.com/hft-ninja/hft-ninja/build/sign"
)

// Attester attaches in-toto statements to the image at a digest.
type Attester interface {
	Attest(ctx context.Context, d name.Digest, statements ...[]byte) error
}

// Cosign signs statements with a sign.Key and pushes them as attestations.
type Cosign struct {
	key  *sign.Key
	opts []ociremote.Option
}

var _ Attester = (*Cosign)(nil)

// New returns an Attester signing with key.
func New(key *sign.Key, opts ...ociremote.Option) *Cosign { return &Cosign{key: key, opts: opts} }

// Attest checks that every statement names d as a subject, signs them and
// attaches them in one write. Earlier attestations are never removed: a
// re-run (or a denied run) must not erase the evidence of a published
// release; identical ones are not duplicated.
func (c *Cosign) Attest(ctx context.Context, d name.Digest, statements ...[]byte) error {
	opts := sign.WithContext(ctx, c.opts)
	var se oci.SignedEntity = ociremote.SignedUnknown(d, opts...)
	have, err := c.existing(se)
	if err != nil {
		return fmt.Errorf("reading attestations of %s: %w", d, err)
	}
	for _, statement := range statements {
		pt, err := check(d, statement)
		if err != nil {
			return err
		}
		if have[string(statement)] {
			continue // already attested by this key
		}
		att, err := c.key.DSSE(ctx, statement, pt)
		if err != nil {
			return fmt.Errorf("attesting %s (%s): %w", d, pt, err)
		}
		if se, err = mutate.AttachAttestationToEntity(se, att, mutate.WithDupeDetector(c.key.DupeDetector())); err != nil {
			return fmt.Errorf("attaching %s attestation to %s: %w", pt, d, err)
		}
	}
	if err := ociremote.WriteAttestations(d.Repository, se, opts...); err != nil {
		return fmt.Errorf("pushing attestations of %s: %w", d, err)
	}
	return nil
}

// existing returns the statements this key already attached to se.
// ECDSA signatures differ on every run, so cosign's duplicate detection
// cannot see that a statement is already there.
func (c *Cosign) existing(se oci.SignedEntity) (map[string]bool, error) {
	atts, err := se.Attestations()
	if err != nil {
		return nil, err
	}
	list, err := atts.Get()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, a := range list {
		if !c.key.Signed(a) {
			continue
		}
		p, err := a.Payload()
		if err != nil {
			continue
		}
		var env struct {
			Payload []byte `json:"payload"`
		}
		if json.Unmarshal(p, &env) == nil {
			out[string(env.Payload)] = true
		}
	}
	return out, nil
}

// check returns the statement's predicate type after making sure it is an
// in-toto statement about d.
func check(d name.Digest, statement []byte) (string, error) {
	var st struct {
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(statement, &st); err != nil {
		return "", fmt.Errorf("attestation for %s is not an in-toto statement: %w", d, err)
	}
	if st.PredicateType == "" {
		return "", fmt.Errorf("attestation for %s has no predicateType", d)
	}
	want := d.DigestStr()
	for _, s := range st.Subject {
		for alg, hex := range s.Digest {
			if alg+":"+hex == want {
				return st.PredicateType, nil
			}
		}
	}
	return "", fmt.Errorf("attestation %s does not name %s as a subject", st.PredicateType, want)
}

// Statement wraps a JSON predicate (an SBOM document, say) in an in-toto
// statement about subjects.
func Statement(predicateType string, predicate []byte, subjects ...name.Digest) ([]byte, error) {
	if !json.Valid(predicate) {
		return nil, fmt.Errorf("%s predicate is not JSON", predicateType)
	}
	subs := make([]in_toto.Subject, 0, len(subjects))
	for _, d := range subjects {
		alg, hex, _ := strings.Cut(d.DigestStr(), ":")
		subs = append(subs, in_toto.Subject{Name: d.Context().Name(), Digest: common.DigestSet{alg: hex}})
	}
	st := in_toto.Statement{
		StatementHeader: in_toto.StatementHeader{Type: in_toto.StatementInTotoV01, PredicateType: predicateType, Subject: subs},
		Predicate:       json.RawMessage(predicate),
	}
	return json.Marshal(st)
}
