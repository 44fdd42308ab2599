// Package image builds the engine with ko's library (honoring .ko.yaml) and
// pushes the result by digest. It never writes a tag: a release is tagged
// only after its signatures and attestations exist.
package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/ko/pkg/build"
	"github.com/google/ko/pkg/commands"
	"github.com/google/ko/pkg/commands/options"
	"gopkg.in/yaml.v3"
)

// Platform is one pushed platform image.
type Platform struct {
	Platform v1.Platform
	Digest   name.Digest
	// CompressedSize is what a pull transfers: manifest, config and layers.
	CompressedSize int64
	// UncompressedSize is the unpacked layer content.
	UncompressedSize int64
}

// Result is a pushed multi-platform image.
type Result struct {
	Index     name.Digest
	Platforms []Platform
	// GoVersion is the toolchain that compiled the binaries.
	GoVersion string
}

// Builder builds and pushes the engine image.
type Builder interface {
	// Build builds on the verified base image and pushes by digest.
	Build(ctx context.Context, base name.Digest) (Result, error)
}

// Ko is a Builder over github.com/google/ko.
type Ko struct {
	// Dir is the module root holding .ko.yaml.
	Dir string
	// ImportPath of the main package, e.g. ./cmd/hft-ninja.
	ImportPath string
	// Repo is the target repository (ko's KO_DOCKER_REPO), e.g. ghcr.io/o/hft-ninja.
	Repo string
	// Platforms overrides .ko.yaml's defaultPlatforms.
	Platforms []string
	// Remote options for pushing.
	Remote []remote.Option
}

var _ Builder = (*Ko)(nil)

// ErrKoConfig is returned for a missing or malformed .ko.yaml.
var ErrKoConfig = errors.New("bad .ko.yaml")

// Build implements Builder.
func (k *Ko) Build(ctx context.Context, base name.Digest) (Result, error) {
	if err := checkKoConfig(k.Dir); err != nil {
		return Result{}, err
	}
	raw, err := os.ReadFile(filepath.Join(k.Dir, ".ko.yaml"))
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrKoConfig, err)
	}
	if err := checkBuilds(filepath.Join(k.Dir, ".ko.yaml"), raw, k.ImportPath); err != nil {
		return Result{}, err
	}
	if err := checkTree(k.Dir); err != nil {
		return Result{}, err
	}
	goVersion, err := checkEnv(ctx, k.Dir)
	if err != nil {
		return Result{}, err
	}
	repo, err := name.NewRepository(k.Repo)
	if err != nil {
		return Result{}, fmt.Errorf("target repository %q: %w", k.Repo, err)
	}
	bo := &options.BuildOptions{
		WorkingDirectory: k.Dir,
		BaseImage:        base.String(), // the digest the pipeline verified, never a tag
		Platforms:        k.Platforms,
		SBOM:             "none", // syft makes the SBOMs, from the pushed image
		Trimpath:         true,
	}
	builder, err := commands.NewBuilder(ctx, bo)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrKoConfig, err)
	}
	ip, err := builder.QualifyImport(k.ImportPath)
	if err != nil {
		return Result{}, fmt.Errorf("resolving %s: %w", k.ImportPath, err)
	}
	if !strings.HasPrefix(ip, build.StrictScheme) {
		ip = build.StrictScheme + ip
	}
	if err := builder.IsSupportedReference(ip); err != nil {
		return Result{}, fmt.Errorf("%s is not a Go main package ko can build: %w", k.ImportPath, err)
	}
	br, err := builder.Build(ctx, ip)
	if err != nil {
		return Result{}, fmt.Errorf("ko build %s: %w", ip, err)
	}
	idx, ok := br.(v1.ImageIndex)
	if !ok {
		return Result{}, fmt.Errorf("ko built a single-platform image; set defaultPlatforms in .ko.yaml to linux/amd64 and linux/arm64")
	}
	if err := BuiltOn(ctx, idx, base, k.Remote...); err != nil {
		return Result{}, err
	}
	res, err := push(ctx, repo, idx, k.Remote)
	res.GoVersion = goVersion
	return res, err
}

// ErrWrongBase means a built image does not sit on the verified base.
var ErrWrongBase = errors.New("built image is not layered on the verified base image")

