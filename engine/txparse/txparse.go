// Package txparse reads a getTransaction response (encoding "json",
// maxSupportedTransactionVersion 0), finds the swaps it made on known DEX
// programs — top-level or through CPI from a router — and computes the
// signer's token and SOL balance changes from the pre/post balances.
package txparse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
)

// KnownDEX maps program ids to names. Unlabelled routers are not listed;
// the swaps they route are found through their inner instructions.
var knownDEX = map[solana.PublicKey]string{
	solana.MustPublicKeyFromBase58("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"): "raydium-amm-v4",
	solana.MustPublicKeyFromBase58("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"): "raydium-cpmm",
	solana.MustPublicKeyFromBase58("CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK"): "raydium-clmm",
	solana.MustPublicKeyFromBase58("routeUGWgWzqBWFcrCfv8tritsqukccJPu3q5GPP3xS"):  "raydium-route",
	solana.MustPublicKeyFromBase58("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc"):  "orca-whirlpool",
	solana.MustPublicKeyFromBase58("JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"):  "jupiter-v6",
	solana.MustPublicKeyFromBase58("LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo"):  "meteora-dlmm",
	solana.MustPublicKeyFromBase58("cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG"):  "meteora-damm-v2",
	solana.MustPublicKeyFromBase58("Eo7WjKq67rjJQSZxS6z3YkapzY3eMj6Xy8X5EQVn5UaB"): "meteora-damm-v1",
	solana.MustPublicKeyFromBase58("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"):  "pump-fun",
	solana.MustPublicKeyFromBase58("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"):  "pumpswap",
}

// ProgramName returns the DEX name of a program id, or "".
func ProgramName(p solana.PublicKey) string { return knownDEX[p] }

// Swap is one invocation of a DEX program.
type Swap struct {
	Program solana.PublicKey
	Name    string
	// Outer is the index of the top-level instruction; Inner is true when
	// the DEX was reached through CPI (a router or aggregator).
	Outer int
	Inner bool
}

// Delta is a signer's change in one mint, in raw token units.
type Delta struct {
	Mint     solana.PublicKey
	Decimals uint8
	Change   int64
}

// Parsed is what the engine learns from one transaction.
type Parsed struct {
	Signature solana.Signature
	Slot      uint64
	Fee       uint64
	Signer    solana.PublicKey
	Failed    bool
	Swaps     []Swap
	// Tokens are the signer's token deltas (accounts whose owner is the
	// signer), sorted by mint; zero changes are left out.
	Tokens []Delta
	// Lamports is the signer's SOL change including the fee.
	Lamports int64
}

// ErrMalformed wraps every rejection of the input.
var ErrMalformed = errors.New("malformed transaction response")

