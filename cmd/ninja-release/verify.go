package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/hft-ninja/hft-ninja/build/keys"
	"github.com/hft-ninja/hft-ninja/build/provenance"
	"github.com/hft-ninja/hft-ninja/build/report"
	"github.com/hft-ninja/hft-ninja/build/verify"
)

type verifyOptions struct {
	policies   string
	key        string
	release    string
	baseDigest string
	builderID  string
	sourceRepo string
}

func verifyCmd(_ func() *slog.Logger) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify IMAGE@sha256:DIGEST...",
		Short: "Evaluate the ClusterImagePolicy documents against pushed digests, as policy-controller's admission webhook does",
		Long: `verify prints pass, deny or skip per policy and image, with the reason, and
exits 1 if any policy denies or none covers an image. Tags are refused: an
admission decision must be about content, not a name that can move.

Policy templates ({{ .ReleaseKey }}, {{ .BaseDigestHex }}…) are filled from
--key and the release record (--release).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("verify needs at least one IMAGE@sha256:DIGEST")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.policies, "policies", "policies/local", "ClusterImagePolicy folder")
	f.StringVar(&o.key, "key", ".release/cosign.pub", "release public key, for policies that template {{ .ReleaseKey }}")
	f.StringVar(&o.release, "release", "dist/release/release.json", "release record giving the verified base digest and builder")
	f.StringVar(&o.baseDigest, "base-digest", "", "expected base image digest (default: from --release)")
	f.StringVar(&o.builderID, "builder-id", localBuilderID, "expected provenance builder id")
	f.StringVar(&o.sourceRepo, "source-repository", defaultSourceRepo, "expected source repository")
	return cmd
}

func (o *verifyOptions) run(ctx context.Context, args []string) error {
	var digests []name.Digest
	for _, a := range args {
		d, err := name.NewDigest(a)
		if err != nil {
			return usageError{fmt.Errorf("%q is not IMAGE@sha256:DIGEST; policies are checked against digests, never tags", a)}
		}
		digests = append(digests, d)
	}
	vars := PolicyVars{
		Repository:       digests[0].Context().Name(),
		SourceRepository: o.sourceRepo,
		BuilderID:        o.builderID,
		BuildType:        provenance.BuildType,
		BaseDigestHex:    strings.TrimPrefix(o.baseDigest, "sha256:"),
	}
	// The key is required: a placeholder would turn a missing file into
	// confusing signature errors.
	b, err := os.ReadFile(o.key)
	if err != nil {
		return fmt.Errorf("reading release public key (--key): %w", err)
	}
	if _, _, err := keys.LoadVerifier(o.key); err != nil {
		return err
	}
	vars.ReleaseKey = string(b)
	if vars.BaseDigestHex == "" {
		rel, err := report.Read(o.release)
		if err != nil {
			return fmt.Errorf("%w (or pass --base-digest)", err)
		}
		_, hex, ok := strings.Cut(rel.Base.Digest, "@sha256:")
		if !ok {
			return fmt.Errorf("release record %s names no base image digest (or pass --base-digest)", o.release)
		}
		vars.BaseDigestHex = hex
	}
	if err := vars.validate(); err != nil {
		return usageError{err}
	}
	ps, err := verify.Load(ctx, o.policies, vars)
	if err != nil {
		return err
	}
	// An unreachable registry is not a policy verdict.
	for _, d := range digests {
		if err := checkRegistry(ctx, d.Context()); err != nil {
			return fmt.Errorf("%w (for the local profile, run `ninja-release serve` first)", err)
		}
	}
	ev := verify.New(ps, nil)
	var denied error
	for _, d := range digests {
		vs, err := ev.Evaluate(ctx, d)
		for _, v := range vs {
			fmt.Printf("%-4s  %-28s %s  %s  (%s)\n", strings.ToUpper(v.Verdict), v.Policy, d.DigestStr()[:19], v.Reason, filepath.Base(v.File))
		}
		if err != nil {
			denied = errors.Join(denied, fmt.Errorf("%s: %w", d.DigestStr()[:19], err))
		}
	}
	return denied
}
