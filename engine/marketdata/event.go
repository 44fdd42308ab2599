// Package marketdata turns a Solana JSON-RPC endpoint into a stream of slot
// and account events: websocket subscriptions first, getMultipleAccounts
// polling while the websocket is down, and a tracker that says whether the
// data is fresh.
package marketdata

import (
	"time"

	"github.com/gagliardetto/solana-go"
)

// Kind tells what an Event carries.
type Kind uint8

const (
	// KindSlot is a new slot.
	KindSlot Kind = iota + 1
	// KindAccount is new account data.
	KindAccount
)

// String names the kind for logs and replay files.
func (k Kind) String() string {
	switch k {
	case KindSlot:
		return "slot"
	case KindAccount:
		return "account"
	default:
		return "unknown"
	}
}

// Source tells where an Event came from.
type Source string

// Sources of events.
const (
	SourceWS     Source = "ws"
	SourcePoll   Source = "poll"
	SourceReplay Source = "replay"
)

// Event is one market-data observation. For account events Slot is the
// context slot at which the data was read.
type Event struct {
	Kind     Kind
	Source   Source
	Slot     uint64
	Account  solana.PublicKey
	Owner    solana.PublicKey
	Lamports uint64
	Data     []byte
	// Received is when the engine received the event; latency metrics start here.
	Received time.Time
}
