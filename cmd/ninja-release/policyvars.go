package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/hft-ninja/hft-ninja/build/pipeline"
	"github.com/hft-ninja/hft-ninja/build/provenance"
	"github.com/hft-ninja/hft-ninja/build/sign"
)

type v1Platform = v1.Platform

// PolicyVars are the values policy templates may use ({{ .ReleaseKey }}…).
type PolicyVars struct {
	ReleaseKey       string
	Repository       string
	SourceRepository string
	BuilderID        string
	BuildType        string
	BaseDigestHex    string
}

var (
	hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// Values pasted into Rego string literals: no quotes, backslashes,
	// braces or whitespace, so a value cannot close the literal.
	safeValue = regexp.MustCompile(`^[A-Za-z0-9._~:/?#@!$&()*+,;=%-]+$`)
)

// validate refuses values that could change a policy's meaning when
// rendered into it (they come from flags and the unsigned release record).
func (v PolicyVars) validate() error {
	if !hexDigest.MatchString(v.BaseDigestHex) {
		return fmt.Errorf("base image digest %q is not 64 hex characters", v.BaseDigestHex)
	}
	for name, val := range map[string]string{"repository": v.Repository, "source repository": v.SourceRepository, "builder id": v.BuilderID, "build type": v.BuildType} {
		if !safeValue.MatchString(val) {
			return fmt.Errorf("%s %q has characters not allowed in a policy value", name, val)
		}
	}
	return nil
}

func policyVars(ctx context.Context, key *sign.Key, repo name.Repository, cfg pipeline.Config, baseDigest name.Digest) (PolicyVars, error) {
	pem, err := key.PublicKeyPEM(ctx)
	if err != nil {
		return PolicyVars{}, err
	}
	v := placeholderVars(repo, cfg)
	v.ReleaseKey = string(pem)
	v.BaseDigestHex = strings.TrimPrefix(baseDigest.DigestStr(), "sha256:")
	return v, nil
}

// placeholderVars render policies for an early syntax check, before the
// key and base digest are known.
func placeholderVars(repo name.Repository, cfg pipeline.Config) PolicyVars {
	return PolicyVars{
		ReleaseKey:       placeholderKey(),
		Repository:       repo.Name(),
		SourceRepository: cfg.Source.Repository,
		BuilderID:        cfg.BuilderID,
		BuildType:        provenance.BuildType,
		BaseDigestHex:    strings.Repeat("0", 64),
	}
}

// placeholderKey is a fresh, valid public key that verifies nothing.
func placeholderKey() string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ""
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		return ""
	}
	return string(pem)
}

func platformStrings(ps []v1.Platform) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// checkRegistry fails fast, in one line, when the registry is unreachable.
func checkRegistry(ctx context.Context, repo name.Repository) error {
	_, err := transport.NewWithContext(ctx, repo.Registry, authn.Anonymous, http.DefaultTransport, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusUnauthorized {
			return nil // reachable; credentials are the push's business
		}
		return fmt.Errorf("registry %s is unreachable: %s", repo.RegistryStr(), oneLine(err))
	}
	return nil
}
