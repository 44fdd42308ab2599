// Command ninja-release builds, signs, attests and policy-checks the
// hft-ninja engine image. Each subcommand binds flags and calls the build/
// libraries; exit codes are decided here only.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the release or a check failed, or a policy denied
	exitUsage  = 2 // bad flags or arguments
)

type usageError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	var verbose bool
	root := &cobra.Command{
		Use:           "ninja-release",
		Short:         "Build, sign, attest and policy-check the hft-ninja engine image",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "debug logging")
	logger := func() *slog.Logger {
		lvl := slog.LevelInfo
		if verbose {
			lvl = slog.LevelDebug
		}
		l := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
		// ko and go-containerregistry log through the standard logger
		// (git state, per-platform progress); keep that for -v.
		log.SetFlags(0)
		log.SetOutput(&lineLogger{l: l})
		return l
	}
	root.AddCommand(releaseCmd(logger), verifyCmd(logger), serveCmd(logger))
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "ninja-release: "+oneLine(err))
	// Policy denials (verify.ErrDenied) and failures share exit 1; the
	// message tells them apart.
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "accepts ") {
		return exitUsage
	}
	return exitFailed
}

// oneLine keeps library errors (some span lines) to the one-line contract.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// lineLogger forwards standard-library log lines to slog at debug level.
type lineLogger struct{ l *slog.Logger }

func (w *lineLogger) Write(p []byte) (int, error) {
	if msg := strings.TrimSpace(string(p)); msg != "" {
		w.l.Debug(msg, "from", "ko")
	}
	return len(p), nil
}
