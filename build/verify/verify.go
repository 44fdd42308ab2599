// Package verify evaluates ClusterImagePolicy documents against a pushed
// digest with policy-controller's pkg/policy: the code path the admission
// webhook runs in the cluster.
package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/policy-controller/pkg/policy"
	"go.uber.org/zap"
	"knative.dev/pkg/logging"
	"sigs.k8s.io/yaml"
)

// Policy is one ClusterImagePolicy document, rendered and validated.
type Policy struct {
	Name string // metadata.name
	File string // where it came from
	Data string // rendered YAML
	// Requires lists the attestation predicate types the policy demands,
	// so a denial can name what is missing.
	Requires []string
	// WarnOnly is a mode: warn policy: the cluster admits and warns.
	WarnOnly bool
}

// Verdict is one policy's decision about one digest.
type Verdict struct {
	Policy  string `json:"name"`
	File    string `json:"file"`
	Image   string `json:"image"`
	Verdict string `json:"verdict"` // pass, deny or skip (policy does not cover the image)
	Reason  string `json:"reason"`
}

// Verdict values.
const (
	Pass = "pass"
	Deny = "deny"
	Skip = "skip"
	Warn = "warn" // a mode: warn policy that would have denied
)

// ErrDenied is returned when any policy denies, or none covers the image.
var ErrDenied = errors.New("denied by admission policy")

// ErrBadPolicy marks an unreadable, malformed or invalid policy file.
var ErrBadPolicy = errors.New("bad policy")

// Load reads every *.yaml in dir, renders it as a Go template with vars
// (e.g. the release public key, which differs per clone), and validates
// each ClusterImagePolicy with policy-controller's own validation.
func Load(ctx context.Context, dir string, vars any) ([]Policy, error) {
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		fs, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, fmt.Errorf("listing policies in %s: %w", dir, err)
		}
		files = append(files, fs...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.yaml policies in %s", ErrBadPolicy, dir)
	}
	sort.Strings(files)
	var out []Policy
	seen := map[string]string{}
	for _, f := range files {
		ps, err := loadFile(ctx, f, vars)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			// In the cluster one name is one object: the second would
			// replace the first.
			if prev, ok := seen[p.Name]; ok {
				return nil, fmt.Errorf("%w: policy %q is defined in %s and %s", ErrBadPolicy, p.Name, prev, p.File)
			}
			seen[p.Name] = p.File
		}
		out = append(out, ps...)
	}
	return out, nil
}

