//go:build e2e

// Package e2e runs the release CLI against a real registry process and
// checks the result with independent clients: the stock cosign CLI, skopeo,
// podman (runc) and qemu-user for the arm64 binary.
package e2e

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const password = "e2e-Secret-Passw0rd" // must never appear in any output

type release struct {
	Repository  string `json:"repository"`
	IndexDigest string `json:"index_digest"`
	Reference   string `json:"reference"`
	Base        struct {
		Digest   string `json:"digest"`
		StandIn  bool   `json:"stand_in"`
		Verified bool   `json:"signature_verified"`
	} `json:"base_image"`
	Platforms []struct {
		Platform       string         `json:"platform"`
		Digest         string         `json:"digest"`
		CompressedSize int64          `json:"compressed_size"`
		SBOMPackages   map[string]int `json:"sbom_packages"`
	} `json:"platforms"`
	Attached []struct {
		Digest       string   `json:"digest"`
		Signatures   int      `json:"signatures"`
		Attestations []string `json:"attestations"`
	} `json:"attached"`
	Policies []struct {
		Name    string `json:"name"`
		Image   string `json:"image"`
		Verdict string `json:"verdict"`
	} `json:"policies"`
	Tags []string `json:"tags"`
}

type env struct {
	root, nr, cosign, state, out, repo string
	rel                                release
}

func TestRelease(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	e := &env{
		nr:     requireEnv(t, "NINJA_RELEASE"),
		cosign: requireEnv(t, "COSIGN"),
		state:  t.TempDir(),
		out:    t.TempDir(),
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// Release a committed snapshot of the working tree: the policies deny
	// builds of uncommitted code, and `make test` must work before a commit.
	e.root = snapshot(ctx, t, root)
	e.repo = startRegistry(t) + "/hft-ninja"
	pw := []string{"COSIGN_PASSWORD=" + password}

	r := run(t, ctx, pw, e.nr, "release", "--repo", e.repo, "--state", e.state, "--out", e.out, "--dir", e.root, "--tag", "e2e")
	t.Logf("release output:\n%s", r.out)
	if r.code != 0 {
		t.Fatalf("release failed: exit %d", r.code)
	}
	noSecrets(t, r.out)
	b, err := os.ReadFile(filepath.Join(e.out, "release.json"))
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, string(b))
	if err := json.Unmarshal(b, &e.rel); err != nil {
		t.Fatal(err)
	}

	t.Run("record", e.checkRecord)
	t.Run("key files", e.checkKeyFiles)
	t.Run("cosign verify", func(t *testing.T) { e.cosignVerify(ctx, t) })
	t.Run("skopeo platforms", func(t *testing.T) { e.skopeo(ctx, t) })
	t.Run("podman amd64", func(t *testing.T) { e.podman(ctx, t) })
	t.Run("qemu arm64", func(t *testing.T) { e.qemu(ctx, t) })
	t.Run("deny unsigned", func(t *testing.T) { e.denyUnsigned(ctx, t) })
	t.Run("deny other key", func(t *testing.T) { e.denyOtherKey(ctx, t) })
	t.Run("deny no provenance", func(t *testing.T) { e.denyNoProvenance(ctx, t) })
	t.Run("bad input", func(t *testing.T) { e.badInput(ctx, t) })
}

func (e *env) checkRecord(t *testing.T) {
	rel := e.rel
	if rel.Repository != e.repo {
		t.Errorf("repository = %q, want %q", rel.Repository, e.repo)
	}
	if !strings.HasPrefix(rel.IndexDigest, "sha256:") {
		t.Errorf("index digest = %q", rel.IndexDigest)
	}
	got := map[string]bool{}
	for _, p := range rel.Platforms {
		got[p.Platform] = true
		if p.SBOMPackages["go-module"] == 0 {
			t.Errorf("%s SBOM lists no Go modules: %v", p.Platform, p.SBOMPackages)
		}
		if p.SBOMPackages["deb"] == 0 {
			t.Errorf("%s SBOM lists no base image packages: %v", p.Platform, p.SBOMPackages)
		}
		if p.CompressedSize <= 0 || p.CompressedSize > 40<<20 {
			t.Errorf("%s compressed size %d is implausible", p.Platform, p.CompressedSize)
		}
	}
	if !got["linux/amd64"] || !got["linux/arm64"] || len(got) != 2 {
		t.Errorf("platforms = %v, want linux/amd64 and linux/arm64", got)
	}
	if !rel.Base.StandIn || !rel.Base.Verified {
		t.Errorf("base = %+v, want a verified stand-in", rel.Base)
	}
	if len(rel.Attached) != 3 {
		t.Errorf("attached records = %d, want 3 (index + 2 platforms)", len(rel.Attached))
	}
	for _, a := range rel.Attached {
		if a.Signatures < 1 || !contains(a.Attestations, "https://slsa.dev/provenance/v1") || !contains(a.Attestations, "https://spdx.dev/Document") {
			t.Errorf("%s: %d signatures, attestations %v", a.Digest, a.Signatures, a.Attestations)
		}
	}
	passes := 0
	for _, p := range rel.Policies {
		if p.Verdict != "pass" {
			t.Errorf("policy %s on %s: %s", p.Name, p.Image, p.Verdict)
		}
		passes++
	}
	if passes != 9 {
		t.Errorf("policy verdicts = %d, want 3 policies × 3 digests", passes)
	}
	if len(rel.Tags) != 1 || !strings.HasSuffix(rel.Tags[0], ":e2e") {
		t.Errorf("tags = %v", rel.Tags)
	}
}

