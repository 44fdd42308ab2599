package deploy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/hft-ninja/hft-ninja/build/provenance"
	cosignpolicy "github.com/sigstore/cosign/v2/pkg/policy"
	"github.com/sigstore/policy-controller/pkg/apis/policy/v1beta1"
	yaml "go.yaml.in/yaml/v3"
)

func loadPolicies(t *testing.T, ctx context.Context, pattern string) []Policy {
	t.Helper()
	var all []Policy
	for _, f := range repoFiles(t, pattern) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pols, ps := CheckPolicies(ctx, rel(t, f), data)
		if len(ps) > 0 {
			t.Fatalf("policy problems:\n%s", problemsText(ps))
		}
		all = append(all, pols...)
	}
	return all
}

// productionPolicies are the policies a production cluster applies for the
// hft-ninja image: the release policy and the SLSA L3 policy.
func productionPolicies(t *testing.T, ctx context.Context) []Policy {
	t.Helper()
	return append(loadPolicies(t, ctx, "policies/production/*.yaml"), loadPolicies(t, ctx, "policies/production/slsa-l3/*.yaml")...)
}

func policyNamed(t *testing.T, pols []Policy, name string) Policy {
	t.Helper()
	for _, p := range pols {
		if p.CIP.Name == name {
			return p
		}
	}
	t.Fatalf("no ClusterImagePolicy %q", name)
	return Policy{}
}

func TestPoliciesValidateAndEnforce(t *testing.T) {
	ctx := context.Background()
	pols := append(productionPolicies(t, ctx), loadPolicies(t, ctx, "policies/base/*.yaml")...)
	for _, p := range pols {
		if p.CIP.Spec.Mode != "enforce" {
			t.Errorf("%s:%d: policy %s mode %q, want enforce", p.Doc.File, p.Doc.LineOf("spec", "mode"), p.CIP.Name, p.CIP.Spec.Mode)
		}
		for _, a := range p.CIP.Spec.Authorities {
			if a.Keyless == nil || len(a.Keyless.Identities) == 0 {
				t.Errorf("%s: authority %s is not keyless with an identity", p.Doc.File, a.Name)
				continue
			}
			for _, id := range a.Keyless.Identities {
				if id.Issuer != "https://token.actions.githubusercontent.com" {
					t.Errorf("%s: authority %s issuer %q, want GitHub Actions OIDC", p.Doc.File, a.Name, id.Issuer)
				}
			}
		}
	}
}

// subjectMatcher compiles an identity as policy-controller does: an exact
// subject or a subjectRegExp.
func subjectMatcher(t *testing.T, id v1beta1.Identity) func(string) bool {
	t.Helper()
	if id.SubjectRegExp != "" {
		re := regexp.MustCompile(id.SubjectRegExp)
		return re.MatchString
	}
	return func(s string) bool { return s == id.Subject }
}

func TestReleaseIdentity(t *testing.T) {
	p := policyNamed(t, productionPolicies(t, context.Background()), "hft-ninja-release")
	match := subjectMatcher(t, p.CIP.Spec.Authorities[0].Keyless.Identities[0])
	const wf = "https://github.com/hft-ninja/hft-ninja/.github/workflows/release.yml"
	for subject, want := range map[string]bool{
		wf + "@refs/tags/v1.2.3":      true,
		wf + "@refs/tags/v1.2.3-rc.1": true,
		wf + "@refs/heads/main":       false, // a branch build is not a release
		wf + "@refs/tags/latest":      false,
		wf + "@refs/pull/7/merge":     false,
		"https://github.com/evil/hft-ninja/.github/workflows/release.yml@refs/tags/v1.2.3": false,
		"https://github.com/hft-ninja/hft-ninja/.github/workflows/ci.yml@refs/tags/v1.2.3": false,
		wf + "@refs/tags/v1.2.3\nx": false,
	} {
		if got := match(subject); got != want {
			t.Errorf("release identity match(%q) = %v, want %v", subject, got, want)
		}
	}
	for img, want := range map[string]bool{
		"ghcr.io/hft-ninja/hft-ninja@sha256:" + strings.Repeat("a", 64):      true,
		"ghcr.io/hft-ninja/hft-ninja:v1.2.3":                                 true,
		"ghcr.io/hft-ninja/hft-ninja-evil@sha256:" + strings.Repeat("a", 64): false,
		"ghcr.io/hft-ninja/other@sha256:" + strings.Repeat("a", 64):          false,
	} {
		if got, err := p.Matches(img); err != nil || got != want {
			t.Errorf("policy images match(%q) = %v, %v; want %v", img, got, err, want)
		}
	}
}