func loadFile(ctx context.Context, file string, vars any) ([]Policy, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPolicy, err)
	}
	tmpl, err := template.New(filepath.Base(file)).Funcs(template.FuncMap{"indent": indent}).Option("missingkey=error").Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadPolicy, file, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, vars); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadPolicy, file, err)
	}
	var out []Policy
	for i, doc := range splitYAML(buf.String()) {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			return nil, fmt.Errorf("%w: %s document %d: %v", ErrBadPolicy, file, i+1, err)
		}
		// A repeated key (a second authorities:, say) would silently
		// replace the first: refuse it.
		var anyDoc any
		if err := yaml.UnmarshalStrict([]byte(doc), &anyDoc); err != nil {
			return nil, fmt.Errorf("%w: %s document %d: %v", ErrBadPolicy, file, i+1, oneLine(err))
		}
		if meta.Kind == "" && onlyComments(doc) {
			continue
		}
		// Anything else is refused, not skipped: a typo in kind must not
		// silently drop a policy from the gate.
		if meta.Kind != "ClusterImagePolicy" {
			return nil, fmt.Errorf("%w: %s document %d: kind %q is not ClusterImagePolicy", ErrBadPolicy, file, i+1, meta.Kind)
		}
		// policy-controller's validation decodes strictly, so a typo'd
		// field is an error instead of a silently weaker policy.
		cips, _, err := policy.ParseClusterImagePolicies(ctx, doc)
		if err != nil {
			return nil, fmt.Errorf("%w: %s (%s): %v", ErrBadPolicy, file, meta.Metadata.Name, oneLine(err))
		}
		p := Policy{Name: meta.Metadata.Name, File: file, Data: doc}
		for _, cip := range cips {
			if len(cip.Spec.Match) > 0 {
				return nil, fmt.Errorf("%w: %s (%s): match: selects by Kubernetes resource, which an image check outside the cluster cannot evaluate", ErrBadPolicy, file, p.Name)
			}
			if cip.Spec.Mode == "warn" {
				p.WarnOnly = true
			}
			for _, a := range cip.Spec.Authorities {
				for _, att := range a.Attestations {
					p.Requires = append(p.Requires, att.PredicateType)
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// Evaluator checks digests against a set of policies.
type Evaluator struct {
	policies []Policy
	keychain authn.Keychain
}

// New returns an Evaluator; keychain authenticates registry reads.
func New(policies []Policy, kc authn.Keychain) *Evaluator {
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	return &Evaluator{policies: policies, keychain: kc}
}

// Evaluate returns one verdict per policy for d, and ErrDenied if any policy
// denies or none covers d. A tag is refused: admission decisions are about
// content, and a tag can move between the check and the pull.
func (e *Evaluator) Evaluate(ctx context.Context, d name.Digest) ([]Verdict, error) {
	var out []Verdict
	covered, denied := false, false
	for _, p := range e.policies {
		v := e.one(ctx, p, d)
		out = append(out, v)
		switch v.Verdict {
		case Pass:
			covered = true
		case Deny, Warn:
			// A release gate does not ship what the cluster would only
			// warn about.
			covered, denied = true, true
		}
	}
	if denied {
		return out, ErrDenied
	}
	if !covered {
		return out, fmt.Errorf("%w: no policy covers %s", ErrDenied, d)
	}
	return out, nil
}

func (e *Evaluator) one(ctx context.Context, p Policy, d name.Digest) Verdict {
	v := Verdict{Policy: p.Name, File: p.File, Image: d.String()}
	var mu sync.Mutex
	var warnings []string
	ww := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, fmt.Sprintf(format, args...))
	}
	vfy, err := policy.Compile(ctx, policy.Verification{NoMatchPolicy: "warn", Policies: &[]policy.Source{{Data: p.Data}}}, ww)
	if err != nil {
		v.Verdict, v.Reason = Deny, "policy does not compile: "+oneLine(err)
		return v
	}
	if err := vfy.Verify(quiet(ctx), d, e.keychain); err != nil {
		v.Verdict, v.Reason = Deny, oneLine(err)
		if strings.Contains(v.Reason, "no matching attestations") && len(p.Requires) > 0 {
			v.Reason += " (requires " + strings.Join(p.Requires, ", ") + ")"
		}
		return v
	}
	for _, w := range warnings {
		if strings.Contains(w, "is uncovered by policy") {
			v.Verdict, v.Reason = Skip, "policy does not cover this image"
			return v
		}
	}
	v.Verdict, v.Reason = Pass, "all authorities and attestations satisfied"
	if len(warnings) > 0 {
		w := oneLine(errors.New(strings.Join(warnings, "; ")))
		if p.WarnOnly {
			v.Verdict, v.Reason = Warn, "mode: warn policy not satisfied: "+w
		} else {
			v.Reason += " (warnings: " + w + ")"
		}
	}
	return v
}

// quiet gives policy-controller a no-op logger: without one, knative's
// fallback logger prints every denial with a stack trace to stderr. Our
// verdicts carry the reason.
func quiet(ctx context.Context) context.Context {
	return logging.WithLogger(ctx, zap.NewNop().Sugar())
}

func onlyComments(doc string) bool {
	for _, l := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

func splitYAML(s string) []string {
	var docs []string
	for _, d := range strings.Split("\n"+s, "\n---") {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, strings.TrimLeft(d, "\n"))
		}
	}
	return docs
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}

// oneLine flattens multi-line library errors for a one-line report.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
