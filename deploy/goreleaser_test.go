package deploy

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `goreleaser check` with the pinned GoReleaser: the same binary and config
// the release workflow runs. (`goreleaser build --snapshot --clean` takes
// minutes for four targets, so it is a make target, not part of go test.)
func TestGoreleaserCheck(t *testing.T) {
	bin := pinnedTool(t, "goreleaser")
	cmd := exec.Command(bin, "check")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser check .goreleaser.yaml: %v\n%s", err, out)
	}

	bad := filepath.Join("testdata", "goreleaser", "typo-field.yaml")
	out, err := exec.Command(bin, "check", bad).CombinedOutput()
	if err == nil {
		t.Fatalf("goreleaser check accepted %s", bad)
	}
	want := fmt.Sprintf("line %d: field mod_timestamps not found", lineContaining(t, bad, "mod_timestamps:"))
	if !strings.Contains(string(out), want) {
		t.Errorf("goreleaser check output does not say %q:\n%s", want, out)
	}
}
