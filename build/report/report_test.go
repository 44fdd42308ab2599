package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hft-ninja/hft-ninja/build/report"
)

func TestWriteReadSummary(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	r := &report.Release{
		Profile: "local", Signing: "key", Repository: "127.0.0.1:5000/hft-ninja",
		IndexDigest: "sha256:" + strings.Repeat("a", 64), Reference: "127.0.0.1:5000/hft-ninja@sha256:" + strings.Repeat("a", 64),
		Base:      report.Base{Digest: "x@sha256:" + strings.Repeat("b", 64), StandIn: true, Verified: true, Notice: "STAND-IN"},
		Platforms: []report.Platform{{Platform: "linux/amd64", Digest: "sha256:" + strings.Repeat("c", 64), CompressedSize: 5 << 20, SBOMPackages: map[string]int{"go-module": 9, "deb": 2}, SBOMTotal: 11}},
		Policies:  []report.Verdict{{Policy: "p", Verdict: "pass", Reason: "ok", Image: "r@sha256:" + strings.Repeat("a", 64)}},
		StartedAt: start, FinishedAt: start.Add(90 * time.Second),
	}
	path, err := report.Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "release.json") {
		t.Errorf("path = %s", path)
	}
	got, err := report.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.IndexDigest != r.IndexDigest || got.Platforms[0].SBOMPackages["go-module"] != 9 || !got.Base.StandIn {
		t.Errorf("round trip lost data: %+v", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
	var b bytes.Buffer
	report.Summary(&b, got)
	for _, want := range []string{"STAND-IN", "PASS", "linux/amd64", "5.0 MiB", "deb 2, go-module 9", "1m30s"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := report.Read(path); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt record: %v", err)
	}
}
