package image

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKoConfigChecks(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string // "" = no file
		want string
	}{
		"missing":     {"", "not found"},
		"malformed":   {"defaultBaseImage: [unclosed\n", ".ko.yaml"},
		"no base":     {"defaultPlatforms: [linux/amd64]\n", "no defaultBaseImage"},
		"tag base":    {"defaultBaseImage: cgr.dev/chainguard/static:latest\ndefaultPlatforms: [linux/amd64]\n", "pinned by digest"},
		"no platform": {"defaultBaseImage: cgr.dev/chainguard/static@sha256:" + strings.Repeat("a", 64) + "\n", "no defaultPlatforms"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.yaml != "" {
				if err := os.WriteFile(filepath.Join(dir, ".ko.yaml"), []byte(tc.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := checkKoConfig(dir)
			if !errors.Is(err, ErrKoConfig) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one-line ErrKoConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestShippedKoConfig(t *testing.T) {
	d, err := DefaultBaseImage("../..")
	if err != nil {
		t.Fatal(err)
	}
	if d.Context().Name() != "cgr.dev/chainguard/static" {
		t.Errorf("base = %s, want cgr.dev/chainguard/static", d)
	}
	ps, err := DefaultPlatforms("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].String() != "linux/amd64" || ps[1].String() != "linux/arm64" {
		t.Errorf("platforms = %v", ps)
	}
}
