package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"gopkg.in/yaml.v3"
)

// The release must build exactly the recorded commit on exactly the
// verified base. ko and the go command take many knobs from config and
// environment that would change either silently; these guards admit only
// the ones this pipeline uses and refuse the rest by name.

// allowedKoEnv are the KO_* variables a release may set (ko reads every
// KO_<key> as config through viper).
var allowedKoEnv = map[string]bool{"KO_DOCKER_REPO": true, "KO_DATA_DATE_EPOCH": true}

// allowedGoFlags may appear in the effective GOFLAGS.
var allowedGoFlags = map[string]bool{"-buildvcs=false": true, "-buildvcs=true": true, "-mod=readonly": true, "-trimpath": true}

// checkEnv refuses KO_* overrides and go settings that compile something
// other than the checkout (overlays, workspaces, toolexec, experiments).
// It returns the effective go version for the provenance.
func checkEnv(ctx context.Context, dir string) (string, error) {
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToUpper(k), "KO_") && !allowedKoEnv[k] {
			return "", fmt.Errorf("%w: environment variable %s would change ko's build; unset it", ErrKoConfig, k)
		}
	}
	cmd := exec.CommandContext(ctx, "go", "env", "-json", "GOFLAGS", "GOWORK", "GOEXPERIMENT", "GOVERSION")
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("reading the go environment: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	var env map[string]string
	if err := json.Unmarshal(out.Bytes(), &env); err != nil {
		return "", fmt.Errorf("reading the go environment: %w", err)
	}
	for _, f := range strings.Fields(env["GOFLAGS"]) {
		if !allowedGoFlags[f] {
			return "", fmt.Errorf("GOFLAGS contains %s, which would change what is compiled; unset it (go env -u GOFLAGS)", f)
		}
	}
	if w := env["GOWORK"]; w != "" && w != "off" {
		return "", fmt.Errorf("GOWORK=%s: a go.work file would build modules from outside the commit; set GOWORK=off", w)
	}
	if x := env["GOEXPERIMENT"]; x != "" {
		return "", fmt.Errorf("GOEXPERIMENT=%s is not allowed in a release build", x)
	}
	return env["GOVERSION"], nil
}

// checkBuilds allows .ko.yaml only the keys and build settings the release
// uses. Keys are compared case-insensitively: ko reads them through viper.
func checkBuilds(path string, raw []byte, importPath string) error {
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrKoConfig, path, oneLine(err))
	}
	if err := lowerCollision(doc, ""); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrKoConfig, path, err)
	}
	for k := range doc {
		switch strings.ToLower(k) {
		case "defaultbaseimage", "defaultplatforms", "builds":
		default:
			return fmt.Errorf("%w: %s: key %q is not allowed in a release build (only defaultBaseImage, defaultPlatforms, builds)", ErrKoConfig, path, k)
		}
	}
	var builds []any
	for k, v := range doc {
		if strings.ToLower(k) == "builds" {
			bs, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%w: %s: builds must be a list", ErrKoConfig, path)
			}
			builds = bs
		}
	}
	if len(builds) > 1 {
		return fmt.Errorf("%w: %s: one build entry expected, found %d", ErrKoConfig, path, len(builds))
	}
	for _, b := range builds {
		m, ok := b.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: %s: a build entry must be a mapping", ErrKoConfig, path)
		}
		for k, v := range m {
			var err error
			switch strings.ToLower(k) {
			case "id":
			case "dir":
				if s, _ := v.(string); filepath.Clean(s) != "." {
					err = fmt.Errorf("dir %v builds another tree", v)
				}
			case "main":
				if s, _ := v.(string); filepath.Clean(s) != filepath.Clean(importPath) {
					err = fmt.Errorf("main %v is not %s", v, importPath)
				}
			case "env":
				err = only(v, map[string]bool{"CGO_ENABLED=0": true}, "env")
			case "flags":
				err = only(v, map[string]bool{"-trimpath": true}, "flags")
			case "ldflags":
				err = checkLdflags(v)
			default:
				err = fmt.Errorf("build key %q is not allowed", k)
			}
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrKoConfig, path, err)
			}
		}
	}
	return nil
}

func only(v any, allowed map[string]bool, what string) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%s must be a list", what)
	}
	for _, e := range list {
		if s, _ := e.(string); !allowed[s] {
			return fmt.Errorf("%s entry %v is not allowed", what, e)
		}
	}
	return nil
}

// buildinfoVar is the only package -X may stamp.
const buildinfoVar = "github.com/hft-ninja/hft-ninja/engine/buildinfo."

func checkLdflags(v any) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("ldflags must be a list")
	}
	var toks []string
	for _, e := range list {
		s, _ := e.(string)
		toks = append(toks, strings.Fields(s)...)
	}
	for i := 0; i < len(toks); i++ {
		switch t := toks[i]; {
		case t == "-s", t == "-w", t == "-buildid=":
		case t == "-X" && i+1 < len(toks) && strings.HasPrefix(toks[i+1], buildinfoVar):
			i++
		default:
			return fmt.Errorf("ldflags %q is not allowed (only -s, -w, -buildid= and -X %s*)", t, buildinfoVar)
		}
	}
	return nil
}

// checkTree refuses what would compile code that is not in the commit:
// another ko config file (ko's viper prefers .ko.json and others over
// .ko.yaml), go.mod replaces pointing at the filesystem, and symlinks
// leading out of the checkout.
func checkTree(dir string) error {
	others, err := filepath.Glob(filepath.Join(dir, ".ko.*"))
	if err != nil {
		return err
	}
	for _, o := range others {
		if filepath.Base(o) != ".ko.yaml" {
			return fmt.Errorf("%w: %s would replace .ko.yaml in ko; remove it", ErrKoConfig, o)
		}
	}
	gm := filepath.Join(dir, "go.mod")
	b, err := os.ReadFile(gm)
	if err != nil {
		return fmt.Errorf("reading go.mod: %w", err)
	}
	mf, err := modfile.Parse(gm, b, nil)
	if err != nil {
		return fmt.Errorf("parsing go.mod: %w", err)
	}
	for _, r := range mf.Replace {
		if modfile.IsDirectoryPath(r.New.Path) {
			return fmt.Errorf("go.mod replaces %s with the directory %s, which is not in the release record; use a module version", r.Old.Path, r.New.Path)
		}
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return fs.SkipDir
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		target, err := filepath.EvalSymlinks(p)
		if err != nil {
			return fmt.Errorf("symlink %s: %w", p, err)
		}
		if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("symlink %s points outside the checkout (%s)", strings.TrimPrefix(p, dir+string(filepath.Separator)), target)
		}
		return nil
	})
}

// lowerCollision finds keys that differ only in case at any level: viper
// lowercases keys and keeps one of them at random.
func lowerCollision(v any, at string) error {
	switch t := v.(type) {
	case map[string]any:
		seen := map[string]string{}
		for k, val := range t {
			lk := strings.ToLower(k)
			if prev, ok := seen[lk]; ok {
				return fmt.Errorf("keys %q and %q%s differ only in case", prev, k, at)
			}
			seen[lk] = k
			if err := lowerCollision(val, " (under "+k+")"); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := lowerCollision(e, at); err != nil {
				return err
			}
		}
	}
	return nil
}
