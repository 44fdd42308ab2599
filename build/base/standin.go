// Package base provides the image the engine is layered on, and checks it
// before any build uses it.
//
// Production builds on cgr.dev/chainguard/static pinned by digest and checks
// Chainguard's keyless signature. cgr.dev is unreachable offline, so the
// local profile assembles a stand-in with the same shape (nonroot 65532, CA
// bundle, tzdata, /tmp, no shell, no package manager), signs it with a
// separate "upstream" key and verifies that signature before building.
package base

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// StandInAnnotation marks every manifest of the stand-in base so no output
// can mistake it for Chainguard's image.
const StandInAnnotation = "dev.hft-ninja.base.stand-in"

// StandInNotice is printed with every output of the local profile.
const StandInNotice = "base image is an OFFLINE STAND-IN for cgr.dev/chainguard/static, not for production"

// HostFiles says where the stand-in takes host data from. Defaults are a
// Debian machine's ca-certificates and tzdata packages.
type HostFiles struct {
	CABundle   string // PEM bundle
	ZoneInfo   string // zoneinfo tree
	DpkgStatus string // dpkg status database, for SBOM package records
}

// DefaultHostFiles are the Debian locations.
func DefaultHostFiles() HostFiles {
	return HostFiles{
		CABundle:   "/etc/ssl/certs/ca-certificates.crt",
		ZoneInfo:   "/usr/share/zoneinfo",
		DpkgStatus: "/var/lib/dpkg/status",
	}
}

// epoch is the fixed file and image time, so the stand-in is reproducible
// on the same host data.
var epoch = time.Unix(0, 0).UTC()

// StandIn assembles the multi-platform stand-in index for platforms.
func StandIn(h HostFiles, platforms []v1.Platform) (v1.ImageIndex, error) {
	layerTar, err := standInTar(h)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("building stand-in layer: %w", err)
	}
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
		if err != nil {
			return nil, fmt.Errorf("building stand-in image: %w", err)
		}
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		cf.Created = v1.Time{Time: epoch}
		cf.Config.User = "65532"
		cf.Config.WorkingDir = "/home/nonroot"
		cf.Config.Env = []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		}
		cf.Config.Labels = map[string]string{StandInAnnotation: "true"}
		img, err = mutate.ConfigFile(img, cf)
		if err != nil {
			return nil, fmt.Errorf("configuring stand-in image: %w", err)
		}
		img = mutate.Annotations(img, map[string]string{StandInAnnotation: "true"}).(v1.Image)
		pp := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pp}})
	}
	return mutate.Annotations(idx, map[string]string{StandInAnnotation: "true"}).(v1.ImageIndex), nil
}

type file struct {
	name string
	mode int64
	uid  int
	body []byte
	dir  bool
	link string
}

func standInTar(h HostFiles) ([]byte, error) {
	ca, err := os.ReadFile(h.CABundle)
	if err != nil {
		return nil, fmt.Errorf("stand-in base needs a CA bundle (install Debian's ca-certificates): %w", err)
	}
	files := []file{
		{name: "etc", dir: true, mode: 0o755},
		{name: "etc/passwd", mode: 0o644, body: []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{name: "etc/group", mode: 0o644, body: []byte("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n")},
		{name: "etc/nsswitch.conf", mode: 0o644, body: []byte("hosts: files dns\n")},
		{name: "etc/os-release", mode: 0o644, body: []byte("ID=hft-ninja-standin\nNAME=\"hft-ninja offline stand-in for chainguard/static\"\nPRETTY_NAME=\"hft-ninja stand-in base (NOT FOR PRODUCTION)\"\nVERSION_ID=1\nHOME_URL=\"https://github.com/hft-ninja/hft-ninja\"\n")},
		{name: "etc/ssl", dir: true, mode: 0o755},
		{name: "etc/ssl/certs", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: ca},
		{name: "home", dir: true, mode: 0o755},
		{name: "home/nonroot", dir: true, mode: 0o700, uid: 65532},
		{name: "tmp", dir: true, mode: 0o1777},
		{name: "var", dir: true, mode: 0o755},
		{name: "var/lib", dir: true, mode: 0o755},
		{name: "var/lib/dpkg", dir: true, mode: 0o755},
		{name: "var/lib/dpkg/status.d", dir: true, mode: 0o755},
		{name: "usr", dir: true, mode: 0o755},
		{name: "usr/share", dir: true, mode: 0o755},
	}
	zi, err := zoneinfo(h.ZoneInfo)
	if err != nil {
		return nil, err
	}
	files = append(files, zi...)
	// Package records in distroless's status.d form: syft reads them, and
	// the image still has no package manager.
	for _, pkg := range []string{"ca-certificates", "tzdata"} {
		stanza, err := dpkgStanza(h.DpkgStatus, pkg)
		if err != nil {
			return nil, err
		}
		if stanza != nil {
			files = append(files, file{name: "var/lib/dpkg/status.d/" + pkg, mode: 0o644, body: stanza})
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.uid, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case f.dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, f.name+"/"
		case f.link != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f.link
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing stand-in layer: %w", err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.body); err != nil {
				return nil, fmt.Errorf("writing stand-in layer: %w", err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing stand-in layer: %w", err)
	}
	return buf.Bytes(), nil
}

// zoneinfo copies the zone files, leaving out the posix/ and right/
// duplicates Debian ships, which Chainguard's tzdata does not need either.
func zoneinfo(root string) ([]file, error) {
	var out []file
	out = append(out, file{name: "usr/share/zoneinfo", dir: true, mode: 0o755})
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if d.IsDir() && (rel == "posix" || rel == "right") {
			return fs.SkipDir
		}
		name := path.Join("usr/share/zoneinfo", filepath.ToSlash(rel))
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if strings.HasPrefix(target, "posix/") || strings.HasPrefix(target, "right/") {
				return nil
			}
			out = append(out, file{name: name, link: target, mode: 0o777})
		case d.IsDir():
			out = append(out, file{name: name, dir: true, mode: 0o755})
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, file{name: name, mode: 0o644, body: b})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stand-in base needs tzdata at %s (install Debian's tzdata): %w", root, err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// dpkgStanza returns the status stanza of pkg, or nil if the host has no
// dpkg database or not that package.
func dpkgStanza(status, pkg string) ([]byte, error) {
	f, err := os.Open(status)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading dpkg status: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur bytes.Buffer
	match := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if match {
				return cur.Bytes(), nil
			}
			cur.Reset()
			continue
		}
		if line == "Package: "+pkg {
			match = true
		}
		cur.WriteString(line + "\n")
	}
	if match {
		return cur.Bytes(), nil
	}
	return nil, sc.Err()
}
