package sbom_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hft-ninja/hft-ninja/build/sbom"
)

// A distroless-style package record, as the stand-in base carries.
const tzdata = "Package: tzdata\nStatus: install ok installed\nPriority: required\nSection: localization\nInstalled-Size: 2000\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nArchitecture: all\nVersion: 2025b-0+deb12u1\nDescription: time zone and daylight-saving time data\n"

func TestGenerateFindsBasePackages(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, dir := range []string{"etc", "var", "var/lib", "var/lib/dpkg", "var/lib/dpkg/status.d"} {
		if err := tw.WriteHeader(&tar.Header{Name: dir + "/", Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []struct{ name, body string }{
		{"etc/os-release", "ID=debian\nVERSION_ID=12\n"},
		{"var/lib/dpkg/status.d/tzdata", tzdata},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	h, _ := img.Digest()
	d, _ := name.NewDigest(strings.TrimPrefix(srv.URL, "http://") + "/app@" + h.String())
	if err := remote.Write(d, img); err != nil {
		t.Fatal(err)
	}

	doc, err := (&sbom.Syft{Name: "app"}).Generate(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Packages["deb"] != 1 || doc.Total != 1 {
		t.Errorf("packages = %v (total %d), want the one deb record", doc.Packages, doc.Total)
	}
	var spdx struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct{ Name, VersionInfo string }
	}
	if err := json.Unmarshal(doc.SPDX, &spdx); err != nil {
		t.Fatal(err)
	}
	if spdx.SPDXVersion != "SPDX-2.3" {
		t.Errorf("spdxVersion = %q", spdx.SPDXVersion)
	}
	found := false
	for _, p := range spdx.Packages {
		found = found || (p.Name == "tzdata" && p.VersionInfo == "2025b-0+deb12u1")
	}
	if !found {
		t.Errorf("SPDX lacks tzdata 2025b-0+deb12u1: %+v", spdx.Packages)
	}
	var cdx struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct{ Name string }
	}
	if err := json.Unmarshal(doc.CycloneDX, &cdx); err != nil || cdx.BOMFormat != "CycloneDX" {
		t.Errorf("CycloneDX: %v %q", err, cdx.BOMFormat)
	}
}
