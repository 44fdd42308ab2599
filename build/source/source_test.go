package source_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hft-ninja/hft-ninja/build/source"
)

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestDetect(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("/dist/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "one")

	in, err := source.Detect(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Commit) != 40 || in.Ref != "refs/heads/main" || in.Dirty || in.CommitTime.IsZero() {
		t.Errorf("clean checkout: %+v", in)
	}

	// Ignored output does not dirty the tree; untracked source does: it
	// would be compiled into the image.
	os.MkdirAll(filepath.Join(dir, "dist"), 0o755)
	os.WriteFile(filepath.Join(dir, "dist", "x"), []byte("x"), 0o644)
	if in, _ = source.Detect(ctx, dir); in.Dirty {
		t.Error("ignored files made the tree dirty")
	}
	os.WriteFile(filepath.Join(dir, "b.go"), []byte("package a\n"), 0o644)
	if in, _ = source.Detect(ctx, dir); !in.Dirty {
		t.Error("an untracked source file did not make the tree dirty")
	}
	os.Remove(filepath.Join(dir, "b.go"))
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a // edited\n"), 0o644)
	if in, _ = source.Detect(ctx, dir); !in.Dirty {
		t.Error("a modified file did not make the tree dirty")
	}
	git(t, dir, "commit", "-qam", "two")
	git(t, dir, "tag", "v1.2.3")
	if in, _ = source.Detect(ctx, dir); in.Ref != "refs/tags/v1.2.3" || in.Version != "v1.2.3" {
		t.Errorf("tagged checkout: ref %q version %q", in.Ref, in.Version)
	}

	if _, err := source.Detect(ctx, t.TempDir()); !errors.Is(err, source.ErrNotGit) {
		t.Errorf("not a checkout: %v", err)
	}
}