func TestBaseImagePolicy(t *testing.T) {
	p := policyNamed(t, loadPolicies(t, context.Background(), "policies/base/*.yaml"), "chainguard-static")
	id := p.CIP.Spec.Authorities[0].Keyless.Identities[0]
	if id.Subject != "https://github.com/chainguard-images/images/.github/workflows/release.yaml@refs/heads/main" {
		t.Errorf("base image subject = %q, want Chainguard's images release workflow on main", id.Subject)
	}
	for img, want := range map[string]bool{
		"cgr.dev/chainguard/static@sha256:" + strings.Repeat("b", 64):      true,
		"cgr.dev/chainguard/static:latest":                                 true,
		"cgr.dev/chainguard/static-evil@sha256:" + strings.Repeat("b", 64): false,
	} {
		if got, err := p.Matches(img); err != nil || got != want {
			t.Errorf("base policy match(%q) = %v, %v; want %v", img, got, err, want)
		}
	}
}

// deploy-verify checks the same identities with cosign that the cluster
// checks with policy-controller; they must not drift apart.
func TestDeployVerifyIdentitiesMatchPolicies(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(repoRoot(t), "hack", "deploy-verify.sh"))
	if err != nil {
		t.Fatal(err)
	}
	pols := productionPolicies(t, context.Background())
	for name, variable := range map[string]string{
		"hft-ninja-release": "RELEASE_IDENTITY_REGEXP",
		"hft-ninja-slsa-l3": "GENERATOR_IDENTITY_REGEXP",
	} {
		re := regexp.MustCompile(`(?m)^readonly ` + variable + `='([^']*)'$`)
		m := re.FindSubmatch(script)
		if m == nil {
			t.Fatalf("hack/deploy-verify.sh defines no %s", variable)
		}
		want := policyNamed(t, pols, name).CIP.Spec.Authorities[0].Keyless.Identities[0].SubjectRegExp
		if string(m[1]) != want {
			t.Errorf("hack/deploy-verify.sh %s = %q, policy %s has %q", variable, m[1], name, want)
		}
	}
}

// attestationPolicy returns the Rego/CUE of the named attestation.
func attestationPolicy(t *testing.T, p Policy, name string) v1beta1.Attestation {
	t.Helper()
	for _, a := range p.CIP.Spec.Authorities {
		for _, at := range a.Attestations {
			if at.Name == name {
				if at.Policy == nil {
					t.Fatalf("attestation %s has no policy", name)
				}
				return at
			}
		}
	}
	t.Fatalf("policy %s has no attestation %s", p.CIP.Name, name)
	return v1beta1.Attestation{}
}

// evaluate runs an attestation policy with cosign's evaluator, the function
// policy-controller's webhook calls for each attestation.
func evaluate(t *testing.T, at v1beta1.Attestation, statement map[string]any) error {
	t.Helper()
	b, err := json.Marshal(statement)
	if err != nil {
		t.Fatal(err)
	}
	warn, err := cosignpolicy.EvaluatePolicyAgainstJSON(context.Background(), at.Name, at.Policy.Type, at.Policy.Data, b)
	if err != nil {
		return err
	}
	return warn
}

