// Package regtest is the stage tests' kit: an in-memory registry
// (go-containerregistry's pkg/registry), random images pushed by digest and
// throwaway signing keys. Unit tests only; e2e uses a real registry process.
package regtest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Repo starts an in-memory registry for the test and returns a repository
// in it.
func Repo(t *testing.T, path string) name.Repository {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// PushRandom pushes a random single-layer image to repo by digest.
func PushRandom(t *testing.T, repo name.Repository) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d := repo.Digest(h.String())
	if err := remote.Write(d, img); err != nil {
		t.Fatal(err)
	}
	return d
}

// Key is a fresh ECDSA P-256 signer, cosign's default key type.
func Key(t *testing.T) signature.SignerVerifier {
	t.Helper()
	sv, _, err := signature.NewDefaultECDSASignerVerifier()
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// PublicPEM is sv's public key in PEM, as policies and cosign take it.
func PublicPEM(t *testing.T, sv signature.SignerVerifier) string {
	t.Helper()
	pub, err := sv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem)
}
