package verify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign/rego"
	"sigs.k8s.io/yaml"

	"github.com/hft-ninja/hft-ninja/build/provenance"
	"github.com/hft-ninja/hft-ninja/build/verify"
)

// regoOf returns the Rego module of the first attestation in a policy.
func regoOf(t *testing.T, p verify.Policy) string {
	t.Helper()
	var cip struct {
		Spec struct {
			Authorities []struct {
				Attestations []struct {
					Policy struct{ Data string }
				}
			}
		}
	}
	if err := yaml.Unmarshal([]byte(p.Data), &cip); err != nil {
		t.Fatal(err)
	}
	return cip.Spec.Authorities[0].Attestations[0].Policy.Data
}

func localPolicies(t *testing.T, baseHex string) map[string]verify.Policy {
	t.Helper()
	ps, err := verify.Load(context.Background(), "../../policies/local", map[string]string{
		"Repository": "127.0.0.1:5000/hft-ninja", "ReleaseKey": testKeyPEM(t),
		"SourceRepository": "https://github.com/hft-ninja/hft-ninja", "BuilderID": "https://builder.example/local",
		"BuildType": provenance.BuildType, "BaseDigestHex": baseHex,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]verify.Policy{}
	for _, p := range ps {
		out[p.Name] = p
	}
	return out
}

func TestLocalProvenancePolicy(t *testing.T) {
	baseHex := strings.Repeat("b", 64)
	module := regoOf(t, localPolicies(t, baseHex)["hft-ninja-local-provenance"])
	d, _ := name.NewDigest("127.0.0.1:5000/hft-ninja@sha256:" + strings.Repeat("1", 64))
	base, _ := name.NewDigest("127.0.0.1:5000/standin@sha256:" + baseHex)
	good := provenance.Input{
		Subjects: []name.Digest{d}, SourceRepository: "https://github.com/hft-ninja/hft-ninja", SourceRef: "refs/heads/main",
		SourceCommit: strings.Repeat("c", 40), BuildConfig: map[string]any{"importPath": "./cmd/hft-ninja"},
		BaseImage: base, BaseImageStandIn: true, GoVersion: "go1.26.8", BuilderID: "https://builder.example/local",
		StartedOn: time.Unix(0, 0), FinishedOn: time.Unix(1, 0),
	}
	eval := func(in provenance.Input, mutate func(map[string]any)) error {
		b, err := provenance.Statement(in)
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			var m map[string]any
			json.Unmarshal(b, &m)
			mutate(m)
			b, _ = json.Marshal(m)
		}
		_, err = rego.ValidateJSONWithModuleInput(b, module)
		return err
	}
	if err := eval(good, nil); err != nil {
		t.Fatalf("good provenance denied: %v", err)
	}
	deps := func(m map[string]any) []any {
		return m["predicate"].(map[string]any)["buildDefinition"].(map[string]any)["resolvedDependencies"].([]any)
	}
	cases := map[string]struct {
		in     func(*provenance.Input)
		mutate func(map[string]any)
		want   string
	}{
		"builder":     {in: func(i *provenance.Input) { i.BuilderID = "https://evil.example" }, want: "builder id"},
		"repo":        {in: func(i *provenance.Input) { i.SourceRepository = "https://github.com/evil/x" }, want: "source repository"},
		"base":        {in: func(i *provenance.Input) { i.BaseImage, _ = name.NewDigest("x/y@sha256:" + strings.Repeat("e", 64)) }, want: "want the verified base"},
		"dirty":       {in: func(i *provenance.Input) { i.TreeDirty = true }, want: "dirty"},
		"import path": {in: func(i *provenance.Input) { i.BuildConfig = map[string]any{"importPath": "./cmd/debug"} }, want: "./cmd/hft-ninja"},
		"second base": {mutate: func(m map[string]any) {
			pd := m["predicate"].(map[string]any)["buildDefinition"].(map[string]any)
			pd["resolvedDependencies"] = append(deps(m), map[string]any{"uri": "pkg:oci/evil", "digest": map[string]any{"sha256": strings.Repeat("e", 64)}, "annotations": map[string]any{"role": "base-image"}})
		}, want: "2 base images"},
		"no dependencies": {mutate: func(m map[string]any) {
			delete(m["predicate"].(map[string]any)["buildDefinition"].(map[string]any), "resolvedDependencies")
		}, want: "0 base images"},
		"no dirty flag": {mutate: func(m map[string]any) {
			delete(deps(m)[0].(map[string]any), "annotations")
		}, want: "dirty"},
		"no build type": {mutate: func(m map[string]any) {
			delete(m["predicate"].(map[string]any)["buildDefinition"].(map[string]any), "buildType")
		}, want: "buildType"},
		"second source": {mutate: func(m map[string]any) {
			pd := m["predicate"].(map[string]any)["buildDefinition"].(map[string]any)
			pd["resolvedDependencies"] = append(deps(m), map[string]any{"uri": "git+https://github.com/evil/backdoor", "digest": map[string]any{"sha1": strings.Repeat("e", 40)}})
		}, want: "2 source commits"},
		"base role case": {mutate: func(m map[string]any) {
			pd := m["predicate"].(map[string]any)["buildDefinition"].(map[string]any)
			pd["resolvedDependencies"] = append(deps(m), map[string]any{"uri": "pkg:oci/evil", "digest": map[string]any{"sha256": strings.Repeat("e", 64)}, "annotations": map[string]any{"role": "Base-Image"}})
		}, want: "2 base images"},
		"foreign source": {mutate: func(m map[string]any) {
			deps(m)[0].(map[string]any)["uri"] = "git+https://github.com/evil/evil@refs/heads/main"
		}, want: "is not from"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := good
			if c.in != nil {
				c.in(&in)
			}
			err := eval(in, c.mutate)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want a denial mentioning %q", err, c.want)
			}
		})
	}
}

func TestLocalSBOMPolicy(t *testing.T) {
	module := regoOf(t, localPolicies(t, strings.Repeat("b", 64))["hft-ninja-local-sbom"])
	st := func(pred string) []byte {
		return []byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":` + pred + `}`)
	}
	if _, err := rego.ValidateJSONWithModuleInput(st(`{"spdxVersion":"SPDX-2.3","packages":[{"name":"tzdata","SPDXID":"SPDXRef-1"}]}`), module); err != nil {
		t.Fatalf("good SBOM denied: %v", err)
	}
	for _, bad := range []string{
		`{"spdxVersion":"SPDX-2.3"}`,
		`{"spdxVersion":"SPDX-2.3","packages":null}`,
		`{"spdxVersion":"SPDX-2.3","packages":"x"}`,
		`{"spdxVersion":"SPDX-2.3","packages":[]}`,
		`{"spdxVersion":"SPDX-2.3","packages":[{}]}`,
		`{"spdxVersion":"CycloneDX","packages":[{"name":"a","SPDXID":"b"}]}`,
		`{"spdxVersion":"SPDX-2.FAKE","packages":[{"name":"a","SPDXID":"b"}]}`,
		`{"spdxVersion":"SPDX-2.3","packages":[{"name":"","SPDXID":""}]}`,
	} {
		if _, err := rego.ValidateJSONWithModuleInput(st(bad), module); err == nil {
			t.Errorf("SBOM %s admitted", bad)
		}
	}
}
