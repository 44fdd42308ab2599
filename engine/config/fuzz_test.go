package config

import "testing"

// FuzzParse and FuzzParseKeypair: malformed configs and key files are
// errors, never panics; keypair errors never echo the input.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("pools: [{name: a, kind: raydium-cpmm}]"))
	f.Add([]byte("risk: {max_notional_lamports: -1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err == nil {
			_ = s.Engine.Validate()
		}
	})
}

func FuzzParseKeypair(f *testing.F) {
	raw, _ := keyJSON(nil)
	f.Add(raw)
	f.Add([]byte("[1,2,3]"))
	f.Add([]byte(`"not an array"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKeypair(data)
		if err == nil && len(k) != 64 {
			t.Fatalf("accepted %d-byte key", len(k))
		}
	})
}
