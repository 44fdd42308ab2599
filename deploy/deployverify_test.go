package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// runDeployVerify runs hack/deploy-verify.sh with env added to the test's
// environment and returns its combined output and exit code.
func runDeployVerify(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	script := filepath.Join(repoRoot(t), "hack", "deploy-verify.sh")
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running deploy-verify: %v", err)
	}
	return out.String(), code
}

// With no IMAGES, deploy-verify verifies exactly the digests deployed by
// k8s/production, as found by the strict manifest decoder.
func TestDeployVerifyFindsManifestDigests(t *testing.T) {
	out, code := runDeployVerify(t, []string{"IMAGES="}, "--print-images")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var want []string
	for _, o := range productionObjects(t) {
		for _, img := range Images(o) {
			want = append(want, img.Image)
		}
	}
	if got := strings.Fields(out); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("deploy-verify would check %v, manifests deploy %v", got, want)
	}
}

func TestDeployVerifyBadUsage(t *testing.T) {
	digest := "@sha256:" + strings.Repeat("a", 64)
	tagged := filepath.Join("testdata", "manifests", "deploy-verify-tag")
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"tag in IMAGES", []string{"IMAGES=ghcr.io/hft-ninja/hft-ninja:v1.2.3"}, nil, "IMAGES: image ghcr.io/hft-ninja/hft-ninja:v1.2.3 is not referenced by digest"},
		{"tag beside digest", []string{"IMAGES=ghcr.io/hft-ninja/hft-ninja:v1" + digest}, nil, "is not referenced by digest"},
		{"tag in a manifest", []string{"IMAGES="}, []string{"--manifests", filepath.Join(repoRoot(t), "deploy", tagged)}, fmt.Sprintf("deploy/%s/deployment.yaml:%d: image ghcr.io/hft-ninja/hft-ninja:v1.2.3 is not referenced by digest",
			tagged, lineContaining(t, filepath.Join(tagged, "deployment.yaml"), "image:"))},
		{"missing key", []string{"IMAGES=ghcr.io/hft-ninja/hft-ninja" + digest}, []string{"--key", "/nonexistent.pub"}, "--key /nonexistent.pub: not a readable file"},
		{"bad tag", []string{"IMAGES=ghcr.io/hft-ninja/hft-ninja" + digest}, []string{"--tag", "main"}, "--tag main is not vMAJOR.MINOR.PATCH"},
		{"unknown flag", nil, []string{"--apply"}, "unknown argument --apply"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code := runDeployVerify(t, c.env, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (bad usage):\n%s", code, out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("output does not say %q:\n%s", c.want, out)
			}
			if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
				t.Errorf("want a one-line error, got %d lines:\n%s", n+1, out)
			}
		})
	}
}

// cosignCLI runs the stock cosign CLI (bin/cosign) with a key password.
type cosignCLI struct {
	t   *testing.T
	bin string
	dir string
}

