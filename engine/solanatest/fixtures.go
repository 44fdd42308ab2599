package solanatest

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// The real mainnet fixtures; provenance of each file is in
// testdata/solana/PROVENANCE.md.
//
//go:embed testdata/solana
var fixtures embed.FS

// Fixture returns a fixture file's bytes by name (for example
// "spl_mint_wsol.json").
func Fixture(name string) ([]byte, error) {
	b, err := fixtures.ReadFile("testdata/solana/" + name)
	if err != nil {
		return nil, fmt.Errorf("fixture %s: %w", name, err)
	}
	return b, nil
}

// AccountFixture is a decoded account fixture: from a *.json UiAccount
// file (pubkey and owner included) or a *.b64 raw-data file (pubkey and
// owner as listed in PROVENANCE.md, passed by the caller).
type AccountFixture struct {
	Pubkey   string
	Owner    string
	Lamports uint64
	Data     []byte
}

// LoadAccount reads a *.json account fixture.
func LoadAccount(name string) (AccountFixture, error) {
	raw, err := Fixture(name)
	if err != nil {
		return AccountFixture{}, err
	}
	var f struct {
		Pubkey  string `json:"pubkey"`
		Account struct {
			Lamports uint64    `json:"lamports"`
			Owner    string    `json:"owner"`
			Data     [2]string `json:"data"`
		} `json:"account"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return AccountFixture{}, fmt.Errorf("fixture %s: %w", name, err)
	}
	data, err := base64.StdEncoding.DecodeString(f.Account.Data[0])
	if err != nil {
		return AccountFixture{}, fmt.Errorf("fixture %s data: %w", name, err)
	}
	return AccountFixture{Pubkey: f.Pubkey, Owner: f.Account.Owner, Lamports: f.Account.Lamports, Data: data}, nil
}

// LoadRaw reads a *.b64 fixture's bytes.
func LoadRaw(name string) ([]byte, error) {
	raw, err := Fixture(name)
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("fixture %s: %w", name, err)
	}
	return data, nil
}
