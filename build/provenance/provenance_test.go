package provenance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/hft-ninja/hft-ninja/build/provenance"
)

func digest(t *testing.T, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func input(t *testing.T) provenance.Input {
	start := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	return provenance.Input{
		Subjects: []name.Digest{
			digest(t, "ghcr.io/o/hft-ninja@sha256:"+strings.Repeat("1", 64)),
			digest(t, "ghcr.io/o/hft-ninja@sha256:"+strings.Repeat("2", 64)),
		},
		SourceRepository: "https://github.com/o/hft-ninja",
		SourceRef:        "refs/tags/v1.2.3",
		SourceCommit:     strings.Repeat("c", 40),
		BuildConfig:      map[string]any{"platforms": []string{"linux/amd64"}},
		BaseImage:        digest(t, "cgr.dev/chainguard/static@sha256:"+strings.Repeat("b", 64)),
		GoVersion:        "go1.26.8",
		BuilderID:        "https://github.com/o/hft-ninja/.github/workflows/release.yml@refs/tags/v1.2.3",
		InvocationID:     "https://github.com/o/hft-ninja/actions/runs/1/attempts/1",
		StartedOn:        start,
		FinishedOn:       start.Add(time.Minute),
	}
}

func TestStatement(t *testing.T) {
	b, err := provenance.Statement(input(t))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string
			Digest map[string]string
		}
		Predicate struct {
			BuildDefinition struct {
				BuildType          string
				ExternalParameters struct {
					Source struct{ Repository, Ref string }
				}
				ResolvedDependencies []struct {
					URI         string
					Digest      map[string]string
					Annotations map[string]any
				}
			}
			RunDetails struct {
				Builder  struct{ ID string }
				Metadata struct {
					InvocationID string
					StartedOn    time.Time
					FinishedOn   time.Time
				}
			}
		}
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v0.1" || st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("header = %q %q", st.Type, st.PredicateType)
	}
	if len(st.Subject) != 2 || st.Subject[1].Digest["sha256"] != strings.Repeat("2", 64) || st.Subject[0].Name != "ghcr.io/o/hft-ninja" {
		t.Errorf("subjects = %+v", st.Subject)
	}
	bd := st.Predicate.BuildDefinition
	if bd.BuildType != provenance.BuildType || bd.ExternalParameters.Source.Repository != "https://github.com/o/hft-ninja" || bd.ExternalParameters.Source.Ref != "refs/tags/v1.2.3" {
		t.Errorf("build definition = %+v", bd)
	}
	roles := map[string]bool{}
	for _, d := range bd.ResolvedDependencies {
		if r, ok := d.Annotations["role"].(string); ok {
			roles[r] = true
		}
		if d.Annotations["role"] == "base-image" {
			if d.Digest["sha256"] != strings.Repeat("b", 64) || !strings.HasPrefix(d.URI, "pkg:oci/static?repository_url=cgr.dev/chainguard/static") {
				t.Errorf("base dependency = %+v", d)
			}
		}
		if strings.HasPrefix(d.URI, "git+") && d.Digest["gitCommit"] != strings.Repeat("c", 40) {
			t.Errorf("source dependency = %+v", d)
		}
	}
	if !roles["base-image"] || !roles["toolchain"] || len(bd.ResolvedDependencies) != 3 {
		t.Errorf("dependencies = %+v", bd.ResolvedDependencies)
	}
	rd := st.Predicate.RunDetails
	if rd.Builder.ID == "" || rd.Metadata.InvocationID == "" || rd.Metadata.FinishedOn.Sub(rd.Metadata.StartedOn) != time.Minute {
		t.Errorf("run details = %+v", rd)
	}
}

func TestStatementRefusesIncompleteInput(t *testing.T) {
	for name, mut := range map[string]func(*provenance.Input){
		"no subjects":  func(in *provenance.Input) { in.Subjects = nil },
		"no commit":    func(in *provenance.Input) { in.SourceCommit = "" },
		"no builder":   func(in *provenance.Input) { in.BuilderID = "" },
		"no base":      func(in *provenance.Input) { in.BaseImage = name.Digest{} },
		"time reverse": func(in *provenance.Input) { in.FinishedOn = in.StartedOn.Add(-time.Second) },
	} {
		t.Run(name, func(t *testing.T) {
			in := input(t)
			mut(&in)
			if _, err := provenance.Statement(in); err == nil || !strings.Contains(err.Error(), "incomplete provenance") {
				t.Errorf("err = %v", err)
			}
		})
	}
}
