package deploy

import (
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

var (
	// A full commit SHA: tags and branches can be moved by whoever controls
	// the action's repository; a 40-hex commit cannot.
	fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// The human-readable version that goes with a SHA pin, so reviewers and
	// update bots can tell what the SHA is.
	versionComment = regexp.MustCompile(`^#\s*v\d+(\.\d+){0,2}\S*$`)
	semverTag      = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)
	dockerDigest   = regexp.MustCompile(`^docker://[^@]+@sha256:[0-9a-f]{64}$`)
)

// tagPinnedReusable lists reusable workflows that must be referenced by an
// exact vX.Y.Z tag instead of a SHA. slsa-github-generator's builders locate
// their own release binaries and prove their identity through the tag ref in
// the Fulcio certificate; a SHA ref makes them fail by design (see their
// README, "Referencing SLSA builders and generators").
func tagPinnedReusable(uses string) bool {
	return strings.HasPrefix(uses, "slsa-framework/slsa-github-generator/.github/workflows/")
}

// CheckWorkflow reports, with file and line, every way a GitHub Actions
// workflow departs from this project's rules: explicit least-privilege
// permissions on every job (and an explicit top-level default), every
// third-party action pinned by full commit SHA with a version comment, and no
// pull_request_target trigger.
func CheckWorkflow(file string, data []byte) []Problem {
	docs, err := SplitDocuments(file, data)
	if err != nil {
		return []Problem{{File: file, Msg: err.Error()}}
	}
	if len(docs) != 1 || docs[0].Root == nil || docs[0].Root.Kind != yaml.MappingNode {
		return []Problem{{File: file, Line: 1, Msg: "a workflow is exactly one YAML mapping"}}
	}
	d := docs[0]
	var out []Problem
	add := func(line int, format string, args ...any) {
		out = append(out, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}

	if on := Lookup(d.Root, "on"); on != nil {
		for _, ev := range triggers(on) {
			if ev.Value == "pull_request_target" {
				add(ev.Line, "pull_request_target runs fork code with a write token and secrets; use pull_request")
			}
		}
	}
	if p := Lookup(d.Root, "permissions"); p == nil {
		add(d.Root.Line, "no top-level permissions: set `permissions: {}` so jobs start from nothing")
	} else {
		out = append(out, checkPermissions(file, p)...)
	}

	jobs := Lookup(d.Root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		add(d.Root.Line, "no jobs")
		return out
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		name, job := jobs.Content[i], jobs.Content[i+1]
		if p := Lookup(job, "permissions"); p == nil {
			add(name.Line, "job %q has no explicit permissions", name.Value)
		} else {
			out = append(out, checkPermissions(file, p)...)
		}
		if u := Lookup(job, "uses"); u != nil {
			out = append(out, checkUses(file, u)...)
		}
		if steps := Lookup(job, "steps"); steps != nil {
			for _, s := range steps.Content {
				if u := Lookup(s, "uses"); u != nil {
					out = append(out, checkUses(file, u)...)
				}
			}
		}
	}
	return out
}

// triggers returns the event-name nodes of an `on:` value in any of its
// three shapes (scalar, list, mapping).
func triggers(on *yaml.Node) []*yaml.Node {
	switch on.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{on}
	case yaml.SequenceNode:
		return on.Content
	case yaml.MappingNode:
		var out []*yaml.Node
		for i := 0; i < len(on.Content); i += 2 {
			out = append(out, on.Content[i])
		}
		return out
	}
	return nil
}

func checkPermissions(file string, p *yaml.Node) []Problem {
	if p.Kind == yaml.ScalarNode && (p.Value == "write-all" || p.Value == "read-all") {
		return []Problem{{File: file, Line: p.Line, Msg: fmt.Sprintf("permissions: %s grants every scope; list the scopes the job uses", p.Value)}}
	}
	return nil
}

// checkUses validates one `uses:` value (a step's action or a job's reusable
// workflow).
func checkUses(file string, u *yaml.Node) []Problem {
	v := u.Value
	bad := func(format string, args ...any) []Problem {
		return []Problem{{File: file, Line: u.Line, Msg: fmt.Sprintf(format, args...)}}
	}
	switch {
	case strings.HasPrefix(v, "./"):
		return nil // in this repository, reviewed with it
	case strings.HasPrefix(v, "docker://"):
		if !dockerDigest.MatchString(v) {
			return bad("%s is not pinned by sha256 digest", v)
		}
		return nil
	}
	target, ref, ok := strings.Cut(v, "@")
	if !ok || ref == "" {
		return bad("action %s has no ref; pin it by full commit SHA", v)
	}
	if tagPinnedReusable(target) {
		if !semverTag.MatchString(ref) {
			return bad("%s must be referenced by an exact vX.Y.Z tag (the SLSA generator requires it), got %q", target, ref)
		}
		return nil
	}
	if !fullSHA.MatchString(ref) {
		return bad("action %s is pinned to %q, not a full 40-hex commit SHA", target, ref)
	}
	if !versionComment.MatchString(strings.TrimSpace(u.LineComment)) {
		return bad("action %s@%s needs a trailing version comment such as `# v1.2.3`", target, ref[:12])
	}
	return nil
}
