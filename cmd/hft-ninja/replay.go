package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hft-ninja/hft-ninja/engine"
	"github.com/hft-ninja/hft-ninja/engine/marketdata"
	"github.com/hft-ninja/hft-ninja/engine/replay"
)

func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hft-ninja replay [flags] FILE.jsonl\n\nPrints one JSON decision per line, then a summary line. Flags:")
		fs.PrintDefaults()
	}
	var f commonFlags
	f.add(fs, false)
	if err := fs.Set("log-level", "warn"); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: replay needs exactly one recording file", errUsage)
	}
	log, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	cfg, err := f.settings(getenv, log)
	if err != nil {
		return err
	}
	file, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("opening recording: %w", err)
	}
	defer file.Close()
	enc := json.NewEncoder(stdout)
	var encErr error
	stats, err := engine.Replay(ctx, cfg, file, func(d engine.Decision) {
		if encErr == nil {
			encErr = enc.Encode(d)
		}
	})
	if err != nil {
		return err
	}
	if encErr != nil {
		return fmt.Errorf("writing decisions: %w", encErr)
	}
	if err := enc.Encode(map[string]any{"summary": stats}); err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	return nil
}

func cmdRecord(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f commonFlags
	f.add(fs, false)
	out := fs.String("out", "", "recording file to write (JSONL); required")
	limit := fs.Int("max-events", 0, "stop after this many events (0 = until SIGINT/SIGTERM)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: record needs --out FILE and no arguments", errUsage)
	}
	log, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	cfg, err := f.settings(getenv, log)
	if err != nil {
		return err
	}
	accounts := engine.WatchedAccounts(cfg)
	if len(accounts) == 0 {
		return errors.New("record: the config lists no pools to record")
	}
	// O_EXCL: never overwrite an earlier recording.
	file, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating recording: %w", err)
	}
	w := replay.NewWriter(file)
	if err := w.Subscribe(cfg.Commitment, accounts...); err != nil {
		file.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	feed, err := marketdata.New(marketdata.Config{
		RPCURL: cfg.RPCURL, WSURL: cfg.WSURL, Commitment: commitment(cfg.Commitment), Accounts: accounts,
		PollInterval: cfg.PollInterval, StaleAfter: cfg.StaleAfter, RPCTimeout: cfg.RPCTimeout,
		Backoff: marketdata.Backoff{Min: cfg.BackoffMin, Max: cfg.BackoffMax}, Logger: log,
	})
	if err != nil {
		file.Close()
		return err
	}
	events := make(chan marketdata.Event, 1024)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx, events) }()
	n := 0
	var werr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case ev := <-events:
			if werr = w.Write(ev); werr != nil {
				break loop
			}
			n++
			if *limit > 0 && n >= *limit {
				break loop
			}
		}
	}
	cancel()
	<-done
	ferr := w.Flush()
	cerr := file.Close()
	log.Info("recording finished", "events", n, "file", *out)
	return errors.Join(werr, ferr, cerr)
}
