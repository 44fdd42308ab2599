package pipeline_test

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
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hft-ninja/hft-ninja/build/base"
	"github.com/hft-ninja/hft-ninja/build/image"
	"github.com/hft-ninja/hft-ninja/build/pipeline"
	"github.com/hft-ninja/hft-ninja/build/sbom"
	"github.com/hft-ninja/hft-ninja/build/sign"
	"github.com/hft-ninja/hft-ninja/build/verify"
)

// Fakes of our own stage interfaces (ko's fixed.go style), over a real
// in-memory registry so tags are real.

type fixedBase struct{ d name.Digest }

func (f fixedBase) Resolve(context.Context) (base.Image, error) {
	return base.Image{Digest: f.d, StandIn: true}, nil
}

type fixedBuilder struct {
	res  image.Result
	seen *name.Digest
}

func (f fixedBuilder) Build(_ context.Context, b name.Digest) (image.Result, error) {
	*f.seen = b
	return f.res, nil
}

type fixedSBOM struct{}

func (fixedSBOM) Generate(context.Context, name.Digest) (sbom.Document, error) {
	return sbom.Document{SPDX: []byte(`{"spdxVersion":"SPDX-2.3"}`), CycloneDX: []byte(`{}`), Packages: map[string]int{"go-module": 3}, Total: 3}, nil
}

type recorder struct{ signed, attested []string }

func (r *recorder) Sign(_ context.Context, d name.Digest) error {
	r.signed = append(r.signed, d.DigestStr())
	return nil
}

func (r *recorder) Attest(_ context.Context, d name.Digest, sts ...[]byte) error {
	r.attested = append(r.attested, d.DigestStr())
	return nil
}

type fixedPolicy string

func (f fixedPolicy) Evaluate(_ context.Context, d name.Digest) ([]verify.Verdict, error) {
	v := []verify.Verdict{{Policy: "fixed", Image: d.String(), Verdict: string(f)}}
	if f == verify.Deny {
		return v, verify.ErrDenied
	}
	return v, nil
}

