// Command hft-ninja is the Solana trading engine. It is a thin shell: it
// turns flags, a YAML file and the environment into an engine.Config and
// calls the engine.
//
//	hft-ninja version [--json]
//	hft-ninja run [--config FILE] [flags]
//	hft-ninja replay [--config FILE] FILE.jsonl
//	hft-ninja record [--config FILE] --out FILE.jsonl
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `hft-ninja — Solana HFT engine

Usage:
  hft-ninja version [--json]          print version, commit, build date, Go version, platform, uid/gid
  hft-ninja run [flags]               connect to a Solana RPC node and trade (dry-run by default)
  hft-ninja replay [flags] FILE       push a recorded JSONL websocket stream through the engine, print decisions
  hft-ninja record [flags] --out FILE record account and slot notifications from a live endpoint
  hft-ninja help [COMMAND]            show help

Run "hft-ninja COMMAND --help" for the flags of a command.
`

// errUsage marks command-line mistakes; main exits 2 on them.
var errUsage = errors.New("usage error")

func main() {
	os.Exit(realMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// realMain runs a command and returns the exit code. Every error becomes one
// line on stderr; nothing panics on bad input.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	err := dispatch(ctx, args, stdout, stderr, getenv)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "hft-ninja: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "hft-ninja: %v\n", oneLine(err))
		return 1
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version":
		return cmdVersion(rest, stdout, stderr)
	case "run":
		return cmdRun(ctx, rest, stderr, getenv)
	case "replay":
		return cmdReplay(ctx, rest, stdout, stderr, getenv)
	case "record":
		return cmdRecord(ctx, rest, stderr, getenv)
	case "help", "-h", "--help", "-help":
		if len(rest) > 0 {
			return dispatch(ctx, []string{rest[0], "--help"}, stdout, stderr, getenv)
		}
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}

// oneLine keeps multi-error messages (errors.Join) on one line.
func oneLine(err error) string {
	b := []byte(err.Error())
	for i, c := range b {
		if c == '\n' {
			b[i] = ';'
		}
	}
	return string(b)
}
