package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/policy-controller/pkg/apis/glob"
	"github.com/sigstore/policy-controller/pkg/apis/policy/v1beta1"
	pcpolicy "github.com/sigstore/policy-controller/pkg/policy"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"
)

// Policy is one ClusterImagePolicy document with where it came from.
type Policy struct {
	Doc Document
	CIP *v1beta1.ClusterImagePolicy
}

// CheckPolicies validates every document of a policy file with
// policy-controller's own code path (pkg/policy.Validate: strict decoding,
// the defaulting webhook, then the validating webhook's rules) and returns
// the decoded v1beta1 policies. Validation warnings count as problems: the
// webhook only warns about, for example, a predicateType that is neither a
// known short name nor a URI, and such a typo would otherwise match nothing
// and never be noticed.
func CheckPolicies(ctx context.Context, file string, data []byte) ([]Policy, []Problem) {
	docs, err := SplitDocuments(file, data)
	if err != nil {
		return nil, []Problem{{File: file, Msg: err.Error()}}
	}
	var pols []Policy
	var probs []Problem
	for _, d := range docs {
		if d.Root == nil {
			continue
		}
		warns, err := pcpolicy.Validate(ctx, string(d.Raw))
		if err != nil {
			probs = append(probs, d.policyProblems(err)...)
			continue
		}
		if warns != nil {
			probs = append(probs, d.policyProblems(warns)...)
		}
		var cip v1beta1.ClusterImagePolicy
		if err := yaml.UnmarshalStrict(d.Raw, &cip); err != nil {
			probs = append(probs, d.decodeProblem("decoding ClusterImagePolicy (v1beta1)", err))
			continue
		}
		if cip.APIVersion != v1beta1.SchemeGroupVersion.String() || cip.Kind != "ClusterImagePolicy" {
			probs = append(probs, Problem{File: file, Line: d.LineOf("apiVersion"),
				Msg: fmt.Sprintf("want %s ClusterImagePolicy, got %s %s", v1beta1.SchemeGroupVersion, cip.APIVersion, cip.Kind)})
			continue
		}
		pols = append(pols, Policy{Doc: d, CIP: &cip})
	}
	return pols, probs
}

// policyProblems places a policy-controller error on the lines it concerns:
// each field path of a knative FieldError, or the key an "unknown field"
// decoding error names.
func (d Document) policyProblems(err error) []Problem {
	var fe *apis.FieldError
	if !errors.As(err, &fe) {
		return []Problem{d.decodeProblem("policy-controller validation", err)}
	}
	var out []Problem
	for _, e := range fe.WrappedErrors() {
		msg := e.Message
		if e.Details != "" {
			msg += ": " + e.Details
		}
		if len(e.Paths) == 0 {
			out = append(out, Problem{File: d.File, Line: d.Line, Msg: "policy-controller validation: " + msg})
			continue
		}
		for _, p := range e.Paths {
			out = append(out, Problem{File: d.File, Line: d.LineOf(fieldPath(p)...),
				Msg: fmt.Sprintf("policy-controller validation: %s: %s", msg, p)})
		}
	}
	if len(out) == 0 {
		out = append(out, Problem{File: d.File, Line: d.Line, Msg: "policy-controller validation: " + strings.TrimSpace(fe.Error())})
	}
	return out
}

// Matches reports whether any image glob of the policy matches image, with
// policy-controller's own glob semantics.
func (p Policy) Matches(image string) (bool, error) {
	for _, g := range p.CIP.Spec.Images {
		ok, err := glob.Match(g.Glob, image)
		if err != nil {
			return false, fmt.Errorf("glob %q: %w", g.Glob, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}
