// Package sbom catalogs pushed platform images with syft's library and
// encodes SPDX 2.3 JSON and CycloneDX JSON documents.
package sbom

import (
	"context"
	"fmt"
	"net"
	"sort"

	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/format"
	"github.com/anchore/syft/syft/format/cyclonedxjson"
	"github.com/anchore/syft/syft/format/spdxjson"
	"github.com/anchore/syft/syft/pkg"
	"github.com/google/go-containerregistry/pkg/name"
)

// Predicate types of SBOM attestations (what cosign's --type spdxjson and
// --type cyclonedx write, and what policies match).
const (
	SPDXPredicateType      = "https://spdx.dev/Document"
	CycloneDXPredicateType = "https://cyclonedx.org/bom"
)

// Document is the SBOM of one image in both formats.
type Document struct {
	SPDX      []byte
	CycloneDX []byte
	// Packages counts catalogued packages by syft type (go-module, deb, binary…).
	Packages map[string]int
	Total    int
}

// Generator makes the SBOM of the image at a digest.
type Generator interface {
	Generate(ctx context.Context, d name.Digest) (Document, error)
}

// Syft is a Generator over github.com/anchore/syft.
type Syft struct {
	// Name labels the SBOM's described component (e.g. the repository).
	Name string
}

var _ Generator = (*Syft)(nil)

// Generate implements Generator. It pulls the image by digest, so the SBOM
// describes exactly what was pushed: the Go modules inside the binary and
// the base image's files and package records.
func (s *Syft) Generate(ctx context.Context, d name.Digest) (Document, error) {
	cfg := syft.DefaultGetSourceConfig().
		WithSources("registry").
		WithRegistryOptions(&image.RegistryOptions{InsecureUseHTTP: isLoopback(d)})
	src, err := syft.GetSource(ctx, d.String(), cfg)
	if err != nil {
		return Document{}, fmt.Errorf("reading %s for the SBOM: %w", d, err)
	}
	defer src.Close()
	// The RPM database cataloger needs a SQLite driver (syft's CLI links
	// modernc.org/sqlite, minutes of compile); the images this pipeline
	// ships are static and have no RPM database, so it is left out.
	sel := cataloging.NewSelectionRequest().WithRemovals("rpm-db-cataloger")
	doc, err := syft.CreateSBOM(ctx, src, syft.DefaultCreateSBOMConfig().WithCatalogerSelection(sel))
	if err != nil {
		return Document{}, fmt.Errorf("cataloging %s: %w", d, err)
	}
	spdxEnc, err := spdxjson.NewFormatEncoderWithConfig(spdxjson.EncoderConfig{Version: "2.3"})
	if err != nil {
		return Document{}, fmt.Errorf("SPDX encoder: %w", err)
	}
	cdxEnc, err := cyclonedxjson.NewFormatEncoderWithConfig(cyclonedxjson.DefaultEncoderConfig())
	if err != nil {
		return Document{}, fmt.Errorf("CycloneDX encoder: %w", err)
	}
	out := Document{Packages: map[string]int{}}
	if out.SPDX, err = format.Encode(*doc, spdxEnc); err != nil {
		return Document{}, fmt.Errorf("encoding SPDX for %s: %w", d, err)
	}
	if out.CycloneDX, err = format.Encode(*doc, cdxEnc); err != nil {
		return Document{}, fmt.Errorf("encoding CycloneDX for %s: %w", d, err)
	}
	for p := range doc.Artifacts.Packages.Enumerate() {
		out.Packages[string(p.Type)]++
		out.Total++
	}
	return out, nil
}

// Types lists package types in a stable order, for summaries.
func (d Document) Types() []string {
	ts := make([]string, 0, len(d.Packages))
	for t := range d.Packages {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// GoModules is the count of Go modules found in binaries.
func (d Document) GoModules() int { return d.Packages[string(pkg.GoModulePkg)] }

func isLoopback(d name.Digest) bool {
	host, _, err := net.SplitHostPort(d.RegistryStr())
	if err != nil {
		host = d.RegistryStr()
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
