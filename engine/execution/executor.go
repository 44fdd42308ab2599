package execution

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/ws"

	"github.com/hft-ninja/hft-ninja/engine/txparse"
)

// Result is what happened to one plan.
type Result struct {
	Signature solana.Signature
	// Signed is when the transaction was signed (for tick-to-signed latency).
	Signed time.Time
	// Simulated is set in dry-run; SimErr is the simulation's error, if any.
	Simulated     bool
	SimErr        string
	UnitsConsumed uint64
	// Sent and Confirmed are set in live mode.
	Sent      bool
	Confirmed bool
	// Realised is the wallet's actual SOL change (lamports plus wrapped
	// SOL, fees included) read back from the confirmed transaction;
	// HaveRealised says whether it could be read.
	Realised     int64
	HaveRealised bool
}

// OK reports whether the outcome counts as a success for risk accounting.
func (r Result) OK() bool {
	if r.Simulated {
		return r.SimErr == ""
	}
	return r.Confirmed
}

// Executor runs a plan.
type Executor interface {
	Execute(ctx context.Context, p Plan) (Result, error)
}

// Blockhashes caches the latest blockhash so that signing never waits for
// an RPC round trip; Run refreshes it in the background.
type Blockhashes struct {
	rpc     *rpc.Client
	every   time.Duration
	timeout time.Duration
	log     *slog.Logger

	mu        sync.RWMutex
	hash      solana.Hash
	lastValid uint64
	at        time.Time
}

// NewBlockhashes returns a cache refreshed every `every` from c.
func NewBlockhashes(c *rpc.Client, every, timeout time.Duration, log *slog.Logger) *Blockhashes {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Blockhashes{rpc: c, every: every, timeout: timeout, log: log}
}

// Refresh fetches the latest blockhash once.
func (b *Blockhashes) Refresh(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	res, err := b.rpc.GetLatestBlockhash(cctx, rpc.CommitmentConfirmed)
	if err != nil {
		return fmt.Errorf("getLatestBlockhash: %w", err)
	}
	if res == nil || res.Value == nil {
		return errors.New("getLatestBlockhash: empty result")
	}
	b.mu.Lock()
	b.hash, b.lastValid, b.at = res.Value.Blockhash, res.Value.LastValidBlockHeight, time.Now()
	b.mu.Unlock()
	return nil
}