// goodProvenance is the SLSA v1 statement the pipeline emits for tag v1.2.3
// in production (see build/provenance).
func goodProvenance() map[string]any {
	return map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"predicateType": "https://slsa.dev/provenance/v1",
		"subject":       []any{map[string]any{"name": "ghcr.io/hft-ninja/hft-ninja", "digest": map[string]any{"sha256": strings.Repeat("a", 64)}}},
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": "https://github.com/hft-ninja/hft-ninja/build/ko@v1",
				"externalParameters": map[string]any{
					"source":      map[string]any{"repository": "https://github.com/hft-ninja/hft-ninja", "ref": "refs/tags/v1.2.3"},
					"buildConfig": map[string]any{"importPath": "./cmd/hft-ninja"},
				},
				"resolvedDependencies": []any{
					map[string]any{"uri": "git+https://github.com/hft-ninja/hft-ninja@refs/tags/v1.2.3", "digest": map[string]any{"gitCommit": strings.Repeat("c", 40)}, "annotations": map[string]any{"dirty": false}},
					map[string]any{"uri": "pkg:oci/static?repository_url=cgr.dev/chainguard/static", "digest": map[string]any{"sha256": strings.Repeat("b", 64)}, "annotations": map[string]any{"role": "base-image", "standIn": false}},
				},
			},
			"runDetails": map[string]any{
				"builder":  map[string]any{"id": "https://github.com/hft-ninja/hft-ninja/.github/workflows/release.yml@refs/tags/v1.2.3"},
				"metadata": map[string]any{"invocationId": "https://github.com/hft-ninja/hft-ninja/actions/runs/1/attempts/1"},
			},
		},
	}
}

// set replaces the value at a dotted path in a statement.
func set(m map[string]any, path string, v any) map[string]any {
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		cur = cur[p].(map[string]any)
	}
	if v == nil {
		delete(cur, parts[len(parts)-1])
	} else {
		cur[parts[len(parts)-1]] = v
	}
	return m
}

func TestProvenancePolicy(t *testing.T) {
	at := attestationPolicy(t, policyNamed(t, productionPolicies(t, context.Background()), "hft-ninja-release"), "slsa-v1-provenance")
	if at.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Fatalf("predicateType = %q", at.PredicateType)
	}
	if err := evaluate(t, at, goodProvenance()); err != nil {
		t.Fatalf("the pipeline's production provenance is denied: %v", err)
	}
	cases := []struct {
		name, path string
		value      any
		want       string
	}{
		{"branch build", "predicate.runDetails.builder.id", "https://github.com/hft-ninja/hft-ninja/.github/workflows/release.yml@refs/heads/main", "runDetails.builder.id"},
		{"other workflow", "predicate.runDetails.builder.id", "https://github.com/hft-ninja/hft-ninja/.github/workflows/ci.yml@refs/tags/v1.2.3", "runDetails.builder.id"},
		{"no builder", "predicate.runDetails.builder.id", nil, "runDetails.builder.id"},
		{"forked source", "predicate.buildDefinition.externalParameters.source.repository", "https://github.com/evil/hft-ninja", "source.repository"},
		{"branch ref", "predicate.buildDefinition.externalParameters.source.ref", "refs/heads/main", "source.ref"},
		{"local build type", "predicate.buildDefinition.buildType", "https://example.com/other@v1", "buildType"},
		{"dirty tree", "predicate.buildDefinition.resolvedDependencies", []any{
			map[string]any{"uri": "git+https://github.com/hft-ninja/hft-ninja@refs/tags/v1.2.3", "digest": map[string]any{"gitCommit": strings.Repeat("c", 40)}, "annotations": map[string]any{"dirty": true}},
			map[string]any{"uri": "pkg:oci/static?repository_url=cgr.dev/chainguard/static", "digest": map[string]any{"sha256": strings.Repeat("b", 64)}, "annotations": map[string]any{"role": "base-image"}},
		}, "dirty"},
		{"second base", "predicate.buildDefinition.resolvedDependencies", []any{
			map[string]any{"uri": "git+https://github.com/hft-ninja/hft-ninja@refs/tags/v1.2.3", "digest": map[string]any{"gitCommit": strings.Repeat("c", 40)}, "annotations": map[string]any{"dirty": false}},
			map[string]any{"uri": "pkg:oci/static?repository_url=cgr.dev/chainguard/static", "digest": map[string]any{"sha256": strings.Repeat("b", 64)}, "annotations": map[string]any{"role": "base-image"}},
			map[string]any{"uri": "pkg:oci/evil?repository_url=evil.example/evil", "digest": map[string]any{"sha256": strings.Repeat("e", 64)}, "annotations": map[string]any{"role": "base-image"}},
		}, "2 base images"},
		{"other import path", "predicate.buildDefinition.externalParameters.buildConfig", map[string]any{"importPath": "./cmd/debug-shell"}, "importPath"},
		{"no base image", "predicate.buildDefinition.resolvedDependencies", []any{}, "resolvedDependencies"},
		{"base image by tag", "predicate.buildDefinition.resolvedDependencies", []any{map[string]any{"uri": "pkg:oci/static?repository_url=cgr.dev/chainguard/static", "digest": map[string]any{}}}, "resolvedDependencies"},
		{"other base", "predicate.buildDefinition.resolvedDependencies", []any{map[string]any{"uri": "pkg:oci/alpine?repository_url=docker.io/library/alpine", "digest": map[string]any{"sha256": strings.Repeat("b", 64)}}}, "resolvedDependencies"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := evaluate(t, at, set(goodProvenance(), c.path, c.value))
			if err == nil {
				t.Fatalf("tampered provenance (%s) was admitted", c.name)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("deny reason %q does not name %s", err, c.want)
			}
		})
	}
}

