package execution

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"
)

// compileAndSign builds the legacy message exactly as solana.NewTransaction
// orders it (signers, then writable, stable; fee payer first; program ids
// as read-only) and signs it (see signer). solana-go's
// NewTransaction keys its maps by base58 strings and Sign re-validates the
// key on the curve on every call; together they cost more than the
// signature itself on this hot path. A test holds the output byte-equal to
// solana-go's.
func compileAndSign(sg *signer, payer solana.PublicKey, ixs []solana.Instruction, blockhash solana.Hash) (*solana.Transaction, error) {
	type meta struct {
		key              solana.PublicKey
		signer, writable bool
	}
	metas := make([]meta, 0, 40)
	var programs []solana.PublicKey
	for _, ix := range ixs {
		for _, a := range ix.Accounts() {
			metas = append(metas, meta{a.PublicKey, a.IsSigner, a.IsWritable})
		}
		if p := ix.ProgramID(); !slices.Contains(programs, p) {
			programs = append(programs, p)
		}
	}
	for _, p := range programs {
		metas = append(metas, meta{key: p})
	}
	rank := func(m meta) int {
		r := 0
		if !m.signer {
			r += 2
		}
		if !m.writable {
			r++
		}
		return r
	}
	slices.SortStableFunc(metas, func(a, b meta) int { return rank(a) - rank(b) })
	uniq := metas[:0:0]
	for _, m := range metas {
		if i := slices.IndexFunc(uniq, func(u meta) bool { return u.key == m.key }); i >= 0 {
			uniq[i].writable = uniq[i].writable || m.writable
			continue
		}
		uniq = append(uniq, m)
	}
	keys := make([]solana.PublicKey, 0, len(uniq)+1)
	keys = append(keys, payer)
	msg := solana.Message{RecentBlockhash: blockhash}
	msg.Header.NumRequiredSignatures = 1 // the payer
	for _, m := range uniq {
		if m.key == payer {
			continue
		}
		keys = append(keys, m.key)
		switch {
		case m.signer:
			msg.Header.NumRequiredSignatures++
			if !m.writable {
				msg.Header.NumReadonlySignedAccounts++
			}
		case !m.writable:
			msg.Header.NumReadonlyUnsignedAccounts++
		}
	}
	if msg.Header.NumRequiredSignatures != 1 {
		return nil, fmt.Errorf("execution: %d signers required, only the payer can sign", msg.Header.NumRequiredSignatures)
	}
	index := func(k solana.PublicKey) uint16 { return uint16(slices.Index(keys, k)) }
	msg.AccountKeys = keys
	msg.Instructions = make([]solana.CompiledInstruction, 0, len(ixs))
	for i, ix := range ixs {
		accts := ix.Accounts()
		idx := make([]uint16, len(accts))
		for j, a := range accts {
			idx[j] = index(a.PublicKey)
		}
		data, err := ix.Data()
		if err != nil {
			return nil, fmt.Errorf("instruction %d data: %w", i, err)
		}
		msg.Instructions = append(msg.Instructions, solana.CompiledInstruction{ProgramIDIndex: index(ix.ProgramID()), Accounts: idx, Data: data})
	}
	raw, err := msg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("serialising message: %w", err)
	}
	sig := solana.Signature(sg.sign(raw))
	return &solana.Transaction{Signatures: []solana.Signature{sig}, Message: msg}, nil
}

// Compute-budget instructions built directly (tag + little-endian
// argument), skipping solana-go's reflection-based encoder; a test holds
// them equal to solana-go's builders.
func setComputeUnitLimit(units uint32) solana.Instruction {
	data := make([]byte, 5)
	data[0] = 2
	binary.LittleEndian.PutUint32(data[1:], units)
	return solana.NewInstruction(solana.ComputeBudget, solana.AccountMetaSlice{}, data)
}

func setComputeUnitPrice(microLamports uint64) solana.Instruction {
	data := make([]byte, 9)
	data[0] = 3
	binary.LittleEndian.PutUint64(data[1:], microLamports)
	return solana.NewInstruction(solana.ComputeBudget, solana.AccountMetaSlice{}, data)
}
