package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/hft-ninja/hft-ninja/engine/clock"
	"github.com/hft-ninja/hft-ninja/engine/risk"
	"github.com/hft-ninja/hft-ninja/engine/strategy"
)

// Mode says whether the engine may send transactions.
type Mode string

// Modes. DryRun signs and simulates but never sends.
const (
	ModeDryRun Mode = "dry-run"
	ModeLive   Mode = "live"
)

// PoolKind names a supported pool program.
type PoolKind string

// Supported constant-product pool kinds.
const (
	PoolRaydiumAMMv4 PoolKind = "raydium-amm-v4"
	PoolRaydiumCPMM  PoolKind = "raydium-cpmm"
)

// PoolConfig is one watched pool. The vault addresses are given explicitly
// (and checked against the decoded pool state) so that subscriptions are
// known before the first update arrives.
type PoolConfig struct {
	Name       string           `yaml:"name"`
	Kind       PoolKind         `yaml:"kind"`
	Address    solana.PublicKey `yaml:"address"`
	BaseVault  solana.PublicKey `yaml:"base_vault"`
	QuoteVault solana.PublicKey `yaml:"quote_vault"`
	// FeeBps overrides the trade fee when the pool state does not carry it
	// (Raydium CPMM keeps it in a separate AmmConfig account).
	FeeBps uint64 `yaml:"fee_bps"`
}

// Config is everything the engine needs; cmd/hft-ninja builds it from a
// YAML file, the environment and flags.
type Config struct {
	RPCURL     string
	WSURL      string
	Commitment string
	AdminAddr  string
	Mode       Mode

	StaleAfter   time.Duration
	PollInterval time.Duration
	RPCTimeout   time.Duration
	BackoffMin   time.Duration
	BackoffMax   time.Duration

	Pools    []PoolConfig
	Strategy strategy.Params
	Risk     risk.Limits

	// Wallet signs transactions. Nil means watch-only: opportunities are
	// logged and counted but nothing is built or signed.
	Wallet solana.PrivateKey `json:"-"`

	Logger *slog.Logger
	Clock  clock.Clock
}

// DefaultConfig returns the defaults used when a field is left unset.
func DefaultConfig() Config {
	return Config{
		RPCURL:       "http://127.0.0.1:8899",
		WSURL:        "ws://127.0.0.1:8900",
		Commitment:   "confirmed",
		AdminAddr:    "127.0.0.1:8080",
		Mode:         ModeDryRun,
		StaleAfter:   10 * time.Second,
		PollInterval: time.Second,
		RPCTimeout:   5 * time.Second,
		BackoffMin:   250 * time.Millisecond,
		BackoffMax:   30 * time.Second,
		Strategy:     strategy.DefaultParams(),
	}
}

// Validate checks the configuration once, at start.
func (c Config) Validate() error {
	var errs []error
	if err := checkURL(c.RPCURL, "http", "https"); err != nil {
		errs = append(errs, fmt.Errorf("rpc url: %w", err))
	}
	if err := checkURL(c.WSURL, "ws", "wss"); err != nil {
		errs = append(errs, fmt.Errorf("ws url: %w", err))
	}
	switch c.Commitment {
	case "processed", "confirmed", "finalized":
	default:
		errs = append(errs, fmt.Errorf("commitment %q: want processed, confirmed or finalized", c.Commitment))
	}
	if c.AdminAddr == "" {
		errs = append(errs, errors.New("admin address is empty"))
	}
	switch c.Mode {
	case ModeDryRun:
	case ModeLive:
		if c.Wallet == nil {
			errs = append(errs, errors.New("live mode needs a wallet keypair"))
		}
		if err := c.Risk.CompleteForLive(); err != nil {
			errs = append(errs, fmt.Errorf("live mode: %w", err))
		}
	default:
		errs = append(errs, fmt.Errorf("mode %q: want dry-run or live", c.Mode))
	}
	for name, d := range map[string]time.Duration{"stale_after": c.StaleAfter, "poll_interval": c.PollInterval, "rpc_timeout": c.RPCTimeout, "backoff_min": c.BackoffMin, "backoff_max": c.BackoffMax} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, d))
		}
	}
	if c.BackoffMax < c.BackoffMin {
		errs = append(errs, fmt.Errorf("backoff_max %s is below backoff_min %s", c.BackoffMax, c.BackoffMin))
	}
	seen := map[solana.PublicKey]string{}
	for i, p := range c.Pools {
		if err := p.validate(); err != nil {
			errs = append(errs, fmt.Errorf("pools[%d] %q: %w", i, p.Name, err))
			continue
		}
		for _, k := range []solana.PublicKey{p.Address, p.BaseVault, p.QuoteVault} {
			if other, dup := seen[k]; dup {
				errs = append(errs, fmt.Errorf("pools[%d] %q: account %s already used by %q", i, p.Name, k, other))
			}
			seen[k] = p.Name
		}
	}
	if err := c.Strategy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("strategy: %w", err))
	}
	if err := c.Risk.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("risk: %w", err))
	}
	return errors.Join(errs...)
}

// watchedAccounts lists every pool and vault account, in config order.
func (c Config) watchedAccounts() []solana.PublicKey {
	var out []solana.PublicKey
	for _, p := range c.Pools {
		out = append(out, p.Address, p.BaseVault, p.QuoteVault)
	}
	return out
}

func (p PoolConfig) validate() error {
	if p.Name == "" {
		return errors.New("name is empty")
	}
	switch p.Kind {
	case PoolRaydiumAMMv4, PoolRaydiumCPMM:
	default:
		return fmt.Errorf("kind %q: want %s or %s", p.Kind, PoolRaydiumAMMv4, PoolRaydiumCPMM)
	}
	if p.Address.IsZero() || p.BaseVault.IsZero() || p.QuoteVault.IsZero() {
		return errors.New("address, base_vault and quote_vault are required")
	}
	if p.Kind == PoolRaydiumCPMM && p.FeeBps == 0 {
		return errors.New("raydium-cpmm pools need fee_bps (the fee lives in the AmmConfig account)")
	}
	if p.FeeBps >= 10_000 {
		return fmt.Errorf("fee_bps %d must be below 10000", p.FeeBps)
	}
	return nil
}

func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %w", raw, err)
	}
	for _, s := range schemes {
		if u.Scheme == s && u.Host != "" {
			return nil
		}
	}
	return fmt.Errorf("%q: want a %v URL with a host", raw, schemes)
}

// WatchedAccounts lists the pool and vault accounts cfg subscribes to.
func WatchedAccounts(cfg Config) []solana.PublicKey { return cfg.watchedAccounts() }
