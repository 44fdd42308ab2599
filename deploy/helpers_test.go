package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the module root: this package sits one level below it.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// pinnedTool returns bin/NAME, installed by `make tools` at the version the
// Makefile and workflows pin. Without it the test is skipped on a developer
// machine, but under CI (CI set) a missing tool is a failure: a check that
// silently does not run is not a check.
func pinnedTool(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "bin", name)
	if _, err := exec.LookPath(p); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("bin/%s not installed (make tools); skipped outside CI", name)
		}
		t.Fatalf("bin/%s is required under CI (make tools): %v", name, err)
	}
	return p
}

// lineContaining is the 1-based line of the first line of file that contains
// substr, so bad-input tests state the expected line by content, not by a
// number that drifts when the fixture is edited.
func lineContaining(t *testing.T, file, substr string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, substr) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line containing %q", file, substr)
	return 0
}

// repoFiles lists files matching pattern under the repo root, failing when there
// are none: a test over zero files passes vacuously.
func repoFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	return files
}

// rel makes a path relative to the repo root for messages.
func rel(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.Rel(repoRoot(t), p)
	if err != nil {
		return p
	}
	return r
}

func problemsText(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
		b.WriteString("\n")
	}
	return b.String()
}

// wantProblemAt fails unless ps reports a problem at the line of path that
// contains marker ("file:line: …") whose message contains want.
func wantProblemAt(t *testing.T, ps []Problem, path, marker, want string) {
	t.Helper()
	at := fmt.Sprintf("%s:%d: ", path, lineContaining(t, path, marker))
	for _, p := range ps {
		if strings.HasPrefix(p.String(), at) && strings.Contains(p.Msg, want) {
			return
		}
	}
	t.Errorf("want a problem starting %q containing %q, got:\n%s", at, want, problemsText(ps))
}