// BuiltOn checks that every platform image in idx starts with exactly the
// layers of the same platform's image in base. Whatever steered ko to
// another base (an override in config, an environment variable), the
// result is refused rather than recorded under the verified base's digest.
func BuiltOn(ctx context.Context, idx v1.ImageIndex, base name.Digest, ro ...remote.Option) error {
	bidx, err := remote.Index(base, append([]remote.Option{remote.WithContext(ctx)}, ro...)...)
	if err != nil {
		return fmt.Errorf("reading base %s: %w", base, err)
	}
	bim, err := bidx.IndexManifest()
	if err != nil {
		return fmt.Errorf("reading base %s: %w", base, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return fmt.Errorf("reading built index: %w", err)
	}
	for _, desc := range im.Manifests {
		if desc.Platform == nil {
			continue
		}
		var want []v1.Hash
		var wantCfg *v1.ConfigFile
		found := false
		for _, bd := range bim.Manifests {
			if bd.Platform != nil && bd.Platform.Satisfies(*desc.Platform) {
				bimg, err := bidx.Image(bd.Digest)
				if err != nil {
					return fmt.Errorf("reading base %s image: %w", desc.Platform, err)
				}
				if want, err = layerDigests(bimg); err != nil {
					return fmt.Errorf("reading base %s image: %w", desc.Platform, err)
				}
				if wantCfg, err = bimg.ConfigFile(); err != nil {
					return fmt.Errorf("reading base %s config: %w", desc.Platform, err)
				}
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: base %s has no %s image", ErrWrongBase, base, desc.Platform)
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return fmt.Errorf("reading built %s image: %w", desc.Platform, err)
		}
		got, err := layerDigests(img)
		if err != nil {
			return fmt.Errorf("reading built %s image: %w", desc.Platform, err)
		}
		if len(got) <= len(want) {
			return fmt.Errorf("%w: %s image has %d layers, the base alone has %d", ErrWrongBase, desc.Platform, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				return fmt.Errorf("%w: %s layer %d is %s, the base's is %s", ErrWrongBase, desc.Platform, i, got[i], want[i])
			}
		}
		// ko adds the binary and kodata layers, nothing more.
		if extra := len(got) - len(want); extra > 2 {
			return fmt.Errorf("%w: %s image adds %d layers to the base, ko adds at most 2", ErrWrongBase, desc.Platform, extra)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return fmt.Errorf("reading built %s config: %w", desc.Platform, err)
		}
		if err := sameRuntime(wantCfg, cfg); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrWrongBase, desc.Platform, err)
		}
	}
	return nil
}

// sameRuntime checks the built config keeps the base's user and
// environment. ko adds KO_DATA_PATH and appends its app folder to PATH.
func sameRuntime(base, built *v1.ConfigFile) error {
	if built.Config.User != base.Config.User {
		return fmt.Errorf("user is %q, the base's is %q", built.Config.User, base.Config.User)
	}
	want := map[string]string{}
	for _, e := range base.Config.Env {
		k, v, _ := strings.Cut(e, "=")
		want[k] = v
	}
	got := map[string]string{}
	for _, e := range built.Config.Env {
		k, v, _ := strings.Cut(e, "=")
		got[k] = v
	}
	for k, v := range want {
		g, ok := got[k]
		if !ok || (g != v && !(k == "PATH" && g == v+":/ko-app")) {
			return fmt.Errorf("environment changed %s=%q to %q", k, v, g)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok && k != "KO_DATA_PATH" {
			return fmt.Errorf("environment gained %s=%q", k, v)
		}
	}
	return nil
}

func layerDigests(img v1.Image) ([]v1.Hash, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Hash, 0, len(m.Layers))
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out, nil
}

