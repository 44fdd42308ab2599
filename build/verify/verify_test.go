package verify_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hft-ninja/hft-ninja/build/internal/regtest"
	"github.com/hft-ninja/hft-ninja/build/sign"
	"github.com/hft-ninja/hft-ninja/build/verify"
)

const signedPolicy = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: signed
spec:
  images:
    - glob: "{{ .Repository }}@**"
  authorities:
    - key:
        data: |
{{ indent 10 .Key }}
`

type vars struct{ Repository, Key string }

func setup(t *testing.T) (repo name.Repository, push func() name.Digest, sv signature.SignerVerifier, v vars) {
	t.Helper()
	repo = regtest.Repo(t, "app")
	sv = regtest.Key(t)
	return repo, func() name.Digest { return regtest.PushRandom(t, repo) }, sv, vars{Repository: repo.Name(), Key: regtest.PublicPEM(t, sv)}
}

func testKeyPEM(t *testing.T) string { return regtest.PublicPEM(t, regtest.Key(t)) }

func writePolicy(t *testing.T, doc string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	_, push, sv, v := setup(t)
	ps, err := verify.Load(ctx, writePolicy(t, signedPolicy), v)
	if err != nil {
		t.Fatal(err)
	}
	ev := verify.New(ps, nil)

	signed := push()
	if err := sign.New(sign.NewStaticKey(sv)).Sign(ctx, signed); err != nil {
		t.Fatal(err)
	}
	vs, err := ev.Evaluate(ctx, signed)
	if err != nil || len(vs) != 1 || vs[0].Verdict != verify.Pass {
		t.Fatalf("signed image: %v %+v", err, vs)
	}

	unsigned := push()
	vs, err = ev.Evaluate(ctx, unsigned)
	if !errors.Is(err, verify.ErrDenied) || vs[0].Verdict != verify.Deny || !strings.Contains(vs[0].Reason, "no signatures found") {
		t.Fatalf("unsigned image: %v %+v", err, vs)
	}

	other := regtest.Key(t)
	wrong := push()
	if err := sign.New(sign.NewStaticKey(other)).Sign(ctx, wrong); err != nil {
		t.Fatal(err)
	}
	if vs, err = ev.Evaluate(ctx, wrong); !errors.Is(err, verify.ErrDenied) || vs[0].Verdict != verify.Deny {
		t.Fatalf("wrongly signed image: %v %+v", err, vs)
	}
}

func TestEvaluateUncovered(t *testing.T) {
	ctx := context.Background()
	_, push, _, v := setup(t)
	v.Repository = "example.com/elsewhere"
	ps, err := verify.Load(ctx, writePolicy(t, signedPolicy), v)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := verify.New(ps, nil).Evaluate(ctx, push())
	if !errors.Is(err, verify.ErrDenied) || vs[0].Verdict != verify.Skip {
		t.Fatalf("uncovered image: %v %+v", err, vs)
	}
}

func TestLoadRejectsBadPolicies(t *testing.T) {
	ctx := context.Background()
	_, _, _, v := setup(t)
	for name, doc := range map[string]string{
		"typo field":     strings.Replace(signedPolicy, "authorities:", "authoritys:", 1),
		"bad template":   strings.Replace(signedPolicy, "{{ .Repository }}", "{{ .Nope }}", 1),
		"bad yaml":       "kind: ClusterImagePolicy\nmetadata: [",
		"no authorities": "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: x\nspec:\n  images:\n    - glob: \"**\"\n",
		"kind typo":      strings.Replace(signedPolicy, "kind: ClusterImagePolicy", "kind: ClusterImagePolcy", 1),
		"duplicate key":  signedPolicy + "  authorities:\n    - static:\n        action: pass\n",
		"match":          strings.Replace(signedPolicy, "  authorities:", "  match:\n    - resource: pods\n      version: v1\n  authorities:", 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := verify.Load(ctx, writePolicy(t, doc), v)
			if !errors.Is(err, verify.ErrBadPolicy) || !strings.Contains(err.Error(), "p.yaml") {
				t.Errorf("err = %v, want ErrBadPolicy naming the file", err)
			}
		})
	}
	if _, err := verify.Load(ctx, t.TempDir(), v); !errors.Is(err, verify.ErrBadPolicy) {
		t.Errorf("empty folder: %v", err)
	}
}

// The shipped local policies must load with real values.
func TestShippedLocalPoliciesLoad(t *testing.T) {
	_, _, _, v := setup(t)
	ps, err := verify.Load(context.Background(), "../../policies/local", map[string]string{
		"Repository": v.Repository, "ReleaseKey": v.Key, "SourceRepository": "https://github.com/hft-ninja/hft-ninja",
		"BuilderID": "b", "BuildType": "t", "BaseDigestHex": strings.Repeat("0", 64),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Errorf("loaded %d local policies, want 3", len(ps))
	}
}

func TestYMLAndWarnMode(t *testing.T) {
	ctx := context.Background()
	_, push, _, v := setup(t)
	dir := t.TempDir()
	doc := strings.Replace(signedPolicy, "spec:\n", "spec:\n  mode: warn\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "p.yml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := verify.Load(ctx, dir, v)
	if err != nil || len(ps) != 1 {
		t.Fatalf("*.yml policy not loaded: %v %d", err, len(ps))
	}
	vs, err := verify.New(ps, nil).Evaluate(ctx, push())
	if !errors.Is(err, verify.ErrDenied) || vs[0].Verdict != verify.Warn {
		t.Errorf("unsigned image under a mode: warn policy: %v %+v, want a warn verdict that fails the gate", err, vs)
	}
}
