package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWorkflowsPinnedAndLeastPrivilege(t *testing.T) {
	files := repoFiles(t, ".github/workflows/*.y*ml")
	names := map[string]bool{}
	for _, f := range files {
		names[filepath.Base(f)] = true
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if ps := CheckWorkflow(rel(t, f), data); len(ps) > 0 {
			t.Errorf("workflow problems:\n%s", problemsText(ps))
		}
	}
	for _, want := range []string{"ci.yml", "release.yml"} {
		if !names[want] {
			t.Errorf(".github/workflows/%s is missing", want)
		}
	}
}

// The release workflow is the identity the admission policy trusts; these
// are the properties that make that trust meaningful.
func TestReleaseWorkflowShape(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".github/workflows/release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := SplitDocuments("release.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	root := docs[0]
	tags := Lookup(root.Root, "on", "push", "tags")
	if tags == nil || len(tags.Content) != 1 || tags.Content[0].Value != "v*" {
		t.Errorf("release.yml must trigger on push of tags v* only")
	}
	if Lookup(root.Root, "on", "push", "branches") != nil {
		t.Errorf("release.yml must not run on branch pushes: the policy trusts refs/tags/v* only")
	}
	perm := func(job, scope string) string {
		n := Lookup(root.Root, "jobs", job, "permissions", scope)
		if n == nil {
			return ""
		}
		return n.Value
	}
	for _, c := range []struct{ job, scope, want string }{
		{"image", "id-token", "write"},
		{"image", "packages", "write"},
		{"image-provenance", "id-token", "write"},
		{"verify", "packages", "read"},
		{"verify", "id-token", ""}, // verification needs no signing identity
		{"binaries", "id-token", "write"},
		{"publish", "contents", "write"},
		{"publish", "id-token", ""},
	} {
		if got := perm(c.job, c.scope); got != c.want {
			t.Errorf("jobs.%s.permissions.%s = %q, want %q", c.job, c.scope, got, c.want)
		}
	}
	if out := Lookup(root.Root, "jobs", "image", "outputs", "digest"); out == nil {
		t.Errorf("jobs.image must export the image digest as output `digest`")
	}
	if u := Lookup(root.Root, "jobs", "image-provenance", "uses"); u == nil ||
		!strings.HasPrefix(u.Value, "slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@") {
		t.Errorf("jobs.image-provenance must call slsa-github-generator's container generator")
	}
	// Publishing must wait for the policy check of the pushed digest.
	needs := map[string][]string{}
	jobs := Lookup(root.Root, "jobs")
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		n := Lookup(jobs.Content[i+1], "needs")
		if n == nil {
			continue
		}
		for _, c := range n.Content {
			needs[jobs.Content[i].Value] = append(needs[jobs.Content[i].Value], c.Value)
		}
	}
	var upstream func(job string, seen map[string]bool) map[string]bool
	upstream = func(job string, seen map[string]bool) map[string]bool {
		for _, n := range needs[job] {
			if !seen[n] {
				seen[n] = true
				upstream(n, seen)
			}
		}
		return seen
	}
	if !upstream("publish", map[string]bool{})["verify"] {
		t.Errorf("publish must (transitively) need verify: the policy check runs before the release is published")
	}
	if !strings.Contains(string(data), "ninja-release release --profile production --repo") {
		t.Errorf("release.yml must release through the pipeline CLI's production profile")
	}
	if !strings.Contains(string(data), "GITHUB_STEP_SUMMARY") {
		t.Errorf("release.yml must write a job summary")
	}
}

func TestCheckWorkflowBadInputs(t *testing.T) {
	dir := filepath.Join("testdata", "workflows")
	cases := []struct {
		file   string
		marker string // a substring of the offending line
		want   string // a substring of the message
	}{
		{"unpinned-action.yml", "actions/checkout@v4", `not a full 40-hex commit SHA`},
		{"short-sha.yml", "actions/setup-go@0c52d54", `not a full 40-hex commit SHA`},
		{"no-version-comment.yml", "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "version comment"},
		{"no-job-permissions.yml", "  build:", `job "build" has no explicit permissions`},
		{"pull-request-target.yml", "pull_request_target", "pull_request_target"},
		{"write-all.yml", "permissions: write-all", "grants every scope"},
		{"slsa-by-sha.yml", "generator_container_slsa3.yml@", "exact vX.Y.Z tag"},
		{"no-top-permissions.yml", "name: no-top-permissions", "no top-level permissions"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(dir, c.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ps := CheckWorkflow(path, data)
			wantProblemAt(t, ps, path, c.marker, c.want)
		})
	}
}

// actionlint checks expressions, contexts, job graphs, reusable-workflow
// inputs and (with shellcheck on PATH) every run: script.
func TestActionlint(t *testing.T) {
	bin := pinnedTool(t, "actionlint")
	root := repoRoot(t)
	cmd := exec.Command(bin, "-no-color")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint on .github/workflows: %v\n%s", err, out)
	}

	// And it must be able to fail: a workflow with an undefined context.
	bad := filepath.Join("testdata", "workflows", "actionlint-bad.yml")
	cmd = exec.Command(bin, "-no-color", bad)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("actionlint accepted %s", bad)
	}
	want := fmt.Sprintf("%s:%d:", bad, lineContaining(t, bad, "github.nonexistent"))
	if !strings.Contains(string(out), want) {
		t.Errorf("actionlint output does not name %s:\n%s", want, out)
	}
}

// CI must run every check issue 4 names, on pull requests and main, with
// the Go caches on.
func TestCIWorkflowShape(t *testing.T) {
	path := filepath.Join(repoRoot(t), ".github/workflows/ci.yml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := SplitDocuments("ci.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	root := docs[0].Root
	if Lookup(root, "on", "pull_request") == nil || Lookup(root, "on", "push", "branches") == nil {
		t.Errorf("ci.yml must run on pull_request and on pushes to main")
	}
	text := string(data)
	for _, want := range []string{"make fmt-check vet staticcheck", "go test -race", "govulncheck", "make e2e", "bin/actionlint", "bin/goreleaser check"} {
		if !strings.Contains(text, want) {
			t.Errorf("ci.yml does not run %q", want)
		}
	}
	jobs := Lookup(root, "jobs")
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		job := jobs.Content[i+1]
		for _, s := range Lookup(job, "steps").Content {
			u := Lookup(s, "uses")
			if u == nil || !strings.HasPrefix(u.Value, "actions/setup-go@") {
				continue
			}
			if c := Lookup(s, "with", "cache"); c == nil || c.Value != "true" {
				t.Errorf("ci.yml:%d: setup-go in job %s must cache modules and the build cache", u.Line, jobs.Content[i].Value)
			}
		}
		for _, scope := range []string{"contents"} {
			if p := Lookup(job, "permissions", scope); p == nil || p.Value != "read" {
				t.Errorf("ci.yml job %s: permissions.%s must be read", jobs.Content[i].Value, scope)
			}
		}
		if p := Lookup(job, "permissions"); p != nil && len(p.Content) != 2 {
			t.Errorf("ci.yml job %s: CI needs only contents: read, got %d scopes", jobs.Content[i].Value, len(p.Content)/2)
		}
	}
}
