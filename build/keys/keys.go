// Package keys manages the cosign key pairs of the offline profile: the
// release key and the stand-in "upstream" key that signs the base image.
//
// Keys are cosign's encrypted PEM format, so the stock cosign CLI reads them.
// Private key files are written 0600 and never printed.
package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// ErrWrongPassword means the key file could not be decrypted.
var ErrWrongPassword = errors.New("cannot decrypt the signing key: wrong password (set COSIGN_PASSWORD), or not a cosign private key")

// Pair names a private key file and its public key file.
type Pair struct {
	Private string
	Public  string
}

// InDir is the conventional pair <dir>/<name>.key and <dir>/<name>.pub.
func InDir(dir, name string) Pair {
	return Pair{Private: filepath.Join(dir, name+".key"), Public: filepath.Join(dir, name+".pub")}
}

// Ensure creates the pair with password if the private key does not exist
// yet. It reports whether it created the pair.
func Ensure(_ context.Context, p Pair, password []byte) (bool, error) {
	if _, err := os.Stat(p.Private); err == nil {
		if err := checkMode(p.Private); err != nil {
			return false, err
		}
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("checking key %s: %w", p.Private, err)
	}
	// A public key without its private key belongs to someone else (or is
	// a link to something else): never overwrite it.
	if _, err := os.Lstat(p.Public); err == nil {
		return false, fmt.Errorf("%s exists without %s; move it away or pass the matching private key", p.Public, p.Private)
	}
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return false, fmt.Errorf("generating key pair: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p.Private), 0o700); err != nil {
		return false, fmt.Errorf("creating key folder: %w", err)
	}
	// O_EXCL: never overwrite a key another process just wrote.
	f, err := os.OpenFile(p.Private, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, fmt.Errorf("writing private key %s: %w", p.Private, err)
	}
	if _, err := f.Write(kb.PrivateBytes); err != nil {
		f.Close()
		return false, fmt.Errorf("writing private key %s: %w", p.Private, err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("writing private key %s: %w", p.Private, err)
	}
	pf, err := os.OpenFile(p.Public, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false, fmt.Errorf("writing public key %s: %w", p.Public, err)
	}
	if _, err := pf.Write(kb.PublicBytes); err != nil {
		pf.Close()
		return false, fmt.Errorf("writing public key %s: %w", p.Public, err)
	}
	if err := pf.Close(); err != nil {
		return false, fmt.Errorf("writing public key %s: %w", p.Public, err)
	}
	return true, nil
}

// LoadSigner decrypts the private key. A wrong password yields ErrWrongPassword
// and the key bytes never appear in the error.
func LoadSigner(p Pair, password []byte) (signature.SignerVerifier, error) {
	if err := checkMode(p.Private); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p.Private)
	if err != nil {
		return nil, fmt.Errorf("reading signing key: %w", err)
	}
	sv, err := cosign.LoadPrivateKey(b, password, nil)
	if err != nil {
		// cosign's error is not wrapped: it cannot tell a wrong password
		// from a malformed file, and the key bytes must not reach a log.
		return nil, fmt.Errorf("loading signing key %s: %w", p.Private, ErrWrongPassword)
	}
	return sv, nil
}

// LoadVerifier reads a PEM public key file.
func LoadVerifier(path string) (signature.Verifier, crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading public key: %w", err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(b)
	if err != nil {
		return nil, nil, fmt.Errorf("public key %s is not a PEM public key: %w", path, err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, nil, fmt.Errorf("loading public key %s: %w", path, err)
	}
	return v, pub, nil
}

// checkMode refuses private keys readable by group or others.
func checkMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("checking signing key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("signing key %s has mode %04o; it must be 0600 (chmod 600 %s)", path, st.Mode().Perm(), path)
	}
	return nil
}
