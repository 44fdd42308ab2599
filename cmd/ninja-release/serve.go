package main

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hft-ninja/hft-ninja/build/localreg"
)

func serveCmd(logger func() *slog.Logger) *cobra.Command {
	var state, addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the local profile's embedded registry (with every release pushed so far) until interrupted",
		Long: `serve lets the stock cosign, skopeo or crane inspect and verify a local
release after ninja-release has exited, e.g.

  cosign verify --key .release/cosign.pub --insecure-ignore-tlog \
      "$(jq -r .reference dist/release/release.json)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var reg *localreg.Registry
			var err error
			if addr != "" {
				reg, err = localreg.Start(ctx, filepath.Join(state, "registry"), localreg.WithAddr(addr), localreg.WithLogger(logger()))
			} else {
				var at string
				reg, at, err = startEmbedded(ctx, state, logger())
				if err == nil && reg == nil {
					return fmt.Errorf("%s is already served on %s", filepath.Join(state, "registry"), at)
				}
			}
			if err != nil {
				return err
			}
			defer reg.Close()
			fmt.Printf("serving %s on http://%s (Ctrl-C to stop)\n", filepath.Join(state, "registry"), reg.Addr())
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&state, "state", ".release", "state folder")
	cmd.Flags().StringVar(&addr, "addr", "", "listen address (default: the address of the last release)")
	return cmd
}