// push writes idx and its children by digest.
func push(ctx context.Context, repo name.Repository, idx v1.ImageIndex, ro []remote.Option) (Result, error) {
	h, err := idx.Digest()
	if err != nil {
		return Result{}, fmt.Errorf("digesting index: %w", err)
	}
	d := repo.Digest(h.String())
	opts := append([]remote.Option{remote.WithContext(ctx)}, ro...)
	if err := remote.WriteIndex(d, idx, opts...); err != nil {
		return Result{}, fmt.Errorf("pushing %s: %w", d, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return Result{}, fmt.Errorf("reading index manifest: %w", err)
	}
	res := Result{Index: d}
	for _, desc := range im.Manifests {
		if desc.Platform == nil {
			continue
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return Result{}, fmt.Errorf("reading %s image: %w", desc.Platform, err)
		}
		c, u, err := Sizes(img)
		if err != nil {
			return Result{}, fmt.Errorf("sizing %s image: %w", desc.Platform, err)
		}
		res.Platforms = append(res.Platforms, Platform{
			Platform:         *desc.Platform,
			Digest:           repo.Digest(desc.Digest.String()),
			CompressedSize:   c + desc.Size,
			UncompressedSize: u,
		})
	}
	return res, nil
}

// Sizes returns the compressed size of config and layers, and the
// uncompressed size of the layers (read through, as a pull would unpack).
func Sizes(img v1.Image) (compressed, uncompressed int64, err error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, 0, err
	}
	compressed = m.Config.Size
	layers, err := img.Layers()
	if err != nil {
		return 0, 0, err
	}
	for _, l := range layers {
		sz, err := l.Size()
		if err != nil {
			return 0, 0, err
		}
		compressed += sz
		rc, err := l.Uncompressed()
		if err != nil {
			return 0, 0, err
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return 0, 0, err
		}
		uncompressed += n
	}
	return compressed, uncompressed, nil
}

type koConfig struct {
	DefaultBaseImage   string            `yaml:"defaultBaseImage"`
	DefaultPlatforms   []string          `yaml:"defaultPlatforms"`
	BaseImageOverrides map[string]string `yaml:"baseImageOverrides"`
}

// checkKoConfig insists on a readable, well-formed .ko.yaml: ko itself
// silently falls back to its own default base when the file is missing.
func checkKoConfig(dir string) error {
	_, err := readKoConfig(dir)
	return err
}

func readKoConfig(dir string) (koConfig, error) {
	p := filepath.Join(dir, ".ko.yaml")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return koConfig{}, fmt.Errorf("%w: %s not found (the release needs its base image and platforms)", ErrKoConfig, p)
	}
	if err != nil {
		return koConfig{}, fmt.Errorf("%w: %v", ErrKoConfig, err)
	}
	var cfg koConfig
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return koConfig{}, fmt.Errorf("%w: %s: %v", ErrKoConfig, p, oneLine(err))
	}
	if cfg.DefaultBaseImage == "" {
		return koConfig{}, fmt.Errorf("%w: %s has no defaultBaseImage", ErrKoConfig, p)
	}
	if _, err := name.NewDigest(cfg.DefaultBaseImage); err != nil {
		return koConfig{}, fmt.Errorf("%w: %s: defaultBaseImage %q must be pinned by digest", ErrKoConfig, p, cfg.DefaultBaseImage)
	}
	if len(cfg.DefaultPlatforms) == 0 {
		return koConfig{}, fmt.Errorf("%w: %s has no defaultPlatforms", ErrKoConfig, p)
	}
	// An override would build on an image the pipeline never verified.
	if len(cfg.BaseImageOverrides) > 0 {
		return koConfig{}, fmt.Errorf("%w: %s sets baseImageOverrides; the release builds only on the verified defaultBaseImage", ErrKoConfig, p)
	}
	return cfg, nil
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// DefaultBaseImage reads the pinned base image from .ko.yaml.
func DefaultBaseImage(dir string) (name.Digest, error) {
	cfg, err := readKoConfig(dir)
	if err != nil {
		return name.Digest{}, err
	}
	return name.NewDigest(cfg.DefaultBaseImage)
}

// DefaultPlatforms reads the target platforms from .ko.yaml.
func DefaultPlatforms(dir string) ([]v1.Platform, error) {
	cfg, err := readKoConfig(dir)
	if err != nil {
		return nil, err
	}
	out := make([]v1.Platform, 0, len(cfg.DefaultPlatforms))
	for _, s := range cfg.DefaultPlatforms {
		p, err := v1.ParsePlatform(s)
		if err != nil {
			return nil, fmt.Errorf("%w: platform %q: %v", ErrKoConfig, s, err)
		}
		out = append(out, *p)
	}
	return out, nil
}
