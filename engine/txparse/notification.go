package txparse

import (
	"encoding/json"
	"fmt"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
)

// ParseNotification reads a websocket transactionNotification (Helius-style
// transactionSubscribe with jsonParsed account keys). In that encoding the
// account keys already include addresses loaded from lookup tables, and
// instructions name their program id directly.
func ParseNotification(raw []byte) (Parsed, error) {
	type ix struct {
		ProgramID solana.PublicKey `json:"programId"`
	}
	var msg struct {
		Params struct {
			Result struct {
				Signature   solana.Signature `json:"signature"`
				Slot        uint64           `json:"slot"`
				Transaction struct {
					Transaction struct {
						Message struct {
							AccountKeys []struct {
								Pubkey solana.PublicKey `json:"pubkey"`
								Signer bool             `json:"signer"`
							} `json:"accountKeys"`
							Instructions []ix `json:"instructions"`
						} `json:"message"`
					} `json:"transaction"`
					Meta *struct {
						Err               any                `json:"err"`
						Fee               uint64             `json:"fee"`
						PreBalances       []uint64           `json:"preBalances"`
						PostBalances      []uint64           `json:"postBalances"`
						PreTokenBalances  []rpc.TokenBalance `json:"preTokenBalances"`
						PostTokenBalances []rpc.TokenBalance `json:"postTokenBalances"`
						InnerInstructions []struct {
							Index        int  `json:"index"`
							Instructions []ix `json:"instructions"`
						} `json:"innerInstructions"`
					} `json:"meta"`
				} `json:"transaction"`
			} `json:"result"`
		} `json:"params"`
	}
	if err := json.Unmarshal(raw, &msg); err != nil {
		return Parsed{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	r := msg.Params.Result
	tx, m := r.Transaction.Transaction, r.Transaction.Meta
	keys := tx.Message.AccountKeys
	if m == nil || len(keys) == 0 || !keys[0].Signer {
		return Parsed{}, fmt.Errorf("%w: no meta, keys or fee payer", ErrMalformed)
	}
	if len(m.PreBalances) != len(keys) || len(m.PostBalances) != len(keys) {
		return Parsed{}, fmt.Errorf("%w: %d keys but %d/%d balances", ErrMalformed, len(keys), len(m.PreBalances), len(m.PostBalances))
	}
	p := Parsed{Signature: r.Signature, Slot: r.Slot, Fee: m.Fee, Signer: keys[0].Pubkey, Failed: m.Err != nil}
	var err error
	if p.Lamports, err = diff(m.PreBalances[0], m.PostBalances[0]); err != nil {
		return Parsed{}, err
	}
	for i, in := range tx.Message.Instructions {
		if name := knownDEX[in.ProgramID]; name != "" {
			p.Swaps = append(p.Swaps, Swap{Program: in.ProgramID, Name: name, Outer: i})
		}
	}
	for _, inner := range m.InnerInstructions {
		for _, in := range inner.Instructions {
			if name := knownDEX[in.ProgramID]; name != "" {
				p.Swaps = append(p.Swaps, Swap{Program: in.ProgramID, Name: name, Outer: inner.Index, Inner: true})
			}
		}
	}
	if p.Tokens, err = signerDeltas(p.Signer, m.PreTokenBalances, m.PostTokenBalances); err != nil {
		return Parsed{}, err
	}
	return p, nil
}
