// Package source describes the git checkout being released: commit, ref,
// whether the tree is dirty, and the commit time used for reproducible
// timestamps.
package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Info is the checkout being released.
type Info struct {
	Commit     string
	Ref        string // refs/heads/main, refs/tags/v1.2.3 or "" when detached
	Dirty      bool
	Version    string // git describe --tags --always --dirty
	CommitTime time.Time
}

// ErrNotGit means dir is not inside a git checkout.
var ErrNotGit = errors.New("not a git checkout (the release records the source commit)")

// Detect reads dir's git state with the git CLI.
func Detect(ctx context.Context, dir string) (Info, error) {
	var in Info
	c, err := git(ctx, dir, "rev-parse", "HEAD")
	if err != nil {
		return in, fmt.Errorf("%w: %s: %v", ErrNotGit, dir, err)
	}
	in.Commit = c
	if ref, err := git(ctx, dir, "symbolic-ref", "-q", "HEAD"); err == nil {
		in.Ref = ref
	}
	if tag, err := git(ctx, dir, "describe", "--tags", "--exact-match", "HEAD"); err == nil && tag != "" {
		in.Ref = "refs/tags/" + tag
	}
	st, err := git(ctx, dir, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return in, fmt.Errorf("reading git status: %w", err)
	}
	in.Dirty = st != ""
	if v, err := git(ctx, dir, "describe", "--tags", "--always", "--dirty"); err == nil {
		in.Version = v
	}
	ts, err := git(ctx, dir, "log", "-1", "--format=%ct", "HEAD")
	if err != nil {
		return in, fmt.Errorf("reading commit time: %w", err)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return in, fmt.Errorf("reading commit time %q: %w", ts, err)
	}
	in.CommitTime = time.Unix(sec, 0).UTC()
	return in, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", errors.New(msg)
	}
	return strings.TrimSpace(out.String()), nil
}

// Checkout makes a pristine worktree of commit in a temporary folder and
// returns it with a cleanup function. Releases build from it, so nothing
// outside the commit (untracked, ignored or skip-worktree files, local
// edits) can reach the image while the record names the commit.
func Checkout(ctx context.Context, dir, commit string) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "ninja-release-src-*")
	if err != nil {
		return "", nil, fmt.Errorf("creating a worktree folder: %w", err)
	}
	wt := filepath.Join(tmp, "src")
	if _, err := git(ctx, dir, "worktree", "add", "--detach", "--quiet", wt, commit); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("checking out %s for the build: %w", commit, err)
	}
	cleanup := func() {
		_, _ = git(context.Background(), dir, "worktree", "remove", "--force", wt)
		os.RemoveAll(tmp)
		_, _ = git(context.Background(), dir, "worktree", "prune")
	}
	return wt, cleanup, nil
}