func TestSBOMPolicy(t *testing.T) {
	at := attestationPolicy(t, policyNamed(t, productionPolicies(t, context.Background()), "hft-ninja-release"), "spdx-sbom")
	sbom := func(pkgs []any) map[string]any {
		return map[string]any{
			"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://spdx.dev/Document",
			"predicate": map[string]any{"spdxVersion": "SPDX-2.3", "packages": pkgs},
		}
	}
	if err := evaluate(t, at, sbom([]any{map[string]any{"name": "github.com/gagliardetto/solana-go", "SPDXID": "SPDXRef-Package-go-module-1"}})); err != nil {
		t.Fatalf("a real SBOM is denied: %v", err)
	}
	if err := evaluate(t, at, sbom([]any{})); err == nil || !strings.Contains(err.Error(), "packages") {
		t.Errorf("an empty SBOM must be denied naming packages, got %v", err)
	}
}

func TestSLSAL3Policy(t *testing.T) {
	at := attestationPolicy(t, policyNamed(t, productionPolicies(t, context.Background()), "hft-ninja-slsa-l3"), "slsa-l3-provenance")
	prov := func(builder, uri, entry string) map[string]any {
		return map[string]any{
			"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://slsa.dev/provenance/v0.2",
			"predicate": map[string]any{
				"builder":    map[string]any{"id": builder},
				"buildType":  "https://github.com/slsa-framework/slsa-github-generator/container@v1",
				"invocation": map[string]any{"configSource": map[string]any{"uri": uri, "entryPoint": entry}},
			},
		}
	}
	const gen = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0"
	const src = "git+https://github.com/hft-ninja/hft-ninja@refs/tags/v1.2.3"
	if err := evaluate(t, at, prov(gen, src, ".github/workflows/release.yml")); err != nil {
		t.Fatalf("the generator's provenance is denied: %v", err)
	}
	for name, c := range map[string]struct{ b, u, e, want string }{
		"self-made":     {"https://github.com/hft-ninja/hft-ninja/.github/workflows/release.yml@refs/tags/v1.2.3", src, ".github/workflows/release.yml", "builder.id"},
		"branch source": {gen, "git+https://github.com/hft-ninja/hft-ninja@refs/heads/main", ".github/workflows/release.yml", "configSource.uri"},
		"other entry":   {gen, src, ".github/workflows/ci.yml", "entryPoint"},
	} {
		if err := evaluate(t, at, prov(c.b, c.u, c.e)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want a deny naming %s, got %v", name, c.want, err)
		}
	}
}

