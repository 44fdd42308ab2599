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

func TestCheckBuilds(t *testing.T) {
	good, err := os.ReadFile("../../.ko.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBuilds(".ko.yaml", good, "./cmd/hft-ninja"); err != nil {
		t.Fatalf("shipped .ko.yaml refused: %v", err)
	}
	base := "defaultBaseImage: cgr.dev/chainguard/static@sha256:" + strings.Repeat("a", 64) + "\ndefaultPlatforms: [linux/amd64]\n"
	for name, tc := range map[string]struct{ yaml, want string }{
		"lower-case override": {base + "baseimageoverrides:\n  x: y\n", "baseimageoverrides"},
		"other tree":          {base + "builds:\n  - main: ./cmd/hft-ninja\n    dir: ../evil\n", "dir"},
		"other main":          {base + "builds:\n  - main: ./cmd/debug\n", "main"},
		"two builds":          {base + "builds:\n  - main: ./cmd/hft-ninja\n  - main: ./cmd/hft-ninja\n", "one build"},
		"env":                 {base + "builds:\n  - main: ./cmd/hft-ninja\n    env: [GOFLAGS=-toolexec=/x]\n", "env"},
		"flags":               {base + "builds:\n  - main: ./cmd/hft-ninja\n    flags: [-toolexec=/x]\n", "flags"},
		"ldflags":             {base + "builds:\n  - main: ./cmd/hft-ninja\n    ldflags: [-X main.evil=1]\n", "ldflags"},
		"default flags":       {base + "defaultFlags: [-toolexec=/x]\n", "defaultFlags"},
	} {
		t.Run(name, func(t *testing.T) {
			err := checkBuilds(".ko.yaml", []byte(tc.yaml), "./cmd/hft-ninja")
			if !errors.Is(err, ErrKoConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrKoConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCheckEnv(t *testing.T) {
	ctx := context.Background()
	if _, err := checkEnv(ctx, "."); err != nil {
		t.Fatalf("clean environment refused: %v", err)
	}
	for k, v := range map[string]string{
		"KO_BASEIMAGEOVERRIDES": `{"x":"y"}`,
		"KO_CONFIG_PATH":        "/tmp/x",
		"GOFLAGS":               "-overlay=/tmp/o.json",
		"GOWORK":                "/tmp/go.work",
	} {
		t.Run(k, func(t *testing.T) {
			t.Setenv(k, v)
			if _, err := checkEnv(ctx, "."); err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%s=%s: err = %v", k, v, err)
			}
		})
	}
}

func TestSameRuntime(t *testing.T) {
	base := &v1.ConfigFile{Config: v1.Config{User: "65532", Env: []string{"PATH=/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}}}
	ko := &v1.ConfigFile{Config: v1.Config{User: "65532", Env: []string{"PATH=/usr/bin:/bin:/ko-app", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "KO_DATA_PATH=/var/run/ko"}}}
	if err := sameRuntime(base, ko); err != nil {
		t.Errorf("what ko does to the config refused: %v", err)
	}
	for name, mut := range map[string]func(*v1.ConfigFile){
		"root":        func(c *v1.ConfigFile) { c.Config.User = "0:0" },
		"proxy":       func(c *v1.ConfigFile) { c.Config.Env = append(c.Config.Env, "HTTPS_PROXY=http://evil") },
		"cert bundle": func(c *v1.ConfigFile) { c.Config.Env[1] = "SSL_CERT_FILE=/etc/evil" },
		"path":        func(c *v1.ConfigFile) { c.Config.Env[0] = "PATH=/evil:/usr/bin:/bin" },
	} {
		c := ko.DeepCopy()
		mut(c)
		if err := sameRuntime(base, c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckTree(t *testing.T) {
	mk := func(t *testing.T) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n\ngo 1.26\n"), 0o644)
		os.WriteFile(filepath.Join(dir, ".ko.yaml"), []byte("x: 1\n"), 0o644)
		return dir
	}
	if err := checkTree(mk(t)); err != nil {
		t.Fatalf("plain tree refused: %v", err)
	}
	dir := mk(t)
	os.WriteFile(filepath.Join(dir, ".ko.json"), []byte("{}"), 0o644)
	if err := checkTree(dir); err == nil || !strings.Contains(err.Error(), ".ko.json") {
		t.Errorf(".ko.json: %v", err)
	}
	dir = mk(t)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n\ngo 1.26\n\nreplace go.uber.org/multierr => /tmp/evil\n"), 0o644)
	if err := checkTree(dir); err == nil || !strings.Contains(err.Error(), "replaces") {
		t.Errorf("filesystem replace: %v", err)
	}
	dir = mk(t)
	outside := filepath.Join(t.TempDir(), "evil.go")
	os.WriteFile(outside, []byte("package main\n"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "zz.go"))
	if err := checkTree(dir); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("symlink out: %v", err)
	}
	dir = mk(t)
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package main\n"), 0o644)
	os.Symlink("a.go", filepath.Join(dir, "b.go"))
	if err := checkTree(dir); err != nil {
		t.Errorf("symlink inside refused: %v", err)
	}
}

func TestCaseCollidingKeys(t *testing.T) {
	y := "defaultBaseImage: cgr.dev/chainguard/static@sha256:" + strings.Repeat("a", 64) + "\ndefaultPlatforms: [linux/amd64]\nBuilds:\n  - main: ./cmd/hft-ninja\n    flags: [-overlay=/x]\nbuilds:\n  - main: ./cmd/hft-ninja\n"
	if err := checkBuilds(".ko.yaml", []byte(y), "./cmd/hft-ninja"); !errors.Is(err, ErrKoConfig) || !strings.Contains(err.Error(), "differ only in case") {
		t.Errorf("err = %v", err)
	}
}
