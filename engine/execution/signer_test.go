package execution

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
)

// TestSignerMatchesCryptoEd25519: identical signatures to the standard
// library for random keys and messages, and they verify.
func TestSignerMatchesCryptoEd25519(t *testing.T) {
	for i := 0; i < 200; i++ {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, i*7)
		rand.Read(msg)
		sg, err := newSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		got := sg.sign(msg)
		if want := ed25519.Sign(key, msg); string(got[:]) != string(want) {
			t.Fatalf("key %d: signature differs from crypto/ed25519", i)
		}
		if !ed25519.Verify(key.Public().(ed25519.PublicKey), msg, got[:]) {
			t.Fatal("signature does not verify")
		}
	}
	bad := make(ed25519.PrivateKey, 64)
	bad[40] = 1 // public half not derived from the seed
	if _, err := newSigner(bad); err == nil {
		t.Fatal("mismatched key accepted")
	}
	if _, err := newSigner(bad[:10]); err == nil {
		t.Fatal("short key accepted")
	}
}
