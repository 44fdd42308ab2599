package config

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/gagliardetto/solana-go"
)

// ErrKeyPermissions is returned for a key file that group or others can read.
var ErrKeyPermissions = errors.New("key file is accessible by group or others; run chmod 600")

// LoadKeypair reads a Solana CLI keypair file (a JSON array of 64 bytes:
// seed then public key). It refuses a file readable by group or others,
// and a file whose public half does not match its seed. Errors never
// include the file's contents.
func LoadKeypair(path string) (solana.PrivateKey, error) {
	return LoadKeypairWith(path, KeyPolicy{})
}

// KeyPolicy relaxes the permission check for a known deployment pattern.
type KeyPolicy struct {
	// AllowGroupRead accepts group read (never write, never others), for
	// Kubernetes Secret volumes: with fsGroup the kubelet turns
	// defaultMode 0400 into 0440 owned by the pod's group.
	AllowGroupRead bool
}

// LoadKeypairWith is LoadKeypair with an explicit permission policy.
func LoadKeypairWith(path string, pol KeyPolicy) (solana.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("wallet keypair: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("wallet keypair %s: not a regular file", path)
	}
	forbidden := os.FileMode(0o077)
	if pol.AllowGroupRead {
		forbidden = 0o037
	}
	if fi.Mode().Perm()&forbidden != 0 {
		return nil, fmt.Errorf("wallet keypair %s (mode %04o): %w", path, fi.Mode().Perm(), ErrKeyPermissions)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wallet keypair: %w", err)
	}
	return ParseKeypair(raw)
}

// ParseKeypair decodes the Solana CLI keypair JSON format.
func ParseKeypair(raw []byte) (solana.PrivateKey, error) {
	var ints []int
	if err := json.Unmarshal(raw, &ints); err != nil {
		// The decoder's message may quote input bytes; do not pass it on.
		return nil, errors.New("wallet keypair: not a JSON array of numbers")
	}
	if len(ints) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("wallet keypair: %d numbers, want %d", len(ints), ed25519.PrivateKeySize)
	}
	key := make([]byte, len(ints))
	for i, v := range ints {
		if v < 0 || v > 255 {
			return nil, fmt.Errorf("wallet keypair: element %d is not a byte", i)
		}
		key[i] = byte(v)
	}
	derived := ed25519.NewKeyFromSeed(key[:ed25519.SeedSize])
	if !ed25519.PublicKey(derived[32:]).Equal(ed25519.PublicKey(key[32:])) {
		return nil, errors.New("wallet keypair: public key does not match the secret seed")
	}
	return solana.PrivateKey(key), nil
}