func (e *env) checkKeyFiles(t *testing.T) {
	for _, k := range []string{"cosign.key", "upstream.key"} {
		st, err := os.Stat(filepath.Join(e.state, k))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %o, want 600", k, st.Mode().Perm())
		}
	}
}

func (e *env) digests() []string {
	out := []string{e.rel.Reference}
	for _, p := range e.rel.Platforms {
		out = append(out, e.repo+"@"+p.Digest)
	}
	return out
}

func (e *env) cosignVerify(ctx context.Context, t *testing.T) {
	pub := filepath.Join(e.state, "cosign.pub")
	common := []string{"--key", pub, "--insecure-ignore-tlog=true", "--allow-http-registry=true"}
	for _, d := range e.digests() {
		out := mustRun(t, ctx, nil, e.cosign, append(append([]string{"verify"}, common...), d)...)
		if !strings.Contains(out, d[strings.Index(d, "@")+1:]) {
			t.Errorf("cosign verify %s did not report the digest:\n%s", d, out)
		}
		for _, typ := range []string{"slsaprovenance1", "spdxjson", "cyclonedx"} {
			mustRun(t, ctx, nil, e.cosign, append(append([]string{"verify-attestation", "--type", typ}, common...), d)...)
		}
	}
	// The independent verifier must also say no to the wrong key.
	other := t.TempDir()
	mustRunIn(t, ctx, other, []string{"COSIGN_PASSWORD="}, e.cosign, "generate-key-pair")
	r := run(t, ctx, nil, e.cosign, "verify", "--key", filepath.Join(other, "cosign.pub"), "--insecure-ignore-tlog=true", "--allow-http-registry=true", e.rel.Reference)
	if r.code == 0 {
		t.Errorf("cosign verify with an unrelated key passed:\n%s", r.out)
	}
}

func (e *env) skopeo(ctx context.Context, t *testing.T) {
	sk := lookTool(t, "skopeo")
	out := mustRun(t, ctx, nil, sk, "inspect", "--raw", "--tls-verify=false", "docker://"+e.rel.Reference)
	var idx v1.IndexManifest
	if err := json.Unmarshal([]byte(out), &idx); err != nil {
		t.Fatalf("skopeo inspect --raw: %v\n%s", err, out)
	}
	got := map[string]bool{}
	for _, m := range idx.Manifests {
		if m.Platform != nil {
			got[m.Platform.OS+"/"+m.Platform.Architecture] = true
		}
	}
	if !got["linux/amd64"] || !got["linux/arm64"] {
		t.Errorf("skopeo sees platforms %v", got)
	}
}

func podmanArgs(args ...string) []string {
	return append([]string{"--runtime", "runc", "--cgroup-manager=cgroupfs"}, args...)
}

func (e *env) podman(ctx context.Context, t *testing.T) {
	pm := lookTool(t, "podman")
	var amd string
	for _, p := range e.rel.Platforms {
		if p.Platform == "linux/amd64" {
			amd = e.repo + "@" + p.Digest
		}
	}
	mustRun(t, ctx, nil, pm, podmanArgs("pull", "--tls-verify=false", amd)...)
	runArgs := []string{"run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000", "--network=none", "--read-only"}
	out := mustRun(t, ctx, nil, pm, podmanArgs(append(runArgs, amd, "version")...)...)
	if !strings.Contains(out, "65532") {
		t.Errorf("hft-ninja version in the image does not report uid 65532:\n%s", out)
	}
	r := run(t, ctx, nil, pm, podmanArgs(append(runArgs, "--entrypoint", "sh", amd, "-c", "true")...)...)
	if r.code == 0 {
		t.Errorf("the image has a shell:\n%s", r.out)
	}
	r = run(t, ctx, nil, pm, podmanArgs(append(runArgs, "--entrypoint", "/bin/sh", amd)...)...)
	if r.code == 0 {
		t.Errorf("the image has /bin/sh:\n%s", r.out)
	}
}

