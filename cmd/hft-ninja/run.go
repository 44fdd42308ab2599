package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gagliardetto/solana-go/rpc"

	"github.com/hft-ninja/hft-ninja/engine"
	"github.com/hft-ninja/hft-ninja/engine/buildinfo"
	"github.com/hft-ninja/hft-ninja/engine/config"
)

// commonFlags are shared by run, replay and record.
type commonFlags struct {
	configPath string
	logLevel   string
	rpcURL     string
	wsURL      string
	commitment string
	adminAddr  string
	wallet     string
	live       bool
	staleAfter time.Duration
	pollEvery  time.Duration
}

func (f *commonFlags) add(fs *flag.FlagSet, withLive bool) {
	fs.StringVar(&f.configPath, "config", "", "YAML config file (env HFT_NINJA_* and flags override it)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.rpcURL, "rpc-url", "", "Solana JSON-RPC HTTP URL (default http://127.0.0.1:8899)")
	fs.StringVar(&f.wsURL, "ws-url", "", "Solana JSON-RPC websocket URL (default ws://127.0.0.1:8900)")
	fs.StringVar(&f.commitment, "commitment", "", "commitment: processed, confirmed or finalized")
	fs.StringVar(&f.adminAddr, "admin-addr", "", "listen address for /healthz, /readyz, /metrics and POST /v1/kill (default 127.0.0.1:8080)")
	fs.StringVar(&f.wallet, "wallet", "", "Solana CLI keypair file (must be chmod 600); without it the engine only watches")
	fs.DurationVar(&f.staleAfter, "stale-after", 0, "mark data stale (and /readyz false) after this long without a new slot")
	fs.DurationVar(&f.pollEvery, "poll-interval", 0, "getMultipleAccounts polling period while the websocket is down")
	if withLive {
		fs.BoolVar(&f.live, "live", false, "send real transactions (requires mode live in config or env, a wallet and every risk limit)")
	}
}

// settings merges config file, environment and flags, loads the wallet and
// validates the result.
func (f *commonFlags) settings(getenv func(string) string, log *slog.Logger) (engine.Config, error) {
	s, err := config.Load(f.configPath, getenv)
	if err != nil {
		return engine.Config{}, err
	}
	c := &s.Engine
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.RPCURL, f.rpcURL)
	set(&c.WSURL, f.wsURL)
	set(&c.Commitment, f.commitment)
	set(&c.AdminAddr, f.adminAddr)
	set(&s.WalletPath, f.wallet)
	if f.staleAfter != 0 {
		c.StaleAfter = f.staleAfter
	}
	if f.pollEvery != 0 {
		c.PollInterval = f.pollEvery
	}
	// Live trading needs two independent switches: mode live in the config
	// (or env) and --live on the command line.
	switch {
	case c.Mode == engine.ModeLive && !f.live:
		return engine.Config{}, errors.New("config asks for live mode but --live was not given; refusing to trade live")
	case f.live && c.Mode != engine.ModeLive:
		return engine.Config{}, fmt.Errorf("--live given but mode is %q; set mode: live in the config", c.Mode)
	}
	if s.WalletPath != "" {
		key, err := config.LoadKeypairWith(s.WalletPath, s.KeyPolicy)
		if err != nil {
			return engine.Config{}, err
		}
		c.Wallet = key
	}
	c.Logger = log
	if err := c.Validate(); err != nil {
		return engine.Config{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return *c, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func cmdRun(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f commonFlags
	f.add(fs, true)
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: run takes no arguments, got %q", errUsage, fs.Args())
	}
	log, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	cfg, err := f.settings(getenv, log)
	if err != nil {
		return err
	}
	bi := buildinfo.Get()
	log.Info("hft-ninja", "version", bi.Version, "commit", bi.Commit, "go", bi.GoVersion, "uid", bi.UID, "gid", bi.GID)

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	e, err := engine.New(cfg)
	if err != nil {
		return err
	}
	// SIGUSR1 is the out-of-band kill switch: it stops all new trading but
	// keeps the process (and its metrics) up for inspection.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-usr1:
				e.Kill("SIGUSR1")
			}
		}
	}()
	return e.Run(ctx)
}

func commitment(s string) rpc.CommitmentType { return rpc.CommitmentType(s) }
