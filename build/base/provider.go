package base

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hft-ninja/hft-ninja/build/sign"
)

// Image is a verified base image.
type Image struct {
	Digest  name.Digest
	StandIn bool
}

// Provider yields the base image a build may use, already verified.
type Provider interface {
	Resolve(ctx context.Context) (Image, error)
}

// Pinned is the production provider: the digest from .ko.yaml, checked
// against its publisher's signature.
type Pinned struct {
	Ref      name.Digest
	Verifier Verifier
}

var _ Provider = (*Pinned)(nil)

// Resolve implements Provider.
func (p *Pinned) Resolve(ctx context.Context) (Image, error) {
	if err := p.Verifier.Verify(ctx, p.Ref); err != nil {
		return Image{}, err
	}
	return Image{Digest: p.Ref}, nil
}

// Local assembles, pushes and signs the offline stand-in, then verifies it
// exactly as a consumer would before building on it.
type Local struct {
	Repo      name.Repository
	Host      HostFiles
	Platforms []v1.Platform
	Upstream  sign.Signer // the stand-in publisher's key, not the release key
	Verifier  Verifier    // checks Upstream's signature
	Remote    []remote.Option
}

var _ Provider = (*Local)(nil)

// Resolve implements Provider.
func (l *Local) Resolve(ctx context.Context) (Image, error) {
	idx, err := StandIn(l.Host, l.Platforms)
	if err != nil {
		return Image{}, err
	}
	h, err := idx.Digest()
	if err != nil {
		return Image{}, fmt.Errorf("digesting stand-in base: %w", err)
	}
	d := l.Repo.Digest(h.String())
	if err := remote.WriteIndex(d, idx, append([]remote.Option{remote.WithContext(ctx)}, l.Remote...)...); err != nil {
		return Image{}, fmt.Errorf("pushing stand-in base %s: %w", d, err)
	}
	if err := l.Upstream.Sign(ctx, d); err != nil {
		return Image{}, fmt.Errorf("signing stand-in base: %w", err)
	}
	if err := l.Verifier.Verify(ctx, d); err != nil {
		return Image{}, err
	}
	return Image{Digest: d, StandIn: true}, nil
}