func (e *env) qemu(ctx context.Context, t *testing.T) {
	q := lookTool(t, "qemu-aarch64-static", "qemu-aarch64")
	var arm string
	for _, p := range e.rel.Platforms {
		if p.Platform == "linux/arm64" {
			arm = e.repo + "@" + p.Digest
		}
	}
	ref, err := name.NewDigest(arm)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "hft-ninja")
	if err := extract(img, "ko-app/hft-ninja", bin); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, ctx, nil, q, bin, "version")
	if !strings.Contains(out, "arm64") {
		t.Errorf("arm64 binary version output does not say arm64:\n%s", out)
	}
}

// extract copies one file out of the image's layers (last writer wins).
func extract(img v1.Image, path, dst string) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	found := false
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return err
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				return err
			}
			if strings.TrimPrefix(h.Name, "/") == path || strings.TrimPrefix(h.Name, "./") == path {
				f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
				if err != nil {
					rc.Close()
					return err
				}
				if _, err := io.Copy(f, tr); err != nil {
					f.Close()
					rc.Close()
					return err
				}
				f.Close()
				found = true
			}
		}
		rc.Close()
	}
	if !found {
		return errors.New(path + " not in image")
	}
	return nil
}

// pushRandom pushes a random image by digest: content nobody signed.
func (e *env) pushRandom(ctx context.Context, t *testing.T) string {
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(e.repo + "@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	return ref.String()
}

func (e *env) verify(ctx context.Context, t *testing.T, ref string) result {
	return run(t, ctx, nil, e.nr, "verify", "--policies", filepath.Join(e.root, "policies/local"),
		"--key", filepath.Join(e.state, "cosign.pub"), "--release", filepath.Join(e.out, "release.json"), ref)
}

func (e *env) denyUnsigned(ctx context.Context, t *testing.T) {
	r := e.verify(ctx, t, e.pushRandom(ctx, t))
	if r.code != 1 || !strings.Contains(r.out, "DENY") || !strings.Contains(strings.ToLower(r.out), "no signatures found") {
		t.Errorf("unsigned image: exit %d, want 1 and a 'no signatures found' denial:\n%s", r.code, r.out)
	}
	if strings.Contains(r.out, "PASS") {
		t.Errorf("a policy passed an unsigned image:\n%s", r.out)
	}
}

func (e *env) denyOtherKey(ctx context.Context, t *testing.T) {
	ref := e.pushRandom(ctx, t)
	dir := t.TempDir()
	mustRunIn(t, ctx, dir, []string{"COSIGN_PASSWORD="}, e.cosign, "generate-key-pair")
	mustRun(t, ctx, []string{"COSIGN_PASSWORD="}, e.cosign, "sign", "--key", filepath.Join(dir, "cosign.key"), "--tlog-upload=false", "--allow-http-registry=true", "-y", ref)
	r := e.verify(ctx, t, ref)
	if r.code != 1 || !strings.Contains(r.out, "DENY") || strings.Contains(r.out, "PASS") {
		t.Errorf("image signed by another key: exit %d, want 1 and every policy denying:\n%s", r.code, r.out)
	}
	if !strings.Contains(strings.ToLower(r.out), "signature") {
		t.Errorf("denial does not name the signature problem:\n%s", r.out)
	}
}

func (e *env) denyNoProvenance(ctx context.Context, t *testing.T) {
	ref := e.pushRandom(ctx, t)
	mustRun(t, ctx, []string{"COSIGN_PASSWORD=" + password}, e.cosign, "sign", "--key", filepath.Join(e.state, "cosign.key"), "--tlog-upload=false", "--allow-http-registry=true", "-y", ref)
	r := e.verify(ctx, t, ref)
	if r.code != 1 {
		t.Fatalf("signed image without provenance: exit %d, want 1:\n%s", r.code, r.out)
	}
	lines := strings.Split(r.out, "\n")
	want := map[string]string{"hft-ninja-local-signed": "PASS", "hft-ninja-local-provenance": "DENY", "hft-ninja-local-sbom": "DENY"}
	for pol, verdict := range want {
		ok := false
		for _, l := range lines {
			if strings.Contains(l, pol+" ") && strings.HasPrefix(l, verdict) {
				ok = true
				if verdict == "DENY" && !strings.Contains(l, "no matching attestations") {
					t.Errorf("%s denial does not say the attestation is missing: %s", pol, l)
				}
			}
		}
		if !ok {
			t.Errorf("want %s %s:\n%s", verdict, pol, r.out)
		}
	}
	if !strings.Contains(r.out, "https://slsa.dev/provenance/v1") {
		t.Errorf("denial does not name the missing predicate type:\n%s", r.out)
	}
}

func (e *env) badInput(ctx context.Context, t *testing.T) {
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"tag not digest", nil, []string{"verify", e.repo + ":e2e"}, 2, "never tags"},
		{"unreachable registry", []string{"COSIGN_PASSWORD=" + password}, []string{"release", "--repo", "127.0.0.1:1/hft-ninja", "--state", e.state, "--out", t.TempDir(), "--dir", e.root}, 1, "unreachable"},
		{"wrong password", []string{"COSIGN_PASSWORD=not-the-" + password}, []string{"release", "--repo", e.repo, "--state", e.state, "--out", t.TempDir(), "--dir", e.root}, 1, "wrong password"},
		{"bad profile", nil, []string{"release", "--profile", "staging"}, 2, "--profile"},
		{"malformed policy", []string{"COSIGN_PASSWORD=" + password}, []string{"release", "--repo", e.repo, "--state", e.state, "--out", t.TempDir(), "--dir", e.root, "--policies", badPolicies(t)}, 1, "bad policy"},
		{"missing .ko.yaml", []string{"COSIGN_PASSWORD=" + password}, []string{"release", "--repo", e.repo, "--state", e.state, "--out", t.TempDir(), "--dir", gitDir(ctx, t, "")}, 1, ".ko.yaml"},
		{"malformed .ko.yaml", []string{"COSIGN_PASSWORD=" + password}, []string{"release", "--repo", e.repo, "--state", e.state, "--out", t.TempDir(), "--dir", gitDir(ctx, t, "defaultBaseImage: [unclosed\n")}, 1, ".ko.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, ctx, c.env, e.nr, c.args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d:\n%s", r.code, c.code, r.out)
			}
			msg := strings.TrimSpace(r.out)
			last := msg[strings.LastIndex(msg, "\n")+1:]
			if !strings.HasPrefix(last, "ninja-release: ") || !strings.Contains(last, c.want) {
				t.Errorf("last line %q: want a one-line 'ninja-release: …%s…' error", last, c.want)
			}
			if strings.Contains(r.out, "panic") || strings.Contains(r.out, "goroutine ") {
				t.Errorf("panicked:\n%s", r.out)
			}
			noSecrets(t, r.out)
		})
	}
}

