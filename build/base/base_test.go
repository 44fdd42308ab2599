package base_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hft-ninja/hft-ninja/build/base"
	"github.com/hft-ninja/hft-ninja/build/sign"
)

var platforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// hostFiles is a small fake host tree so the test does not depend on the
// machine's packages.
func hostFiles(t *testing.T) base.HostFiles {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n"), 0o644))
	must(os.MkdirAll(filepath.Join(dir, "zoneinfo/Europe"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "zoneinfo/right"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "zoneinfo/Europe/Paris"), []byte("TZif2"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "zoneinfo/right/UTC"), []byte("TZif2"), 0o644))
	must(os.Symlink("Europe/Paris", filepath.Join(dir, "zoneinfo/CET")))
	must(os.WriteFile(filepath.Join(dir, "status"), []byte("Package: bash\nVersion: 5\n\nPackage: tzdata\nStatus: install ok installed\nVersion: 2025b-0+deb12u1\nArchitecture: all\n\nPackage: ca-certificates\nVersion: 20230311\n"), 0o644))
	return base.HostFiles{CABundle: filepath.Join(dir, "ca.crt"), ZoneInfo: filepath.Join(dir, "zoneinfo"), DpkgStatus: filepath.Join(dir, "status")}
}

func files(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*tar.Header{}
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			out[strings.TrimSuffix(h.Name, "/")] = h
		}
		rc.Close()
	}
	return out
}

func TestStandInShape(t *testing.T) {
	idx, err := base.StandIn(hostFiles(t), platforms)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 2 || im.Annotations[base.StandInAnnotation] != "true" {
		t.Fatalf("index = %+v", im)
	}
	for _, desc := range im.Manifests {
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if cf.Config.User != "65532" || cf.Architecture != desc.Platform.Architecture {
			t.Errorf("config user %q arch %q", cf.Config.User, cf.Architecture)
		}
		fs := files(t, img)
		for _, want := range []string{"etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt", "usr/share/zoneinfo/Europe/Paris", "usr/share/zoneinfo/CET", "tmp", "home/nonroot", "var/lib/dpkg/status.d/tzdata"} {
			if fs[want] == nil {
				t.Errorf("%s missing", want)
			}
		}
		for _, banned := range []string{"bin/sh", "bin/bash", "bin/busybox", "sbin/apk", "usr/bin/apt", "usr/share/zoneinfo/right/UTC", "var/lib/dpkg/status.d/bash"} {
			if fs[banned] != nil {
				t.Errorf("%s present", banned)
			}
		}
		if fs["tmp"].Mode != 0o1777 {
			t.Errorf("/tmp mode %o", fs["tmp"].Mode)
		}
		if fs["home/nonroot"].Uid != 65532 {
			t.Errorf("/home/nonroot uid %d", fs["home/nonroot"].Uid)
		}
	}
	// Same host data, same digest: the stand-in is reproducible.
	idx2, _ := base.StandIn(hostFiles(t), platforms)
	h1, _ := idx.Digest()
	h2, _ := idx2.Digest()
	if h1 != h2 {
		t.Errorf("stand-in not reproducible: %s != %s", h1, h2)
	}
}

func TestStandInNeedsCABundle(t *testing.T) {
	h := hostFiles(t)
	h.CABundle = "/nonexistent/ca.crt"
	if _, err := base.StandIn(h, platforms); err == nil || !strings.Contains(err.Error(), "ca-certificates") {
		t.Errorf("err = %v", err)
	}
}

func TestLocalProviderVerifiesUpstreamSignature(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/standin")
	up, _, _ := signature.NewDefaultECDSASignerVerifier()
	other, _, _ := signature.NewDefaultECDSASignerVerifier()

	good := &base.Local{Repo: repo, Host: hostFiles(t), Platforms: platforms,
		Upstream: sign.New(sign.NewStaticKey(up)), Verifier: &base.KeyVerifier{Key: up}}
	img, err := good.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !img.StandIn {
		t.Error("local base not marked stand-in")
	}
	if _, err := remote.Index(img.Digest); err != nil {
		t.Errorf("stand-in not pushed: %v", err)
	}

	// Signed by one key, checked against another: refused before any build.
	bad := &base.Local{Repo: repo.Registry.Repo("fresh"), Host: hostFiles(t), Platforms: platforms,
		Upstream: sign.New(sign.NewStaticKey(other)), Verifier: &base.KeyVerifier{Key: up}}
	if _, err := bad.Resolve(ctx); !errors.Is(err, base.ErrUnverified) {
		t.Errorf("base signed by the wrong key: err = %v, want ErrUnverified", err)
	}
}
