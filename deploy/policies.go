package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue/cuecontext"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sigstore/policy-controller/pkg/apis/glob"
	"github.com/sigstore/policy-controller/pkg/apis/policy/v1beta1"
	pcpolicy "github.com/sigstore/policy-controller/pkg/policy"
	"knative.dev/pkg/apis"
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
		// policy-controller decodes with encoding/json, which matches field
		// names case-insensitively; the API server does not. Decode strictly
		// first so "subjectRegexp" is caught here, not by a cluster.
		var cip v1beta1.ClusterImagePolicy
		if ps := d.strictDecode("decoding ClusterImagePolicy (v1beta1) strictly", &cip); len(ps) > 0 {
			probs = append(probs, ps...)
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
		probs = append(probs, d.compilePolicies(&cip)...)
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

// compilePolicies compiles every Rego and CUE policy of a ClusterImagePolicy.
// policy-controller's validation accepts any text there and only fails at
// admission time, when a broken policy denies every pod; compiling here
// moves that failure to the test run, at the line of the mistake.
func (d Document) compilePolicies(cip *v1beta1.ClusterImagePolicy) []Problem {
	var out []Problem
	check := func(p *v1beta1.Policy, path ...string) {
		if p == nil || p.Data == "" {
			return
		}
		dataLine := d.LineOf(append(path, "data")...)
		switch p.Type {
		case "rego":
			out = append(out, d.compileRego(p.Data, dataLine)...)
		case "cue":
			if err := cuecontext.New().CompileString(p.Data).Err(); err != nil {
				out = append(out, Problem{File: d.File, Line: dataLine, Msg: fmt.Sprintf("cue policy does not compile: %v", err)})
			}
		}
	}
	check(cip.Spec.Policy, "spec", "policy")
	for i, a := range cip.Spec.Authorities {
		for j, at := range a.Attestations {
			check(at.Policy, "spec", "authorities", strconv.Itoa(i), "attestations", strconv.Itoa(j), "policy")
		}
	}
	return out
}

// compileRego parses and compiles a policy the way cosign evaluates it (Rego
// v0 syntax, package sigstore, rule isCompliant). dataLine is the line of the
// `data: |` key; the block's first line is the next one.
func (d Document) compileRego(src string, dataLine int) []Problem {
	const module = "sigstore.rego"
	opts := ast.ParserOptions{RegoVersion: ast.RegoV0}
	mod, err := ast.ParseModuleWithOpts(module, src, opts)
	if err == nil {
		c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV0)
		c.Compile(map[string]*ast.Module{module: mod})
		if c.Failed() {
			err = c.Errors
		}
	}
	if err != nil {
		var errs ast.Errors
		if errors.As(err, &errs) && len(errs) > 0 {
			var out []Problem
			for _, e := range errs {
				line := dataLine
				if e.Location != nil {
					line += e.Location.Row
				}
				out = append(out, Problem{File: d.File, Line: line, Msg: fmt.Sprintf("rego policy does not compile: %s", e.Message)})
			}
			return out
		}
		return []Problem{{File: d.File, Line: dataLine, Msg: fmt.Sprintf("rego policy does not compile: %v", err)}}
	}
	if mod.Package.Path.String() != "data.sigstore" {
		return []Problem{{File: d.File, Line: dataLine + mod.Package.Location.Row, Msg: fmt.Sprintf("rego package is %s, cosign evaluates data.sigstore", mod.Package.Path)}}
	}
	for _, r := range mod.Rules {
		if r.Head.Name.String() == "isCompliant" || r.Head.Ref().String() == "isCompliant" {
			return nil
		}
	}
	return []Problem{{File: d.File, Line: dataLine, Msg: "rego policy defines no isCompliant rule (cosign evaluates data.sigstore.isCompliant)"}}
}
