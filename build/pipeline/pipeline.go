// Package pipeline wires the release stages: base → build → sign → SBOM →
// attest → policy → tag → record. It picks no implementations; cmd/ does.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hft-ninja/hft-ninja/build/attest"
	"github.com/hft-ninja/hft-ninja/build/base"
	"github.com/hft-ninja/hft-ninja/build/image"
	"github.com/hft-ninja/hft-ninja/build/provenance"
	"github.com/hft-ninja/hft-ninja/build/report"
	"github.com/hft-ninja/hft-ninja/build/sbom"
	"github.com/hft-ninja/hft-ninja/build/sign"
	"github.com/hft-ninja/hft-ninja/build/verify"
)

// Source describes the tree being released.
type Source struct {
	Repository string // https://github.com/<owner>/<repo>
	Ref        string // refs/tags/v1.2.3, refs/heads/main
	Commit     string
	Dirty      bool
	Version    string
}

// Stages are the pluggable parts of a release.
type Stages struct {
	Base     base.Provider
	Builder  image.Builder
	SBOM     sbom.Generator
	Signer   sign.Signer
	Attester attest.Attester
	// Policies builds the evaluator once the base digest is known (local
	// policies pin it).
	Policies func(ctx context.Context, b base.Image) (Evaluator, error)
	// Inspect reads back what is attached to a digest.
	Inspect func(ctx context.Context, d name.Digest) (sign.Inventory, error)
}

// Evaluator decides admission for a digest (verify.Evaluator).
type Evaluator interface {
	Evaluate(ctx context.Context, d name.Digest) ([]verify.Verdict, error)
}

var _ Evaluator = (*verify.Evaluator)(nil)

// Config is one release run.
type Config struct {
	Profile      string
	Signing      string // key or keyless
	Source       Source
	BaseRef      string // the ref the base stands for (cgr.dev/chainguard/static@…)
	BuildConfig  map[string]any
	BuilderID    string
	InvocationID string
	Out          string   // dist/release
	Tags         []string // written only after everything passed
	PublicKey    string
	Remote       []remote.Option
	Logger       *slog.Logger
	Now          func() time.Time
}

// ErrPolicy is returned when the release was built, signed and attested but
// an admission policy denied it; no tag is written and no record is made.
var ErrPolicy = verify.ErrDenied

