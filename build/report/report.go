// Package report writes the release record (release.json) and the short
// human summary printed at the end of a release.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Release is the record of one release, written to dist/release/release.json.
type Release struct {
	Profile     string     `json:"profile"`
	Repository  string     `json:"repository"`
	IndexDigest string     `json:"index_digest"`
	Reference   string     `json:"reference"` // repository@index digest
	Version     string     `json:"version"`
	Source      Source     `json:"source"`
	Base        Base       `json:"base_image"`
	Platforms   []Platform `json:"platforms"`
	// Attached lists what was found attached to each digest after signing.
	Attached   []Attached `json:"attached"`
	Policies   []Verdict  `json:"policies"`
	Tags       []string   `json:"tags,omitempty"`
	PublicKey  string     `json:"public_key,omitempty"` // path of the verification key (static-key profile)
	Signing    string     `json:"signing"`              // "key" or "keyless"
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt time.Time  `json:"finished_at"`
	Warnings   []string   `json:"warnings,omitempty"`
}

// Source is the built source tree.
type Source struct {
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
	Commit     string `json:"commit"`
	Dirty      bool   `json:"dirty"`
}

// Base is the base image the build used.
type Base struct {
	Ref      string `json:"ref"`
	Digest   string `json:"digest"`
	StandIn  bool   `json:"stand_in"`
	Verified bool   `json:"signature_verified"`
	Notice   string `json:"notice,omitempty"`
}

// Platform is one platform image.
type Platform struct {
	Platform         string         `json:"platform"`
	Digest           string         `json:"digest"`
	CompressedSize   int64          `json:"compressed_size"`
	UncompressedSize int64          `json:"uncompressed_size"`
	SBOMPackages     map[string]int `json:"sbom_packages"`
	SBOMTotal        int            `json:"sbom_total"`
	SBOMFiles        []string       `json:"sbom_files"`
}

// Attached is what the registry holds for one digest.
type Attached struct {
	Digest       string   `json:"digest"`
	Signatures   int      `json:"signatures"`
	Attestations []string `json:"attestations"`
}

// Verdict is one policy's decision about one digest.
type Verdict struct {
	Policy  string `json:"name"`
	File    string `json:"file"`
	Image   string `json:"image"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
}

// Write stores r as dir/release.json atomically, so a reader never sees a
// half-written record.
func Write(dir string, r *Release) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding release record: %w", err)
	}
	path := filepath.Join(dir, "release.json")
	tmp, err := os.CreateTemp(dir, ".release-*.json")
	if err != nil {
		return "", fmt.Errorf("writing release record: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing release record: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing release record: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("writing release record: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("writing release record: %w", err)
	}
	return path, nil
}

// Read loads a release record.
func Read(path string) (*Release, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading release record: %w", err)
	}
	var r Release
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("release record %s is corrupt: %w", path, err)
	}
	return &r, nil
}

// Summary prints the short human summary.
func Summary(w io.Writer, r *Release) {
	fmt.Fprintf(w, "\nhft-ninja release (%s profile, %s signing)\n", r.Profile, r.Signing)
	fmt.Fprintf(w, "  image     %s\n", r.Reference)
	fmt.Fprintf(w, "  source    %s %s", r.Source.Repository, short(r.Source.Commit))
	if r.Source.Dirty {
		fmt.Fprint(w, " (dirty tree)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  base      %s", r.Base.Digest)
	if r.Base.StandIn {
		fmt.Fprintf(w, "\n            !! %s", r.Base.Notice)
	}
	fmt.Fprintln(w)
	for _, p := range r.Platforms {
		fmt.Fprintf(w, "  %-13s %s  %s compressed, %s unpacked, SBOM %d packages (%s)\n",
			p.Platform, short(p.Digest), mib(p.CompressedSize), mib(p.UncompressedSize), p.SBOMTotal, counts(p.SBOMPackages))
	}
	for _, a := range r.Attached {
		fmt.Fprintf(w, "  attached  %s  %d signature(s), attestations: %s\n", short(a.Digest), a.Signatures, strings.Join(a.Attestations, ", "))
	}
	for _, v := range r.Policies {
		fmt.Fprintf(w, "  policy    %-5s %-28s %s  %s\n", strings.ToUpper(v.Verdict), v.Policy, short(digestOf(v.Image)), v.Reason)
	}
	if len(r.Tags) > 0 {
		fmt.Fprintf(w, "  tags      %s\n", strings.Join(r.Tags, ", "))
	}
	fmt.Fprintf(w, "  took      %s\n", r.FinishedAt.Sub(r.StartedAt).Round(time.Second))
}

func short(d string) string {
	if i := strings.Index(d, ":"); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

func digestOf(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
