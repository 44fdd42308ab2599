package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// forbiddenDeps are the release pipeline's libraries. The engine image is
// what we sign; it must not carry the signer (a smaller attack surface and
// SBOM, and no accidental coupling between trading and release code).
var forbiddenDeps = []string{
	"github.com/google/ko",
	"github.com/google/go-containerregistry",
	"github.com/sigstore/",
	"github.com/anchore/",
	"github.com/in-toto/",
	"k8s.io/",
}

func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	// go test runs with the toolchain's bin on PATH; /usr/local/go is the
	// machine's install when PATH was trimmed.
	return filepath.Join("/usr/local/go", "bin", "go")
}

// TestNoPipelineDependencies is the idea of go-containerregistry's
// pkg/registry/depcheck_test.go: list every package linked into the binary
// and fail on any pipeline library.
func TestNoPipelineDependencies(t *testing.T) {
	out, err := exec.Command(goTool(t), "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list returned only %d packages; the check would be vacuous:\n%s", len(deps), out)
	}
	sawSolana := false
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/gagliardetto/solana-go") {
			sawSolana = true
		}
		for _, bad := range forbiddenDeps {
			if strings.HasPrefix(d, bad) {
				t.Errorf("hft-ninja depends on pipeline package %s", d)
			}
		}
	}
	if !sawSolana {
		t.Errorf("solana-go missing from the dependency list; is the check listing the right package?")
	}
}

// TestDepcheckCatchesForbidden proves the prefix match flags real pipeline
// packages in real `go list` output (so the check above cannot pass
// vacuously): the pipeline libraries are in this module's graph.
func TestDepcheckCatchesForbidden(t *testing.T) {
	out, err := exec.Command(goTool(t), "list", "-deps", "github.com/google/go-containerregistry/pkg/registry").CombinedOutput()
	if err != nil {
		t.Fatalf("go list a pipeline library: %v\n%s", err, out)
	}
	hits := 0
	for _, d := range strings.Fields(string(out)) {
		for _, bad := range forbiddenDeps {
			if strings.HasPrefix(d, bad) {
				hits++
			}
		}
	}
	if hits == 0 {
		t.Fatal("no forbidden prefix matched a pipeline library's dependencies")
	}
}