func (c cosignCLI) run(args ...string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=deploy-verify-test", "COSIGN_YES=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// pushRandom pushes a random image to the in-memory registry and returns
// it by digest.
func pushRandom(t *testing.T, host, repo string) string {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(host + "/" + repo + ":unsigned")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(d.String()).String()
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The gate against real signatures: images in a registry on 127.0.0.1,
// signed and attested (or not) by the stock cosign CLI with a key, verified
// by deploy-verify in --key mode.
func TestDeployVerifyAgainstLocalRegistry(t *testing.T) {
	cosign := pinnedTool(t, "cosign")
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	dir := t.TempDir()
	c := cosignCLI{t: t, bin: cosign, dir: dir}
	c.run("generate-key-pair")
	pub := filepath.Join(dir, "cosign.pub")

	writeJSON(t, filepath.Join(dir, "provenance.json"), goodProvenance()["predicate"])
	writeJSON(t, filepath.Join(dir, "sbom.spdx.json"), map[string]any{
		"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "test", "dataLicense": "CC0-1.0",
		"packages": []any{map[string]any{"SPDXID": "SPDXRef-Package-x", "name": "x", "downloadLocation": "NOASSERTION"}},
	})
	sign := func(ref string) {
		c.run("sign", "--key", "cosign.key", "--tlog-upload=false", ref)
	}
	attest := func(ref, typ, predicate string) {
		c.run("attest", "--key", "cosign.key", "--tlog-upload=false", "--type", typ, "--predicate", predicate, ref)
	}

	unsigned := pushRandom(t, host, "hft-ninja/unsigned")
	noSBOM := pushRandom(t, host, "hft-ninja/no-sbom")
	sign(noSBOM)
	attest(noSBOM, "slsaprovenance1", "provenance.json")
	complete := pushRandom(t, host, "hft-ninja/complete")
	sign(complete)
	attest(complete, "slsaprovenance1", "provenance.json")
	attest(complete, "spdxjson", "sbom.spdx.json")

	// The last stage is the policy engine; it has its own tests. Here a
	// stand-in that passes isolates what cosign found, unless the real
	// CLI is built (below).
	env := func(img string) []string { return []string{"IMAGES=" + img, "NINJA_RELEASE=true"} }

	t.Run("unsigned", func(t *testing.T) {
		out, code := runDeployVerify(t, env(unsigned), "--key", pub, "--policies", dir)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		for _, want := range []string{"FAIL  signature (cosign verify)  " + unsigned, "FAIL  SLSA v1 provenance", "FAIL  SPDX SBOM", "do NOT apply. Nothing was applied."} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("signed without SBOM", func(t *testing.T) {
		out, code := runDeployVerify(t, env(noSBOM), "--key", pub, "--policies", dir)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		for _, want := range []string{"PASS  signature (cosign verify)", "PASS  SLSA v1 provenance", "FAIL  SPDX SBOM (cosign verify-attestation --type spdxjson)  " + noSBOM} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("signed by another key", func(t *testing.T) {
		other := t.TempDir()
		cosignCLI{t: t, bin: cosign, dir: other}.run("generate-key-pair")
		out, code := runDeployVerify(t, env(complete), "--key", filepath.Join(other, "cosign.pub"), "--policies", dir)
		if code != 1 || !strings.Contains(out, "FAIL  signature (cosign verify)  "+complete) {
			t.Fatalf("exit %d, want 1 naming the signature failure:\n%s", code, out)
		}
	})
	t.Run("complete", func(t *testing.T) {
		out, code := runDeployVerify(t, env(complete), "--key", pub, "--policies", dir)
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		if !strings.Contains(out, "all 1 image(s) verified") {
			t.Errorf("no verdict line:\n%s", out)
		}
	})
	t.Run("complete, with the policy engine", func(t *testing.T) {
		ninja := pinnedTool(t, "ninja-release")
		pem, err := os.ReadFile(pub)
		if err != nil {
			t.Fatal(err)
		}
		policies := t.TempDir()
		cip := fmt.Sprintf(`apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: test-key
spec:
  mode: enforce
  images:
    - glob: "%s/hft-ninja/**"
  authorities:
    - name: test-key
      key:
        data: |
%s
      attestations:
        - name: provenance
          predicateType: https://slsa.dev/provenance/v1
        - name: sbom
          predicateType: https://spdx.dev/Document
`, host, indentLines(string(pem), 10))
		if err := os.WriteFile(filepath.Join(policies, "test.yaml"), []byte(cip), 0o644); err != nil {
			t.Fatal(err)
		}
		base := []string{"--key", pub, "--policies", policies, "--base-digest", "sha256:" + strings.Repeat("b", 64)}
		out, code := runDeployVerify(t, []string{"IMAGES=" + complete, "NINJA_RELEASE=" + ninja}, base...)
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		out, code = runDeployVerify(t, []string{"IMAGES=" + noSBOM, "NINJA_RELEASE=" + ninja}, base...)
		if code != 1 || !strings.Contains(out, "FAIL  admission policies in") {
			t.Fatalf("exit %d, want 1 naming the policy failure:\n%s", code, out)
		}
	})
}

func indentLines(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = pad + lines[i]
	}
	return strings.Join(lines, "\n")
}
