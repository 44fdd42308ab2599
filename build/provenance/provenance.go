// Package provenance builds SLSA Provenance v1 in-toto statements as pure
// data: no I/O, so the same inputs always give the same statement.
package provenance

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
)

// BuildType identifies how this pipeline turns a source tree into images;
// policies pin it.
const BuildType = "https://github.com/hft-ninja/hft-ninja/build/ko@v1"

// PredicateType is the SLSA v1 provenance predicate type.
const PredicateType = slsa1.PredicateSLSAProvenance

// Input is everything the statement records about one release build.
type Input struct {
	Subjects []name.Digest // index and per-platform images

	SourceRepository string // e.g. https://github.com/hft-ninja/hft-ninja
	SourceRef        string // e.g. refs/tags/v1.2.3 or refs/heads/main
	SourceCommit     string // full git commit (sha1)
	TreeDirty        bool   // uncommitted changes were built

	BuildConfig map[string]any // the ko build settings that shaped the image

	BaseImage        name.Digest
	BaseImageStandIn bool // true for the offline stand-in base

	GoVersion string // e.g. go1.26.8

	BuilderID    string
	InvocationID string
	StartedOn    time.Time
	FinishedOn   time.Time
}

// ExternalParameters are the inputs a consumer can check against policy.
type ExternalParameters struct {
	Source      Source         `json:"source"`
	BuildConfig map[string]any `json:"buildConfig,omitempty"`
}

// Source names the repository and ref that were built.
type Source struct {
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
}

// Statement returns the JSON of an in-toto statement with a SLSA v1 predicate.
func Statement(in Input) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	subjects := make([]in_toto.Subject, 0, len(in.Subjects))
	for _, d := range in.Subjects {
		alg, hex, _ := strings.Cut(d.DigestStr(), ":")
		subjects = append(subjects, in_toto.Subject{Name: d.Context().Name(), Digest: common.DigestSet{alg: hex}})
	}
	baseAlg, baseHex, _ := strings.Cut(in.BaseImage.DigestStr(), ":")
	deps := []slsa1.ResourceDescriptor{
		{
			URI:    gitURI(in.SourceRepository, in.SourceRef, in.SourceCommit),
			Digest: common.DigestSet{"gitCommit": in.SourceCommit},
			Annotations: map[string]any{
				"dirty": in.TreeDirty,
			},
		},
		{
			URI:    ociPURL(in.BaseImage),
			Name:   in.BaseImage.Context().Name(),
			Digest: common.DigestSet{baseAlg: baseHex},
			Annotations: map[string]any{
				"role":    "base-image",
				"standIn": in.BaseImageStandIn,
			},
		},
		{
			URI:  "pkg:golang/toolchain@" + in.GoVersion,
			Name: "go",
			Annotations: map[string]any{
				"role": "toolchain",
			},
		},
	}
	started, finished := in.StartedOn.UTC(), in.FinishedOn.UTC()
	st := in_toto.ProvenanceStatementSLSA1{
		StatementHeader: in_toto.StatementHeader{
			Type:          in_toto.StatementInTotoV01,
			PredicateType: PredicateType,
			Subject:       subjects,
		},
		Predicate: slsa1.ProvenancePredicate{
			BuildDefinition: slsa1.ProvenanceBuildDefinition{
				BuildType: BuildType,
				ExternalParameters: ExternalParameters{
					Source:      Source{Repository: in.SourceRepository, Ref: in.SourceRef},
					BuildConfig: in.BuildConfig,
				},
				ResolvedDependencies: deps,
			},
			RunDetails: slsa1.ProvenanceRunDetails{
				Builder: slsa1.Builder{ID: in.BuilderID},
				BuildMetadata: slsa1.BuildMetadata{
					InvocationID: in.InvocationID,
					StartedOn:    &started,
					FinishedOn:   &finished,
				},
			},
		},
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding provenance: %w", err)
	}
	return b, nil
}

func (in Input) validate() error {
	var errs []error
	if len(in.Subjects) == 0 {
		errs = append(errs, errors.New("no subjects"))
	}
	if in.SourceRepository == "" {
		errs = append(errs, errors.New("no source repository"))
	}
	if in.SourceCommit == "" {
		errs = append(errs, errors.New("no source commit"))
	}
	if in.BuilderID == "" {
		errs = append(errs, errors.New("no builder id"))
	}
	if in.BaseImage.DigestStr() == "" {
		errs = append(errs, errors.New("no base image digest"))
	}
	if in.FinishedOn.Before(in.StartedOn) {
		errs = append(errs, errors.New("build finished before it started"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("incomplete provenance: %w", err)
	}
	return nil
}

// gitURI is the SPDX-style download location of a source ref (the commit
// when the checkout is detached).
func gitURI(repo, ref, commit string) string {
	if ref == "" {
		ref = commit
	}
	return "git+" + repo + "@" + ref
}

// ociPURL is the package URL of an image repository (purl-spec "oci" type).
func ociPURL(d name.Digest) string {
	repo := d.Context()
	parts := strings.Split(repo.RepositoryStr(), "/")
	return fmt.Sprintf("pkg:oci/%s?repository_url=%s", parts[len(parts)-1], repo.Name())
}
