// Package sign attaches cosign signatures to pushed images, by digest.
//
// Key holds the signing material shared with attestations: a static key
// (offline profile) or a Fulcio certificate bound to a CI OIDC identity with
// Rekor transparency-log entries (production profile).
package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/sigstore/cosign/v2/cmd/cosign/cli/options"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/rekor"
	cosignsign "github.com/sigstore/cosign/v2/cmd/cosign/cli/sign"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	cremote "github.com/sigstore/cosign/v2/pkg/cosign/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	signatureoptions "github.com/sigstore/sigstore/pkg/signature/options"
)

// Key is signing material. Build one with NewStaticKey or NewKeyless.
type Key struct {
	sv    signature.SignerVerifier
	cert  []byte // Fulcio leaf, PEM; nil for static keys
	chain []byte
	rekor *client.Rekor // nil: no transparency log (offline)
}

// NewStaticKey signs with a key pair and no transparency log, which is what
// `cosign verify --key K --insecure-ignore-tlog` and a key authority without
// ctlog in a ClusterImagePolicy accept.
func NewStaticKey(sv signature.SignerVerifier) *Key { return &Key{sv: sv} }

// KeylessOptions select the Sigstore services for keyless signing.
type KeylessOptions struct {
	FulcioURL string // e.g. https://fulcio.sigstore.dev
	RekorURL  string // e.g. https://rekor.sigstore.dev
	// IDToken is an OIDC token; empty lets cosign's providers find one
	// (in GitHub Actions: the job's token, with `id-token: write`).
	IDToken string
}

// NewKeyless obtains a short-lived Fulcio certificate for an ephemeral key
// and uploads every signature to Rekor.
func NewKeyless(ctx context.Context, o KeylessOptions) (*Key, error) {
	ko := options.KeyOpts{
		FulcioURL:        o.FulcioURL,
		RekorURL:         o.RekorURL,
		IDToken:          o.IDToken,
		OIDCIssuer:       "https://oauth2.sigstore.dev/auth",
		OIDCClientID:     "sigstore",
		SkipConfirmation: true,
	}
	sv, _, err := cosignsign.SignerFromKeyOpts(ctx, "", "", ko)
	if err != nil {
		return nil, fmt.Errorf("creating ephemeral key: %w", err)
	}
	ksv, err := cosignsign.KeylessSigner(ctx, ko, sv)
	if err != nil {
		return nil, fmt.Errorf("getting a Fulcio certificate from %s: %w", o.FulcioURL, err)
	}
	rc, err := rekor.NewClient(o.RekorURL)
	if err != nil {
		return nil, fmt.Errorf("creating Rekor client for %s: %w", o.RekorURL, err)
	}
	return &Key{sv: ksv.SignerVerifier, cert: ksv.Cert, chain: ksv.Chain, rekor: rc}, nil
}

// Keyless reports whether signatures carry a Fulcio certificate.
func (k *Key) Keyless() bool { return k.cert != nil }

// PublicKeyPEM is the verification key (static keys) or the certificate.
func (k *Key) PublicKeyPEM(ctx context.Context) ([]byte, error) {
	if k.cert != nil {
		return k.cert, nil
	}
	pub, err := k.sv.PublicKey(signatureoptions.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}

// SimpleSigning signs a cosign simple-signing payload.
func (k *Key) SimpleSigning(ctx context.Context, payload []byte) (oci.Signature, error) {
	sig, err := k.sv.SignMessage(bytes.NewReader(payload), signatureoptions.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing payload: %w", err)
	}
	var opts []static.Option
	if k.cert != nil {
		opts = append(opts, static.WithCertChain(k.cert, k.chain))
	}
	if k.rekor != nil {
		hasher := sha256.New()
		hasher.Write(payload)
		entry, err := cosign.TLogUpload(ctx, k.rekor, sig, hasher, k.cert)
		if err != nil {
			return nil, fmt.Errorf("uploading signature to Rekor: %w", err)
		}
		opts = append(opts, static.WithBundle(cbundle.EntryToBundle(entry)))
	}
	return static.NewSignature(payload, base64.StdEncoding.EncodeToString(sig), opts...)
}

// DSSE signs an in-toto statement as a DSSE envelope, the form cosign
// attestations and policy-controller's attestation checks read.
func (k *Key) DSSE(ctx context.Context, statement []byte, predicateType string) (oci.Signature, error) {
	wrapped := dsse.WrapSigner(k.sv, types.IntotoPayloadType)
	env, err := wrapped.SignMessage(bytes.NewReader(statement), signatureoptions.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing attestation: %w", err)
	}
	opts := []static.Option{
		static.WithLayerMediaType(types.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": predicateType}),
	}
	if k.cert != nil {
		opts = append(opts, static.WithCertChain(k.cert, k.chain))
	}
	if k.rekor != nil {
		entry, err := cosign.TLogUploadDSSEEnvelope(ctx, k.rekor, env, k.cert)
		if err != nil {
			return nil, fmt.Errorf("uploading attestation to Rekor: %w", err)
		}
		opts = append(opts, static.WithBundle(cbundle.EntryToBundle(entry)))
	}
	return static.NewAttestation(env, opts...)
}

// dupeDetector finds an existing signature by the same key so re-signing
// does not stack identical signatures.
func dupeDetector(k *Key) mutate.DupeDetector { return cremote.NewDupeDetector(k.sv) }

// DupeDetector is exported for attestations, which share the key.
func (k *Key) DupeDetector() mutate.DupeDetector { return dupeDetector(k) }

// Signed reports whether an attestation's DSSE envelope verifies under
// this key, so replacing "our earlier attestation" never removes another
// signer's.
func (k *Key) Signed(att oci.Signature) bool {
	env, err := att.Payload()
	if err != nil {
		return false
	}
	return dsse.WrapVerifier(k.sv).VerifySignature(bytes.NewReader(env), nil) == nil
}
