package keys_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hft-ninja/hft-ninja/build/keys"
)

func TestEnsureAndLoad(t *testing.T) {
	ctx := context.Background()
	p := keys.InDir(t.TempDir(), "cosign")
	pw := []byte("s3cret-pw")
	created, err := keys.Ensure(ctx, p, pw)
	if err != nil || !created {
		t.Fatalf("Ensure = %v, %v", created, err)
	}
	st, err := os.Stat(p.Private)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %o, want 600", st.Mode().Perm())
	}
	if created, err = keys.Ensure(ctx, p, pw); err != nil || created {
		t.Fatalf("second Ensure = %v, %v; want the existing key kept", created, err)
	}
	if _, err := keys.LoadSigner(p, pw); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keys.LoadVerifier(p.Public); err != nil {
		t.Fatal(err)
	}

	_, err = keys.LoadSigner(p, []byte("wrong"))
	if !errors.Is(err, keys.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	b, _ := os.ReadFile(p.Private)
	if strings.Contains(err.Error(), "wrong\"") || strings.Contains(err.Error(), string(b[40:80])) {
		t.Errorf("error leaks secrets: %v", err)
	}

	if err := os.Chmod(p.Private, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.LoadSigner(p, pw); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Errorf("group-readable key accepted: %v", err)
	}
}

func TestLoadVerifierRejectsGarbage(t *testing.T) {
	f := t.TempDir() + "/x.pub"
	if err := os.WriteFile(f, []byte("not a key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keys.LoadVerifier(f); err == nil {
		t.Error("garbage public key accepted")
	}
}

func TestEnsureNeverOverwritesAPublicKey(t *testing.T) {
	dir := t.TempDir()
	p := keys.InDir(dir, "cosign")
	if err := os.WriteFile(p.Public, []byte("someone else's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Ensure(context.Background(), p, nil); err == nil {
		t.Fatal("a lone public key was overwritten")
	}
	if b, _ := os.ReadFile(p.Public); string(b) != "someone else's" {
		t.Errorf("public key changed to %q", b)
	}
}