func TestPolicyBadInputs(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join("testdata", "policies")
	cases := []struct {
		file, marker, want string
	}{
		{"typo-field.yaml", "subjectRegexp:", `unknown field`},
		{"typo-predicate-type.yaml", "predicateType: slsaprovenance1", "predicateType"},
		{"no-identities.yaml", "keyless:", "identities"},
		{"bad-mode.yaml", "mode: enforcing", "mode"},
		{"bad-rego.yaml", "regex.matchez", "undefined function"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(dir, c.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, ps := CheckPolicies(ctx, path, data)
			wantProblemAt(t, ps, path, c.marker, c.want)
		})
	}
}

// The statement the pipeline's own provenance package writes for a
// production tag build must satisfy the production Rego; the stand-in base
// of the local profile must not.
func TestProvenancePolicyAcceptsPipelineStatement(t *testing.T) {
	at := attestationPolicy(t, policyNamed(t, productionPolicies(t, context.Background()), "hft-ninja-release"), "slsa-v1-provenance")
	base := koBaseImage(t)
	in := provenance.Input{
		Subjects:         []name.Digest{mustDigest(t, "ghcr.io/hft-ninja/hft-ninja@sha256:"+strings.Repeat("a", 64))},
		SourceRepository: "https://github.com/hft-ninja/hft-ninja",
		SourceRef:        "refs/tags/v1.2.3",
		SourceCommit:     strings.Repeat("c", 40),
		BaseImage:        base,
		BuildConfig:      map[string]any{"importPath": "./cmd/hft-ninja"},
		GoVersion:        "go1.26.8",
		BuilderID:        "https://github.com/hft-ninja/hft-ninja/.github/workflows/release.yml@refs/tags/v1.2.3",
		InvocationID:     "https://github.com/hft-ninja/hft-ninja/actions/runs/1/attempts/1",
	}
	eval := func(in provenance.Input) error {
		b, err := provenance.Statement(in)
		if err != nil {
			t.Fatal(err)
		}
		var st map[string]any
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		return evaluate(t, at, st)
	}
	if err := eval(in); err != nil {
		t.Fatalf("production provenance from build/provenance is denied: %v", err)
	}
	standIn := in
	standIn.BaseImageStandIn = true
	if err := eval(standIn); err == nil || !strings.Contains(err.Error(), "stand-in") {
		t.Errorf("provenance on the stand-in base must be denied naming it, got %v", err)
	}
	main := in
	main.SourceRef = "refs/heads/main"
	main.BuilderID = "https://github.com/hft-ninja/hft-ninja/.github/workflows/release.yml@refs/heads/main"
	if err := eval(main); err == nil || !strings.Contains(err.Error(), "source.ref") {
		t.Errorf("a main-branch build must be denied naming source.ref, got %v", err)
	}
}

// koBaseImage is the base image .ko.yaml pins, which the base policy must
// cover and the provenance must name.
func koBaseImage(t *testing.T) name.Digest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".ko.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ko struct {
		DefaultBaseImage string `yaml:"defaultBaseImage"`
	}
	if err := yaml.Unmarshal(data, &ko); err != nil {
		t.Fatal(err)
	}
	ref := ko.DefaultBaseImage
	// "repo:tag@sha256:..." — the digest decides; drop the tag.
	if repo, digest, ok := strings.Cut(ref, "@"); ok {
		if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
			repo = repo[:i]
		}
		ref = repo + "@" + digest
	}
	return mustDigest(t, ref)
}

func mustDigest(t *testing.T, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return d
}

func TestBasePolicyCoversKoBase(t *testing.T) {
	p := policyNamed(t, loadPolicies(t, context.Background(), "policies/base/*.yaml"), "chainguard-static")
	base := koBaseImage(t)
	if ok, err := p.Matches(base.String()); err != nil || !ok {
		t.Errorf(".ko.yaml base %s is not covered by policies/base (%v)", base, err)
	}
}