// Parse decodes a full JSON-RPC getTransaction response.
func Parse(raw []byte) (Parsed, error) {
	var resp struct {
		Result *rpc.GetTransactionResult `json:"result"`
		Error  json.RawMessage           `json:"error"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return Parsed{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(resp.Error) > 0 && string(resp.Error) != "null" {
		return Parsed{}, fmt.Errorf("%w: RPC error %s", ErrMalformed, resp.Error)
	}
	if resp.Result == nil {
		return Parsed{}, fmt.Errorf("%w: null result (transaction not found)", ErrMalformed)
	}
	return FromResult(resp.Result)
}

// FromResult parses an already decoded result.
func FromResult(r *rpc.GetTransactionResult) (Parsed, error) {
	if r.Transaction == nil || r.Meta == nil {
		return Parsed{}, fmt.Errorf("%w: no transaction or meta", ErrMalformed)
	}
	tx, err := r.Transaction.GetTransaction()
	if err != nil {
		return Parsed{}, fmt.Errorf("%w: transaction: %v", ErrMalformed, err)
	}
	if len(tx.Signatures) == 0 || len(tx.Message.AccountKeys) == 0 {
		return Parsed{}, fmt.Errorf("%w: no signatures or keys", ErrMalformed)
	}
	m := r.Meta
	// Meta indexes run over the static keys, then the loaded writable, then
	// the loaded readonly addresses (v0 lookup tables).
	keys := slices.Concat(tx.Message.AccountKeys, m.LoadedAddresses.Writable, m.LoadedAddresses.ReadOnly)
	if len(m.PreBalances) != len(keys) || len(m.PostBalances) != len(keys) {
		return Parsed{}, fmt.Errorf("%w: %d keys but %d/%d balances", ErrMalformed, len(keys), len(m.PreBalances), len(m.PostBalances))
	}
	p := Parsed{Signature: tx.Signatures[0], Slot: r.Slot, Fee: m.Fee, Signer: keys[0], Failed: m.Err != nil}
	if p.Lamports, err = diff(m.PreBalances[0], m.PostBalances[0]); err != nil {
		return Parsed{}, err
	}
	prog := func(idx uint16) (solana.PublicKey, error) {
		if int(idx) >= len(keys) {
			return solana.PublicKey{}, fmt.Errorf("%w: program index %d of %d keys", ErrMalformed, idx, len(keys))
		}
		return keys[idx], nil
	}
	for i, ix := range tx.Message.Instructions {
		pk, err := prog(ix.ProgramIDIndex)
		if err != nil {
			return Parsed{}, err
		}
		if name := knownDEX[pk]; name != "" {
			p.Swaps = append(p.Swaps, Swap{Program: pk, Name: name, Outer: i})
		}
	}
	for _, inner := range m.InnerInstructions {
		for _, ix := range inner.Instructions {
			pk, err := prog(ix.ProgramIDIndex)
			if err != nil {
				return Parsed{}, err
			}
			if name := knownDEX[pk]; name != "" {
				p.Swaps = append(p.Swaps, Swap{Program: pk, Name: name, Outer: int(inner.Index), Inner: true})
			}
		}
	}
	if p.Tokens, err = signerDeltas(p.Signer, m.PreTokenBalances, m.PostTokenBalances); err != nil {
		return Parsed{}, err
	}
	return p, nil
}

func signerDeltas(signer solana.PublicKey, pre, post []rpc.TokenBalance) ([]Delta, error) {
	type acc struct {
		mint     solana.PublicKey
		decimals uint8
		pre      uint64
		post     uint64
	}
	byIndex := map[uint16]*acc{}
	add := func(bals []rpc.TokenBalance, isPost bool) error {
		for _, b := range bals {
			if b.Owner == nil || *b.Owner != signer || b.UiTokenAmount == nil {
				continue
			}
			v, err := strconv.ParseUint(b.UiTokenAmount.Amount, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: token amount %q", ErrMalformed, b.UiTokenAmount.Amount)
			}
			a := byIndex[b.AccountIndex]
			if a == nil {
				a = &acc{mint: b.Mint, decimals: b.UiTokenAmount.Decimals}
				byIndex[b.AccountIndex] = a
			}
			if isPost {
				a.post = v
			} else {
				a.pre = v
			}
		}
		return nil
	}
	if err := add(pre, false); err != nil {
		return nil, err
	}
	if err := add(post, true); err != nil {
		return nil, err
	}
	perMint := map[solana.PublicKey]*Delta{}
	for _, a := range byIndex {
		d, err := diff(a.pre, a.post)
		if err != nil {
			return nil, err
		}
		t := perMint[a.mint]
		if t == nil {
			t = &Delta{Mint: a.mint, Decimals: a.decimals}
			perMint[a.mint] = t
		}
		if (d > 0 && t.Change > math.MaxInt64-d) || (d < 0 && t.Change < math.MinInt64-d) {
			return nil, fmt.Errorf("%w: token delta overflows int64", ErrMalformed)
		}
		t.Change += d
	}
	var out []Delta
	for _, d := range perMint {
		if d.Change != 0 {
			out = append(out, *d)
		}
	}
	slices.SortFunc(out, func(a, b Delta) int { return bytes.Compare(a.Mint[:], b.Mint[:]) })
	return out, nil
}

// diff returns post−pre as int64, refusing values that do not fit.
func diff(pre, post uint64) (int64, error) {
	if post >= pre {
		if post-pre > math.MaxInt64 {
			return 0, fmt.Errorf("%w: balance change too large", ErrMalformed)
		}
		return int64(post - pre), nil
	}
	if pre-post > math.MaxInt64 {
		return 0, fmt.Errorf("%w: balance change too large", ErrMalformed)
	}
	return -int64(pre - post), nil
}