// Run performs a release and returns its record.
func Run(ctx context.Context, cfg Config, s Stages) (*report.Release, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if err := checkTags(cfg.Tags); err != nil {
		return nil, err
	}
	stage, err := stageDir(cfg.Out)
	if err != nil {
		return nil, err
	}
	// Outputs go to a staging folder and replace cfg.Out only when the
	// release is complete, so a failed run never leaves a record next to
	// another run's SBOMs.
	finalOut := cfg.Out
	cfg.Out = stage
	defer os.RemoveAll(stage)
	rel := &report.Release{
		Profile:   cfg.Profile,
		Signing:   cfg.Signing,
		Version:   cfg.Source.Version,
		PublicKey: cfg.PublicKey,
		StartedAt: now().UTC(),
		Source: report.Source{
			Repository: cfg.Source.Repository, Ref: cfg.Source.Ref,
			Commit: cfg.Source.Commit, Dirty: cfg.Source.Dirty,
		},
	}

	log.Info("verifying base image")
	b, err := s.Base.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("base image: %w", err)
	}
	rel.Base = report.Base{Ref: cfg.BaseRef, Digest: b.Digest.String(), StandIn: b.StandIn, Verified: true}
	if b.StandIn {
		rel.Base.Notice = base.StandInNotice
		rel.Warnings = append(rel.Warnings, base.StandInNotice)
		log.Warn(base.StandInNotice, "digest", b.Digest.DigestStr())
	}

	log.Info("building with ko")
	built, err := s.Builder.Build(ctx, b.Digest)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	rel.Repository = built.Index.Context().Name()
	rel.IndexDigest = built.Index.DigestStr()
	rel.Reference = built.Index.String()
	// Before anything is signed: a tag that already names other content is
	// not moved (a release is immutable once published), and a release that
	// cannot be tagged must not leave signed evidence behind.
	if err := checkTagsFree(built.Index, cfg.Tags, append([]remote.Option{remote.WithContext(ctx)}, cfg.Remote...)); err != nil {
		return nil, err
	}
	digests := []name.Digest{built.Index}
	for _, p := range built.Platforms {
		digests = append(digests, p.Digest)
	}
	log.Info("pushed", "index", built.Index.String(), "platforms", len(built.Platforms))

	for _, d := range digests {
		if err := s.Signer.Sign(ctx, d); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
	}
	log.Info("signed", "digests", len(digests))

	sbomDir := filepath.Join(cfg.Out, "sbom")
	if err := os.MkdirAll(sbomDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", sbomDir, err)
	}
	var indexSBOMs [][]byte
	for _, p := range built.Platforms {
		doc, err := s.SBOM.Generate(ctx, p.Digest)
		if err != nil {
			return nil, fmt.Errorf("sbom: %w", err)
		}
		plat := strings.ReplaceAll(p.Platform.String(), "/", "-")
		files := []string{filepath.Join(sbomDir, plat+".spdx.json"), filepath.Join(sbomDir, plat+".cdx.json")}
		for i, body := range [][]byte{doc.SPDX, doc.CycloneDX} {
			if err := os.WriteFile(files[i], body, 0o644); err != nil {
				return nil, fmt.Errorf("writing SBOM: %w", err)
			}
		}
		// Each platform's SBOM is about that platform image; the index
		// carries them too (subject: index and platform) so a policy on
		// the index digest finds an SBOM.
		spdxSt, err := attest.Statement(sbom.SPDXPredicateType, doc.SPDX, p.Digest, built.Index)
		if err != nil {
			return nil, fmt.Errorf("sbom statement: %w", err)
		}
		cdxSt, err := attest.Statement(sbom.CycloneDXPredicateType, doc.CycloneDX, p.Digest, built.Index)
		if err != nil {
			return nil, fmt.Errorf("sbom statement: %w", err)
		}
		if err := s.Attester.Attest(ctx, p.Digest, spdxSt, cdxSt); err != nil {
			return nil, fmt.Errorf("attest sbom: %w", err)
		}
		indexSBOMs = append(indexSBOMs, spdxSt, cdxSt)
		rel.Platforms = append(rel.Platforms, report.Platform{
			Platform: p.Platform.String(), Digest: p.Digest.DigestStr(),
			CompressedSize: p.CompressedSize, UncompressedSize: p.UncompressedSize,
			SBOMPackages: doc.Packages, SBOMTotal: doc.Total, SBOMFiles: files,
		})
		log.Info("sbom", "platform", p.Platform.String(), "packages", doc.Total)
	}

	st, err := provenance.Statement(provenance.Input{
		Subjects:         digests,
		SourceRepository: cfg.Source.Repository,
		SourceRef:        cfg.Source.Ref,
		SourceCommit:     cfg.Source.Commit,
		TreeDirty:        cfg.Source.Dirty,
		BuildConfig:      cfg.BuildConfig,
		BaseImage:        b.Digest,
		BaseImageStandIn: b.StandIn,
		GoVersion:        firstNonEmpty(built.GoVersion, runtime.Version()),
		BuilderID:        cfg.BuilderID,
		InvocationID:     cfg.InvocationID,
		StartedOn:        rel.StartedAt,
		FinishedOn:       now().UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Out, "provenance.intoto.json"), st, 0o644); err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	for _, d := range digests {
		sts := [][]byte{st}
		if d == built.Index {
			sts = append(sts, indexSBOMs...)
		}
		if err := s.Attester.Attest(ctx, d, sts...); err != nil {
			return nil, fmt.Errorf("attest provenance: %w", err)
		}
	}
	log.Info("attested", "digests", len(digests))

	for _, d := range digests {
		inv, err := s.Inspect(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("inventory: %w", err)
		}
		if inv.Signatures == 0 {
			return nil, fmt.Errorf("inventory: %s has no signature after signing", d)
		}
		rel.Attached = append(rel.Attached, report.Attached{Digest: inv.Digest, Signatures: inv.Signatures, Attestations: inv.PredicateTypes})
	}

	ev, err := s.Policies(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	var denied error
	for _, d := range digests {
		vs, err := ev.Evaluate(ctx, d)
		for _, v := range vs {
			rel.Policies = append(rel.Policies, report.Verdict(v))
		}
		if err != nil {
			denied = errors.Join(denied, err)
		}
	}
	if denied != nil {
		rel.FinishedAt = now().UTC()
		return rel, fmt.Errorf("%w: the release is signed and attested but not recorded or tagged", ErrPolicy)
	}

	ro := append([]remote.Option{remote.WithContext(ctx)}, cfg.Remote...)
	if err := checkTagsFree(built.Index, cfg.Tags, ro); err != nil {
		return nil, err
	}
	desc, err := remote.Get(built.Index, ro...)
	if err != nil {
		return nil, fmt.Errorf("reading %s for tagging: %w", built.Index, err)
	}
	for _, t := range cfg.Tags {
		tag := built.Index.Context().Tag(t)
		if err := remote.Tag(tag, desc, ro...); err != nil {
			return nil, fmt.Errorf("tagging %s: %w", tag, err)
		}
		rel.Tags = append(rel.Tags, tag.String())
	}
	// Paths in the record point into the published folder.
	for i := range rel.Platforms {
		for j, f := range rel.Platforms[i].SBOMFiles {
			rel.Platforms[i].SBOMFiles[j] = filepath.Join(finalOut, strings.TrimPrefix(f, stage+string(filepath.Separator)))
		}
	}
	rel.FinishedAt = now().UTC()
	if _, err := report.Write(cfg.Out, rel); err != nil {
		return nil, err
	}
	if err := publish(stage, finalOut); err != nil {
		return nil, err
	}
	return rel, nil
}