// snapshot copies the working tree's tracked and untracked-but-not-ignored
// files into a fresh one-commit checkout.
func snapshot(ctx context.Context, t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("listing the working tree: %v", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, f)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the working tree, or not a plain file
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	g := []string{"-c", "user.email=e2e@example.com", "-c", "user.name=e2e"}
	mustRunIn(t, ctx, dir, nil, "git", "init", "-q", "-b", "main")
	mustRunIn(t, ctx, dir, nil, "git", "add", "-A")
	mustRunIn(t, ctx, dir, nil, "git", append(g, "commit", "-qm", "e2e snapshot")...)
	return dir
}

func badPolicies(t *testing.T) string {
	dir := t.TempDir()
	doc := "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: typo\nspec:\n  images:\n    - glob: \"**\"\n  authoritys:\n    - static:\n        action: pass\n"
	if err := os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// gitDir makes a one-commit checkout whose .ko.yaml is koYAML ("" = none).
func gitDir(ctx context.Context, t *testing.T, koYAML string) string {
	dir := t.TempDir()
	if koYAML != "" {
		if err := os.WriteFile(filepath.Join(dir, ".ko.yaml"), []byte(koYAML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := []string{"-c", "user.email=e2e@example.com", "-c", "user.name=e2e"}
	mustRunIn(t, ctx, dir, nil, "git", "init", "-q")
	mustRunIn(t, ctx, dir, nil, "git", "add", ".")
	mustRunIn(t, ctx, dir, nil, "git", append(g, "commit", "-qm", "x")...)
	return dir
}

func mustRunIn(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func noSecrets(t *testing.T, s string) {
	t.Helper()
	for _, bad := range []string{password, "PRIVATE KEY"} {
		if strings.Contains(s, bad) {
			t.Errorf("output contains secret material %q", bad)
		}
	}
}

func requireEnv(t *testing.T, k string) string {
	v := os.Getenv(k)
	if v == "" {
		t.Fatalf("%s is not set (run via make e2e)", k)
	}
	return v
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
