package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// The binaries (GoReleaser) and the image (ko via the pipeline CLI) must be
// built the same way: same main package, CGO off, -trimpath, the same -X
// stamps, and those stamps must name string variables that exist, or the
// linker silently ignores them and `hft-ninja version` says "dev".
func TestGoreleaserMatchesKoAndBuildinfo(t *testing.T) {
	root := repoRoot(t)
	type build struct {
		Main    string   `yaml:"main"`
		Env     []string `yaml:"env"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		ModTime string   `yaml:"mod_timestamp"`
	}
	var gr struct {
		Dist   string  `yaml:"dist"`
		Builds []build `yaml:"builds"`
		Kos    any     `yaml:"kos"`
	}
	var ko struct {
		Builds []build `yaml:"builds"`
	}
	for file, v := range map[string]any{".goreleaser.yaml": &gr, ".ko.yaml": &ko} {
		data, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	if gr.Dist != "dist/goreleaser" {
		t.Errorf(".goreleaser.yaml dist = %q, want dist/goreleaser (dist/release belongs to the pipeline)", gr.Dist)
	}
	if gr.Kos != nil {
		t.Errorf(".goreleaser.yaml has a kos: section; images come from the pipeline CLI only")
	}
	if len(gr.Builds) != 1 || len(ko.Builds) != 1 {
		t.Fatalf("want one build in each of .goreleaser.yaml and .ko.yaml")
	}
	g, k := gr.Builds[0], ko.Builds[0]
	if g.Main != k.Main {
		t.Errorf("main: goreleaser %q, ko %q", g.Main, k.Main)
	}
	for _, want := range []string{"CGO_ENABLED=0"} {
		if !slices.Contains(g.Env, want) || !slices.Contains(k.Env, want) {
			t.Errorf("both builds need env %s", want)
		}
	}
	if !slices.Contains(g.Flags, "-trimpath") || !slices.Contains(k.Flags, "-trimpath") {
		t.Errorf("both builds need -trimpath")
	}
	if g.ModTime != "{{ .CommitTimestamp }}" {
		t.Errorf("mod_timestamp = %q, want the commit timestamp (reproducible archives)", g.ModTime)
	}
	slices.Sort(g.Goos)
	slices.Sort(g.Goarch)
	if !slices.Equal(g.Goos, []string{"darwin", "linux"}) || !slices.Equal(g.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("targets %v x %v, want darwin,linux x amd64,arm64", g.Goos, g.Goarch)
	}

	stamp := regexp.MustCompile(`-X ([\w./-]+)\.(\w+)=`)
	symbols := func(ldflags []string) []string {
		var out []string
		for _, l := range ldflags {
			for _, m := range stamp.FindAllStringSubmatch(l, -1) {
				out = append(out, m[1]+"."+m[2])
			}
		}
		slices.Sort(out)
		return out
	}
	gs, ks := symbols(g.Ldflags), symbols(k.Ldflags)
	if !slices.Equal(gs, ks) {
		t.Errorf("-X stamps differ: goreleaser %v, ko %v", gs, ks)
	}
	if len(gs) != 3 {
		t.Fatalf("want Version, Commit and Date stamped, got %v", gs)
	}

	// Every stamped symbol is a package-level string variable.
	const pkg = "github.com/hft-ninja/hft-ninja/engine/buildinfo"
	fset := token.NewFileSet()
	vars := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, "engine", "buildinfo", "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, s := range gd.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					vars[pkg+"."+n.Name] = true
				}
			}
		}
	}
	for _, s := range gs {
		if !vars[s] {
			t.Errorf("ldflags stamp %s: no such package-level variable in engine/buildinfo", s)
		}
	}
}