func setup(t *testing.T) (image.Result, name.Digest) {
	t.Helper()
	srv := httptest.NewServer(registry.New())
	t.Cleanup(srv.Close)
	repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/app")
	idx, err := random.Index(128, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := idx.Digest()
	d := repo.Digest(h.String())
	if err := remote.WriteIndex(d, idx); err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	res := image.Result{Index: d}
	for i, m := range im.Manifests {
		arch := []string{"amd64", "arm64"}[i]
		res.Platforms = append(res.Platforms, image.Platform{Platform: v1.Platform{OS: "linux", Architecture: arch}, Digest: repo.Digest(m.Digest.String())})
	}
	return res, repo.Digest("sha256:" + strings.Repeat("b", 64))
}

func stages(res image.Result, b name.Digest, rec *recorder, seen *name.Digest, verdict string) pipeline.Stages {
	return pipeline.Stages{
		Base:     fixedBase{b},
		Builder:  fixedBuilder{res: res, seen: seen},
		SBOM:     fixedSBOM{},
		Signer:   rec,
		Attester: rec,
		Inspect: func(_ context.Context, d name.Digest) (sign.Inventory, error) {
			return sign.Inventory{Digest: d.DigestStr(), Signatures: 1}, nil
		},
		Policies: func(context.Context, base.Image) (pipeline.Evaluator, error) {
			return fixedPolicy(verdict), nil
		},
	}
}

func TestRunRecordsAndTagsOnlyWhenAllowed(t *testing.T) {
	ctx := context.Background()
	res, b := setup(t)
	out := t.TempDir()
	rec := &recorder{}
	var seen name.Digest
	cfg := pipeline.Config{Profile: "local", Signing: "key", Out: out, Tags: []string{"v1"},
		Source: pipeline.Source{Repository: "https://github.com/hft-ninja/hft-ninja", Commit: strings.Repeat("c", 40)}, BuilderID: "test"}
	rel, err := pipeline.Run(ctx, cfg, stages(res, b, rec, &seen, verify.Pass))
	if err != nil {
		t.Fatal(err)
	}
	if seen != b {
		t.Errorf("built on %s, want the verified base %s", seen, b)
	}
	if len(rec.signed) != 3 {
		t.Errorf("signed %v, want index + 2 platforms", rec.signed)
	}
	if len(rel.Tags) != 1 {
		t.Fatalf("tags = %v", rel.Tags)
	}
	tag, _ := name.NewTag(rel.Tags[0])
	desc, err := remote.Head(tag)
	if err != nil || desc.Digest.String() != res.Index.DigestStr() {
		t.Errorf("tag %s -> %v, %v; want the index", tag, desc, err)
	}
	for _, f := range []string{"release.json", "provenance.intoto.json", "sbom/linux-amd64.spdx.json", "sbom/linux-arm64.cdx.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestRunDeniedWritesNoRecordNoTag(t *testing.T) {
	ctx := context.Background()
	res, b := setup(t)
	out := t.TempDir()
	var seen name.Digest
	cfg := pipeline.Config{Profile: "local", Out: out, Tags: []string{"v1"},
		Source: pipeline.Source{Repository: "r", Commit: "c"}, BuilderID: "test"}
	_, err := pipeline.Run(ctx, cfg, stages(res, b, &recorder{}, &seen, verify.Deny))
	if !errors.Is(err, pipeline.ErrPolicy) {
		t.Fatalf("err = %v, want ErrPolicy", err)
	}
	if _, err := os.Stat(filepath.Join(out, "release.json")); !os.IsNotExist(err) {
		t.Errorf("a denied release was recorded: %v", err)
	}
	tag := res.Index.Context().Tag("v1")
	if _, err := remote.Head(tag); err == nil {
		t.Error("a denied release was tagged")
	}
}

func TestRunRefusesBadTagsAndOutputs(t *testing.T) {
	ctx := context.Background()
	res, b := setup(t)
	var seen name.Digest
	base := pipeline.Config{Profile: "local", Source: pipeline.Source{Repository: "r", Commit: "c"}, BuilderID: "test"}

	cfg := base
	cfg.Out, cfg.Tags = t.TempDir(), []string{"ok", "sha256-" + strings.Repeat("a", 64) + ".sig"}
	rec := &recorder{}
	if _, err := pipeline.Run(ctx, cfg, stages(res, b, rec, &seen, verify.Pass)); err == nil || len(rec.signed) != 0 {
		t.Errorf("signature-shadowing tag: err = %v, signed %v; want a refusal before anything is signed", err, rec.signed)
	}

	file := filepath.Join(t.TempDir(), "afile")
	os.WriteFile(file, []byte("x"), 0o644)
	cfg = base
	cfg.Out = file
	if _, err := pipeline.Run(ctx, cfg, stages(res, b, &recorder{}, &seen, verify.Pass)); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("--out is a file: %v", err)
	}

	// A tag already naming other content is not moved.
	other := res.Index.Context().Tag("v1")
	img, _ := random.Image(64, 1)
	if err := remote.Write(other, img); err != nil {
		t.Fatal(err)
	}
	cfg = base
	cfg.Out, cfg.Tags = t.TempDir(), []string{"v1"}
	rec = &recorder{}
	if _, err := pipeline.Run(ctx, cfg, stages(res, b, rec, &seen, verify.Pass)); err == nil || !strings.Contains(err.Error(), "refusing to move") || len(rec.signed) != 0 {
		t.Errorf("moving an existing tag: %v, signed %v; want a refusal before signing", err, rec.signed)
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, "release.json")); !os.IsNotExist(err) {
		t.Errorf("a failed release was recorded: %v", err)
	}
}

func TestRunNeverReplacesForeignFolders(t *testing.T) {
	ctx := context.Background()
	res, b := setup(t)
	var seen name.Digest
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "release.json"), []byte(`{"index_digest":"sha256:x"}`), 0o644)
	os.WriteFile(filepath.Join(out, "important.txt"), []byte("precious"), 0o644)
	cfg := pipeline.Config{Profile: "local", Out: out, Source: pipeline.Source{Repository: "r", Commit: "c"}, BuilderID: "test"}
	if _, err := pipeline.Run(ctx, cfg, stages(res, b, &recorder{}, &seen, verify.Pass)); err == nil || !strings.Contains(err.Error(), "important.txt") {
		t.Errorf("err = %v, want a refusal naming important.txt", err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "important.txt")); err != nil || string(b) != "precious" {
		t.Errorf("unrelated file touched: %q %v", b, err)
	}
}