// Run refreshes until ctx ends.
func (b *Blockhashes) Run(ctx context.Context) {
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("blockhash refresh failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Get returns the cached blockhash; ok is false before the first refresh
// or when it is older than maxAge (a blockhash lives ~60 s on chain).
func (b *Blockhashes) Get(maxAge time.Duration) (hash solana.Hash, lastValid uint64, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.at.IsZero() || time.Since(b.at) > maxAge {
		return solana.Hash{}, 0, false
	}
	return b.hash, b.lastValid, true
}

// ErrNoBlockhash means no fresh blockhash is cached; nothing is signed.
var ErrNoBlockhash = errors.New("no fresh blockhash")

// maxConfirmWait bounds a live execution when expiry cannot be observed.
const maxConfirmWait = 90 * time.Second

// blockhashMaxAge keeps well inside the ~60 s validity of a blockhash.
const blockhashMaxAge = 30 * time.Second

// DryRun signs and simulates (simulateTransaction with sigVerify) but
// never sends.
type DryRun struct {
	B       *Builder
	RPC     *rpc.Client
	Hashes  *Blockhashes
	Timeout time.Duration
}

var _ Executor = (*DryRun)(nil)

// Execute builds, signs and simulates p.
func (d *DryRun) Execute(ctx context.Context, p Plan) (Result, error) {
	hash, _, ok := d.Hashes.Get(blockhashMaxAge)
	if !ok {
		return Result{}, ErrNoBlockhash
	}
	tx, err := d.B.Build(p, hash)
	if err != nil {
		return Result{}, err
	}
	res := Result{Signature: tx.Signatures[0], Signed: time.Now(), Simulated: true}
	cctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	sim, err := d.RPC.SimulateTransactionWithOpts(cctx, tx, &rpc.SimulateTransactionOpts{SigVerify: true, Commitment: rpc.CommitmentConfirmed})
	if err != nil {
		return res, fmt.Errorf("simulateTransaction: %w", err)
	}
	if sim == nil || sim.Value == nil {
		return res, errors.New("simulateTransaction: empty result")
	}
	if sim.Value.Err != nil {
		res.SimErr = fmt.Sprint(sim.Value.Err)
	}
	if sim.Value.UnitsConsumed != nil {
		res.UnitsConsumed = *sim.Value.UnitsConsumed
	}
	return res, nil
}

// Live sends the signed transaction, re-sending until it confirms or its
// blockhash expires. Confirmation is tracked with signatureSubscribe on
// the websocket (the fast path) and getSignatureStatuses on every resend
// (the fallback when the websocket is down).
type Live struct {
	B       *Builder
	RPC     *rpc.Client
	Hashes  *Blockhashes
	Timeout time.Duration
	// WSURL enables signatureSubscribe; empty means polling only.
	WSURL string
	// Resend is the re-broadcast period (a leader may drop a transaction).
	Resend time.Duration
}

var _ Executor = (*Live)(nil)

// Execute sends p and waits for confirmation or expiry.
func (l *Live) Execute(ctx context.Context, p Plan) (Result, error) {
	hash, lastValid, ok := l.Hashes.Get(blockhashMaxAge)
	if !ok {
		return Result{}, ErrNoBlockhash
	}
	tx, err := l.B.Build(p, hash)
	if err != nil {
		return Result{}, err
	}
	sig := tx.Signatures[0]
	res := Result{Signature: sig, Signed: time.Now()}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return res, fmt.Errorf("serialising transaction: %w", err)
	}
	resend := l.Resend
	if resend <= 0 {
		resend = 400 * time.Millisecond
	}
	// A blockhash is valid for ~150 blocks (about a minute); if block
	// height cannot be read (RPC down), stop waiting after that anyway.
	ctx, cancel := context.WithTimeout(ctx, maxConfirmWait)
	defer cancel()
	notified := l.subscribe(ctx, sig)
	for {
		cctx, cancel := context.WithTimeout(ctx, l.Timeout)
		// Preflight is skipped: the same checks ran in the strategy, and a
		// preflight round trip costs a slot.
		_, sendErr := l.RPC.SendRawTransactionWithOpts(cctx, raw, rpc.TransactionOpts{SkipPreflight: true, PreflightCommitment: rpc.CommitmentConfirmed})
		if sendErr == nil {
			res.Sent = true
		}
		st, stErr := l.RPC.GetSignatureStatuses(cctx, false, sig)
		height, hErr := l.RPC.GetBlockHeight(cctx, rpc.CommitmentConfirmed)
		cancel()
		if stErr == nil && st != nil && len(st.Value) == 1 && st.Value[0] != nil {
			s := st.Value[0]
			if s.Err != nil {
				return res, fmt.Errorf("transaction %s failed on chain: %v", sig, s.Err)
			}
			if s.ConfirmationStatus == rpc.ConfirmationStatusConfirmed || s.ConfirmationStatus == rpc.ConfirmationStatusFinalized {
				res.Confirmed = true
				l.realise(ctx, &res)
				return res, nil
			}
		}
		if hErr == nil && height > lastValid {
			return res, fmt.Errorf("transaction %s expired at block height %d", sig, height)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case n := <-notified:
			if n != nil {
				return res, fmt.Errorf("transaction %s failed on chain: %v", sig, n)
			}
			res.Confirmed = true
			l.realise(ctx, &res)
			return res, nil
		case <-time.After(resend):
		}
	}
}

// realise reads the confirmed transaction back and computes what the
// wallet actually gained or lost in SOL, so that risk limits run on real
// PnL rather than on the expected one. Failure leaves HaveRealised false.
func (l *Live) realise(ctx context.Context, res *Result) {
	cctx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	v := uint64(0)
	tr, err := l.RPC.GetTransaction(cctx, res.Signature, &rpc.GetTransactionOpts{
		Encoding: solana.EncodingBase64, Commitment: rpc.CommitmentConfirmed, MaxSupportedTransactionVersion: &v})
	if err != nil || tr == nil {
		return
	}
	p, err := txparse.FromResult(tr)
	if err != nil || p.Signer != l.B.Payer() {
		return
	}
	res.Realised = p.Lamports
	for _, d := range p.Tokens {
		if d.Mint == solana.SolMint {
			res.Realised += d.Change
		}
	}
	res.HaveRealised = true
}

// subscribe starts signatureSubscribe; the channel receives the
// transaction's error (nil for success) once, or nothing if the
// subscription cannot be made (polling then decides).
func (l *Live) subscribe(ctx context.Context, sig solana.Signature) <-chan any {
	ch := make(chan any, 1)
	if l.WSURL == "" {
		return ch
	}
	go func() {
		cctx, cancel := context.WithTimeout(ctx, l.Timeout)
		client, err := ws.Connect(cctx, l.WSURL)
		cancel()
		if err != nil {
			return
		}
		defer client.Close()
		sub, err := client.SignatureSubscribe(sig, rpc.CommitmentConfirmed)
		if err != nil {
			return
		}
		r, err := sub.Recv(ctx)
		if err != nil {
			return
		}
		ch <- r.Value.Err
	}()
	return ch
}

// SignOnly builds and signs with a fixed blockhash and never touches the
// network. Replays use it (the recorded blockhash is long expired) and the
// benchmarks measure build+sign with it.
type SignOnly struct {
	B         *Builder
	Blockhash solana.Hash
	// Now stamps Result.Signed; nil means time.Now (replay injects its clock).
	Now func() time.Time
}

var _ Executor = (*SignOnly)(nil)

// Execute signs p and reports the signature.
func (s *SignOnly) Execute(_ context.Context, p Plan) (Result, error) {
	tx, err := s.B.Build(p, s.Blockhash)
	if err != nil {
		return Result{}, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return Result{Signature: tx.Signatures[0], Signed: now()}, nil
}