// ErrBadTag is an unusable --tag value.
var ErrBadTag = errors.New("invalid tag")

// checkTagsFree fails if any tag names content other than index.
func checkTagsFree(index name.Digest, tags []string, ro []remote.Option) error {
	for _, t := range tags {
		tag := index.Context().Tag(t)
		if desc, err := remote.Head(tag, ro...); err == nil && desc.Digest.String() != index.DigestStr() {
			return fmt.Errorf("tag %s already points at %s; refusing to move it to %s", tag, desc.Digest, index.DigestStr())
		}
	}
	return nil
}

// checkTags refuses tag names that are invalid, or that would overwrite
// cosign's own signature, attestation or SBOM tags.
func checkTags(tags []string) error {
	for _, t := range tags {
		if t == "" {
			return fmt.Errorf("%w: empty tag", ErrBadTag)
		}
		if _, err := name.NewTag("example.com/x:"+t, name.StrictValidation); err != nil {
			return fmt.Errorf("%w %q: %v", ErrBadTag, t, err)
		}
		if strings.HasPrefix(t, "sha256-") {
			return fmt.Errorf("%w %q: it would shadow cosign's sha256-<digest> signature and attestation tags", ErrBadTag, t)
		}
	}
	return nil
}

// stageDir makes a staging folder beside out, after checking that out can
// be replaced: absent, or a folder holding an earlier release.
func stageDir(out string) (string, error) {
	if err := replaceable(out); err != nil {
		return "", err
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", parent, err)
	}
	dir, err := os.MkdirTemp(parent, ".release-staging-*")
	if err != nil {
		return "", fmt.Errorf("creating a staging folder in %s: %w", parent, err)
	}
	return dir, nil
}

func replaceable(out string) error {
	st, err := os.Stat(out)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output folder %s: %w", out, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("output folder %s is a file", out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("output folder %s: %w", out, err)
	}
	if len(entries) == 0 {
		return nil
	}
	// Replace only what this tool writes: a folder holding a real release
	// record and nothing but release outputs.
	for _, e := range entries {
		if !releaseOutputs[e.Name()] {
			return fmt.Errorf("output folder %s holds %s, which a release does not write; refusing to replace it", out, e.Name())
		}
	}
	if r, err := report.Read(filepath.Join(out, "release.json")); err != nil || r.IndexDigest == "" {
		return fmt.Errorf("output folder %s is not empty and holds no earlier release record; refusing to replace it", out)
	}
	return nil
}

// releaseOutputs are the names a release writes into its output folder.
var releaseOutputs = map[string]bool{"release.json": true, "sbom": true, "provenance.intoto.json": true, "cosign.pub": true}

// publish swaps the staging folder in for out.
func publish(stage, out string) error {
	if err := replaceable(out); err != nil {
		return err
	}
	old := ""
	if _, err := os.Stat(out); err == nil {
		// A fresh name: never remove anything this run did not create.
		tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), ".release-old-*")
		if err != nil {
			return fmt.Errorf("replacing %s: %w", out, err)
		}
		old = filepath.Join(tmp, "release")
		if err := os.Rename(out, old); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("replacing %s: %w", out, err)
		}
		defer os.RemoveAll(tmp)
	}
	if err := os.Rename(stage, out); err != nil {
		if old != "" {
			_ = os.Rename(old, out)
		}
		return fmt.Errorf("publishing %s: %w", out, err)
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
