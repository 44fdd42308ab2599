// Package deploy validates, offline, everything that leaves this repository
// for GitHub or a cluster: the GitHub Actions workflows, the Kubernetes
// manifests in k8s/ and the sigstore ClusterImagePolicy documents in
// policies/. None of these can be exercised against GitHub, ghcr.io or a
// cluster from a build machine, so they are checked here with the same
// decoders and validators the real consumers use (k8s.io/api types, the Pod
// Security admission checks, policy-controller's validation, cosign's Rego
// evaluator), and every finding names the file and line to fix.
package deploy

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"
	k8syaml "sigs.k8s.io/yaml"
)

// Problem is one finding, printed as "file:line: message" so editors and CI
// logs can jump to it.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Document is one YAML document of a multi-document file: its raw text (for
// decoders such as sigs.k8s.io/yaml that must see exactly what kubectl sees)
// and its node tree (for line numbers).
type Document struct {
	File string
	// Line is the 1-based line in File where the document's text starts.
	Line int
	Raw  []byte
	// Root is the document's top-level node, nil for a document with only
	// comments.
	Root *yaml.Node
}

var separator = regexp.MustCompile(`^---\s*(#.*)?$`)

// SplitDocuments splits a YAML stream on "---" lines, keeping each
// document's starting line so that positions stay file-relative.
func SplitDocuments(file string, data []byte) ([]Document, error) {
	var docs []Document
	lines := bytes.SplitAfter(data, []byte("\n"))
	start := 0
	flush := func(end int) error {
		raw := bytes.Join(lines[start:end], nil)
		var n yaml.Node
		if err := yaml.Unmarshal(raw, &n); err != nil {
			return fmt.Errorf("%s: %s", file, shiftYAMLError(err, start))
		}
		d := Document{File: file, Line: start + 1, Raw: raw}
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			d.Root = n.Content[0]
			shiftLines(d.Root, start)
		}
		docs = append(docs, d)
		return nil
	}
	for i, l := range lines {
		if separator.Match(bytes.TrimRight(l, "\r\n")) {
			if err := flush(i); err != nil {
				return nil, err
			}
			start = i + 1
		}
	}
	if err := flush(len(lines)); err != nil {
		return nil, err
	}
	return docs, nil
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// shiftYAMLError rewrites "line N" in a YAML parser error to the file line.
func shiftYAMLError(err error, by int) string {
	return yamlLine.ReplaceAllStringFunc(err.Error(), func(m string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
		return fmt.Sprintf("line %d", n+by)
	})
}

// Lookup walks a path of mapping keys and sequence indexes ("spec",
// "containers", "0", "image") and returns the node found, or nil.
func Lookup(n *yaml.Node, path ...string) *yaml.Node {
	for _, p := range path {
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					next = n.Content[i+1]
					break
				}
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	return n
}

// LineOf is the line of the node at path (the key's line for a mapping
// entry). When the path does not resolve all the way (a missing field, or a
// path that omits a list index, as some validators' paths do), it is the line
// of the path's last key found under the deepest node that exists, else of
// that deepest node, so a finding lands as close to its cause as possible.
func (d Document) LineOf(path ...string) int {
	if d.Root == nil {
		return d.Line
	}
	n, line := d.Root, d.Root.Line
	for _, p := range path {
		next, keyLine := step(n, p)
		if next == nil {
			if l := keyLineUnder(n, path[len(path)-1]); l > 0 {
				return l
			}
			return line
		}
		n, line = next, keyLine
	}
	return line
}

// step descends one path segment and returns the child and the line that
// names it (the key's line for a mapping, the item's for a sequence).
func step(n *yaml.Node, p string) (*yaml.Node, int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				return n.Content[i+1], n.Content[i].Line
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i], n.Content[i].Line
		}
	}
	return nil, 0
}

// KeyLine is the line of the first mapping key called key anywhere in the
// document, for decoder errors that name a key but no path.
func (d Document) KeyLine(key string) int {
	if l := keyLineUnder(d.Root, key); l > 0 {
		return l
	}
	return d.Line
}

// keyLineUnder finds the first mapping key called key in n's subtree, depth
// first, or 0.
func keyLineUnder(n *yaml.Node, key string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := keyLineUnder(c, key); l > 0 {
			return l
		}
	}
	return 0
}

// fieldPath turns a knative/k8s field path such as
// "spec.authorities[0].keyless.url" into Lookup segments.
func fieldPath(p string) []string {
	p = strings.NewReplacer("[", ".", "]", "").Replace(p)
	var out []string
	for _, s := range strings.Split(p, ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// decodeProblem turns a decoder error into a Problem at the line of the
// offending field when the error names one ("unknown field \"a.b[0].c\"").
func (d Document) decodeProblem(what string, err error) Problem {
	line := d.Line
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		line = d.LineOf(fieldPath(m[1])...)
	}
	return Problem{File: d.File, Line: line, Msg: fmt.Sprintf("%s: %v", what, err)}
}

// strictDecode decodes a document into v the way the API server's strict
// field validation does: YAML to JSON rejecting duplicate keys, then JSON
// matched case-sensitively (encoding/json would accept "subjectRegexp" for
// "subjectRegExp") with unknown fields refused.
func (d Document) strictDecode(what string, v any) []Problem {
	j, err := k8syaml.YAMLToJSONStrict(d.Raw)
	if err != nil {
		return []Problem{{File: d.File, Line: d.Line, Msg: fmt.Sprintf("%s: %s", what, shiftYAMLError(err, d.Line-1))}}
	}
	strictErrs, err := kjson.UnmarshalStrict(j, v)
	if err != nil {
		return []Problem{d.decodeProblem(what, err)}
	}
	var out []Problem
	for _, e := range strictErrs {
		out = append(out, d.decodeProblem(what, e))
	}
	return out
}
