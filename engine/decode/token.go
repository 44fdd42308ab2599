package decode

import (
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// Layout sizes of the SPL Token program (also the Token-2022 base layout).
const (
	TokenAccountLen = 165
	MintLen         = 82
	// Token-2022 puts an AccountType byte right after the 165-byte base.
	token2022TypeOffset = 165
	accountTypeMint     = 1
	accountTypeAccount  = 2
)

// TokenAccount is an SPL token account.
type TokenAccount struct {
	Mint   solana.PublicKey
	Owner  solana.PublicKey
	Amount uint64
	// State: 0 uninitialized, 1 initialized, 2 frozen.
	State uint8
	// IsNative is set for wrapped SOL; NativeRent is its rent reserve.
	IsNative        bool
	NativeRent      uint64
	HasDelegate     bool
	Delegate        solana.PublicKey
	DelegatedAmount uint64
	HasCloseAuth    bool
	CloseAuthority  solana.PublicKey
}

// DecodeTokenAccount decodes a token account owned by the Token or
// Token-2022 program. Token-2022 accounts with extensions are accepted when
// their AccountType byte says Account; the extensions are ignored.
func DecodeTokenAccount(owner solana.PublicKey, data []byte) (TokenAccount, error) {
	const typ = "spl token account"
	if err := checkOwner(typ, owner, TokenProgram, Token2022Program); err != nil {
		return TokenAccount{}, err
	}
	switch {
	case len(data) == TokenAccountLen:
	case owner == Token2022Program && len(data) > token2022TypeOffset && data[token2022TypeOffset] == accountTypeAccount:
	default:
		return TokenAccount{}, &Error{Type: typ, Err: ErrWrongLength, Detail: fmt.Sprintf("%d bytes, want %d", len(data), TokenAccountLen)}
	}
	a := TokenAccount{
		Mint:   key(data, 0),
		Owner:  key(data, 32),
		Amount: u64(data, 64),
		State:  data[108],
	}
	var err error
	if a.HasDelegate, err = coption(typ, "delegate", data, 72); err != nil {
		return TokenAccount{}, err
	}
	a.Delegate = key(data, 76)
	if a.IsNative, err = coption(typ, "is_native", data, 109); err != nil {
		return TokenAccount{}, err
	}
	a.NativeRent = u64(data, 113)
	a.DelegatedAmount = u64(data, 121)
	if a.HasCloseAuth, err = coption(typ, "close_authority", data, 129); err != nil {
		return TokenAccount{}, err
	}
	a.CloseAuthority = key(data, 133)
	switch a.State {
	case 0:
		return TokenAccount{}, &Error{Type: typ, Err: ErrUninitialized, Detail: "state 0"}
	case 1, 2:
	default:
		return TokenAccount{}, &Error{Type: typ, Err: ErrInvalid, Detail: fmt.Sprintf("state %d", a.State)}
	}
	return a, nil
}

// Mint is an SPL mint.
type Mint struct {
	HasMintAuthority   bool
	MintAuthority      solana.PublicKey
	Supply             uint64
	Decimals           uint8
	IsInitialized      bool
	HasFreezeAuthority bool
	FreezeAuthority    solana.PublicKey
}

// DecodeMint decodes a mint owned by the Token or Token-2022 program.
func DecodeMint(owner solana.PublicKey, data []byte) (Mint, error) {
	const typ = "spl mint"
	if err := checkOwner(typ, owner, TokenProgram, Token2022Program); err != nil {
		return Mint{}, err
	}
	switch {
	case len(data) == MintLen:
	case owner == Token2022Program && len(data) > token2022TypeOffset && data[token2022TypeOffset] == accountTypeMint:
	default:
		return Mint{}, &Error{Type: typ, Err: ErrWrongLength, Detail: fmt.Sprintf("%d bytes, want %d", len(data), MintLen)}
	}
	m := Mint{Supply: u64(data, 36), Decimals: data[44]}
	var err error
	if m.HasMintAuthority, err = coption(typ, "mint_authority", data, 0); err != nil {
		return Mint{}, err
	}
	m.MintAuthority = key(data, 4)
	switch data[45] {
	case 0:
		return Mint{}, &Error{Type: typ, Err: ErrUninitialized, Detail: "is_initialized false"}
	case 1:
		m.IsInitialized = true
	default:
		return Mint{}, &Error{Type: typ, Err: ErrInvalid, Detail: fmt.Sprintf("is_initialized byte %d", data[45])}
	}
	if m.HasFreezeAuthority, err = coption(typ, "freeze_authority", data, 46); err != nil {
		return Mint{}, err
	}
	m.FreezeAuthority = key(data, 50)
	return m, nil
}

// coption reads a Solana COption tag (u32 0 or 1).
func coption(typ, field string, data []byte, off int) (bool, error) {
	switch u32(data, off) {
	case 0:
		return false, nil
	case 1:
		return true, nil
	default:
		return false, &Error{Type: typ, Err: ErrInvalid, Detail: fmt.Sprintf("%s option tag %d", field, u32(data, off))}
	}
}
