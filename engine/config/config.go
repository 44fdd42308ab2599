// Package config builds an engine.Config from a YAML file and HFT_NINJA_*
// environment variables (flags are applied on top by cmd/hft-ninja), and
// loads the wallet keypair safely.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hft-ninja/hft-ninja/engine"
	"github.com/hft-ninja/hft-ninja/engine/risk"
	"github.com/hft-ninja/hft-ninja/engine/strategy"
)

// File is the YAML schema. Unknown keys are rejected so that a typo in a
// risk limit cannot silently leave it unset.
type File struct {
	RPCURL     string `yaml:"rpc_url"`
	WSURL      string `yaml:"ws_url"`
	Commitment string `yaml:"commitment"`
	AdminAddr  string `yaml:"admin_addr"`
	Mode       string `yaml:"mode"`
	Wallet     string `yaml:"wallet"`
	// WalletGroupReadable accepts a group-readable key file (Kubernetes
	// Secret volumes with fsGroup); never world-readable.
	WalletGroupReadable bool                `yaml:"wallet_group_readable"`
	StaleAfter          time.Duration       `yaml:"stale_after"`
	PollInterval        time.Duration       `yaml:"poll_interval"`
	RPCTimeout          time.Duration       `yaml:"rpc_timeout"`
	BackoffMin          time.Duration       `yaml:"backoff_min"`
	BackoffMax          time.Duration       `yaml:"backoff_max"`
	Pools               []engine.PoolConfig `yaml:"pools"`
	Strategy            *strategy.Params    `yaml:"strategy"`
	Risk                *risk.Limits        `yaml:"risk"`
}

// Settings is the loaded configuration before the wallet is read: the
// engine config plus the wallet path, which the caller may still override.
type Settings struct {
	Engine     engine.Config
	WalletPath string
	// KeyPolicy is how strictly the wallet file's permissions are checked.
	KeyPolicy KeyPolicy
}

// Env names of the overrides.
const (
	EnvRPCURL     = "HFT_NINJA_RPC_URL"
	EnvWSURL      = "HFT_NINJA_WS_URL"
	EnvCommitment = "HFT_NINJA_COMMITMENT"
	EnvAdminAddr  = "HFT_NINJA_ADMIN_ADDR"
	EnvMode       = "HFT_NINJA_MODE"
	EnvWallet     = "HFT_NINJA_WALLET"
)

// Load reads path (if not empty) over the defaults, then applies the
// environment. It does not validate; call engine.Config.Validate after the
// flags are applied.
func Load(path string, getenv func(string) string) (Settings, error) {
	s := Settings{Engine: engine.DefaultConfig()}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return Settings{}, fmt.Errorf("reading config: %w", err)
		}
		if err := s.apply(raw); err != nil {
			return Settings{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if getenv != nil {
		s.applyEnv(getenv)
	}
	return s, nil
}

// Parse applies YAML bytes over the defaults (used by tests and fuzzing).
func Parse(raw []byte) (Settings, error) {
	s := Settings{Engine: engine.DefaultConfig()}
	if err := s.apply(raw); err != nil {
		return Settings{}, err
	}
	return s, nil
}

func (s *Settings) apply(raw []byte) error {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("parsing YAML: %w", err)
	}
	c := &s.Engine
	setStr(&c.RPCURL, f.RPCURL)
	setStr(&c.WSURL, f.WSURL)
	setStr(&c.Commitment, f.Commitment)
	setStr(&c.AdminAddr, f.AdminAddr)
	if f.Mode != "" {
		c.Mode = engine.Mode(f.Mode)
	}
	setStr(&s.WalletPath, f.Wallet)
	s.KeyPolicy.AllowGroupRead = f.WalletGroupReadable
	setDur(&c.StaleAfter, f.StaleAfter)
	setDur(&c.PollInterval, f.PollInterval)
	setDur(&c.RPCTimeout, f.RPCTimeout)
	setDur(&c.BackoffMin, f.BackoffMin)
	setDur(&c.BackoffMax, f.BackoffMax)
	if f.Pools != nil {
		c.Pools = f.Pools
	}
	if f.Strategy != nil {
		c.Strategy = *f.Strategy
	}
	if f.Risk != nil {
		c.Risk = *f.Risk
	}
	return nil
}

func (s *Settings) applyEnv(getenv func(string) string) {
	c := &s.Engine
	setStr(&c.RPCURL, getenv(EnvRPCURL))
	setStr(&c.WSURL, getenv(EnvWSURL))
	setStr(&c.Commitment, getenv(EnvCommitment))
	setStr(&c.AdminAddr, getenv(EnvAdminAddr))
	if m := getenv(EnvMode); m != "" {
		c.Mode = engine.Mode(m)
	}
	setStr(&s.WalletPath, getenv(EnvWallet))
}

func setStr(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setDur(dst *time.Duration, v time.Duration) {
	if v != 0 {
		*dst = v
	}
}
