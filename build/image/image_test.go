package image

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestKoConfigChecks(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string // "" = no file
		want string
	}{
		"missing":     {"", "not found"},
		"malformed":   {"defaultBaseImage: [unclosed\n", ".ko.yaml"},
		"no base":     {"defaultPlatforms: [linux/amd64]\n", "no defaultBaseImage"},
		"tag base":    {"defaultBaseImage: cgr.dev/chainguard/static:latest\ndefaultPlatforms: [linux/amd64]\n", "pinned by digest"},
		"no platform": {"defaultBaseImage: cgr.dev/chainguard/static@sha256:" + strings.Repeat("a", 64) + "\n", "no defaultPlatforms"},
		"override":    {"defaultBaseImage: cgr.dev/chainguard/static@sha256:" + strings.Repeat("a", 64) + "\ndefaultPlatforms: [linux/amd64]\nbaseImageOverrides:\n  example.com/x: evil.example/sh@sha256:" + strings.Repeat("b", 64) + "\n", "baseImageOverrides"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.yaml != "" {
				if err := os.WriteFile(filepath.Join(dir, ".ko.yaml"), []byte(tc.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := checkKoConfig(dir)
			if !errors.Is(err, ErrKoConfig) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one-line ErrKoConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestShippedKoConfig(t *testing.T) {
	d, err := DefaultBaseImage("../..")
	if err != nil {
		t.Fatal(err)
	}
	if d.Context().Name() != "cgr.dev/chainguard/static" {
		t.Errorf("base = %s, want cgr.dev/chainguard/static", d)
	}
	ps, err := DefaultPlatforms("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].String() != "linux/amd64" || ps[1].String() != "linux/arm64" {
		t.Errorf("platforms = %v", ps)
	}
}

func TestBuiltOn(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/base")
	// A two-platform base, pushed.
	mk := func() v1.ImageIndex {
		var idx v1.ImageIndex = empty.Index
		for _, arch := range []string{"amd64", "arm64"} {
			img, _ := random.Image(64, 1)
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
		}
		return idx
	}
	base := mk()
	h, _ := base.Digest()
	bd := repo.Digest(h.String())
	if err := remote.WriteIndex(bd, base); err != nil {
		t.Fatal(err)
	}
	// "Build" by appending a layer to each base image.
	on := func(b v1.ImageIndex) v1.ImageIndex {
		im, _ := b.IndexManifest()
		var out v1.ImageIndex = empty.Index
		for _, d := range im.Manifests {
			img, _ := b.Image(d.Digest)
			l, _ := random.Layer(32, "application/vnd.oci.image.layer.v1.tar+gzip")
			img, _ = mutate.AppendLayers(img, l)
			out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: d.Platform}})
		}
		return out
	}
	if err := BuiltOn(ctx, on(base), bd); err != nil {
		t.Errorf("image built on the verified base refused: %v", err)
	}
	if err := BuiltOn(ctx, on(mk()), bd); !errors.Is(err, ErrWrongBase) {
		t.Errorf("image built on another base: err = %v, want ErrWrongBase", err)
	}
	if err := BuiltOn(ctx, base, bd); !errors.Is(err, ErrWrongBase) {
		t.Errorf("the base itself passed as a build: err = %v, want ErrWrongBase", err)
	}
}
