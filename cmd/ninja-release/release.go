package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/spf13/cobra"

	"github.com/hft-ninja/hft-ninja/build/attest"
	"github.com/hft-ninja/hft-ninja/build/base"
	"github.com/hft-ninja/hft-ninja/build/image"
	"github.com/hft-ninja/hft-ninja/build/keys"
	"github.com/hft-ninja/hft-ninja/build/localreg"
	"github.com/hft-ninja/hft-ninja/build/pipeline"
	"github.com/hft-ninja/hft-ninja/build/report"
	"github.com/hft-ninja/hft-ninja/build/sbom"
	"github.com/hft-ninja/hft-ninja/build/sign"
	"github.com/hft-ninja/hft-ninja/build/source"
	"github.com/hft-ninja/hft-ninja/build/verify"
)

// Defaults shared by release and verify.
const (
	defaultSourceRepo = "https://github.com/hft-ninja/hft-ninja"
	localBuilderID    = "https://github.com/hft-ninja/hft-ninja/cmd/ninja-release@local"
	imageName         = "hft-ninja"
	standInName       = "hft-ninja-base-standin"
)

type releaseOptions struct {
	profile    string
	repo       string
	key        string
	state      string
	out        string
	policies   string
	dir        string
	importPath string
	sourceRepo string
	tags       []string
	fulcioURL  string
	rekorURL   string
}

func releaseCmd(logger func() *slog.Logger) *cobra.Command {
	o := &releaseOptions{}
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Build, push by digest, sign, attest (SBOM, SLSA v1), policy-check, then tag and record",
		Long: `release builds the engine image with ko for every platform in .ko.yaml on a
verified base image, pushes it by digest, signs the index and each platform
image, attaches SPDX/CycloneDX SBOM and SLSA v1 provenance attestations,
evaluates the ClusterImagePolicy documents of the profile, and only then
writes tags and dist/release/ (release.json, sbom/, provenance.intoto.json,
cosign.pub).

The local profile needs nothing running: it starts an embedded registry in
.release/registry (or reuses one started by "ninja-release serve"), creates
.release/cosign.key (0600, encrypted with $COSIGN_PASSWORD; empty when unset)
and signs an offline stand-in for cgr.dev/chainguard/static with a separate
upstream key, verifying it before the build.

Example:
  COSIGN_PASSWORD=... ninja-release release
  ninja-release serve &      # then check with the stock cosign CLI`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), logger())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "local", "local (offline: embedded registry, stand-in base, key pair) or production (cgr.dev base, keyless signing)")
	f.StringVar(&o.repo, "repo", "", "target repository (default $KO_DOCKER_REPO; local profile: an embedded registry)")
	f.StringVar(&o.key, "key", "", "cosign private key (password in $COSIGN_PASSWORD); local default .release/cosign.key, created if missing; production default: keyless")
	f.StringVar(&o.state, "state", ".release", "state folder (embedded registry, development keys)")
	f.StringVar(&o.out, "out", "dist/release", "output folder for release.json, SBOMs and provenance")
	f.StringVar(&o.policies, "policies", "", "ClusterImagePolicy folder (default policies/<profile>)")
	f.StringVar(&o.dir, "dir", ".", "source tree (module root holding .ko.yaml)")
	f.StringVar(&o.importPath, "import-path", "./cmd/hft-ninja", "main package to build")
	f.StringVar(&o.sourceRepo, "source-repository", "", "source repository URL recorded in provenance (default $GITHUB_SERVER_URL/$GITHUB_REPOSITORY or "+defaultSourceRepo+")")
	f.StringSliceVar(&o.tags, "tag", nil, "tags written after everything passed (default: the git version; none for a dirty tree)")
	f.StringVar(&o.fulcioURL, "fulcio-url", "https://fulcio.sigstore.dev", "Fulcio for keyless signing")
	f.StringVar(&o.rekorURL, "rekor-url", "https://rekor.sigstore.dev", "Rekor for keyless signing")
	return cmd
}

func (o *releaseOptions) run(ctx context.Context, log *slog.Logger) error {
	if o.profile != "local" && o.profile != "production" {
		return usageError{fmt.Errorf("--profile must be local or production, not %q", o.profile)}
	}
	if o.state == "" || o.out == "" {
		return usageError{errors.New("--state and --out must not be empty")}
	}
	src, err := source.Detect(ctx, o.dir)
	if err != nil {
		return err
	}
	if src.Dirty {
		log.Warn("the checkout has uncommitted or untracked files; they are NOT part of this release, which builds commit " + src.Commit)
	}
	// Build from a pristine worktree of the commit: the record names the
	// commit, so nothing else may reach the image.
	wt, cleanup, err := source.Checkout(ctx, o.dir, src.Commit)
	if err != nil {
		return err
	}
	defer cleanup()
	built, err := source.Detect(ctx, wt)
	if err != nil {
		return err
	}
	// The ref is the user's branch or tag; the rest describes what is built.
	built.Ref = src.Ref
	src, o.dir = built, wt
	if o.policies == "" {
		o.policies = filepath.Join(wt, "policies", o.profile)
	}
	// ko reads these: the version for .ko.yaml's ldflags, and commit time
	// for image timestamps, so a commit rebuilds to the same digest.
	// The version always comes from git: .ko.yaml splices it into the
	// ldflags, where a caller's value with spaces would add linker flags.
	if !safeVersion.MatchString(src.Version) {
		return fmt.Errorf("git describe gave an unusable version %q", src.Version)
	}
	_ = os.Setenv("HFT_NINJA_VERSION", src.Version)
	setDefaultEnv("SOURCE_DATE_EPOCH", strconv.FormatInt(src.CommitTime.Unix(), 10))
	setDefaultEnv("KO_DATA_DATE_EPOCH", strconv.FormatInt(src.CommitTime.Unix(), 10))

	platforms, err := image.DefaultPlatforms(o.dir)
	if err != nil {
		return err
	}
	pinnedBase, err := image.DefaultBaseImage(o.dir)
	if err != nil {
		return err
	}

	repoStr := firstNonEmpty(o.repo, os.Getenv("KO_DOCKER_REPO"))
	if repoStr == "" && o.profile == "production" {
		return usageError{errors.New("production releases need --repo or KO_DOCKER_REPO (e.g. ghcr.io/<owner>/hft-ninja)")}
	}
	if repoStr == "" {
		reg, addr, err := startEmbedded(ctx, o.state, log)
		if err != nil {
			return err
		}
		if reg != nil {
			defer reg.Close()
			log.Info("embedded registry", "addr", addr, "state", filepath.Join(o.state, "registry"))
		} else {
			log.Info("using the embedded registry already served (ninja-release serve)", "addr", addr)
		}
		repoStr = addr + "/" + imageName
	}
	repo, err := name.NewRepository(repoStr)
	if err != nil {
		return usageError{fmt.Errorf("repository %q: %w", repoStr, err)}
	}
	if err := checkRegistry(ctx, repo); err != nil {
		return err
	}

	cfg := pipeline.Config{
		Profile:     o.profile,
		Source:      pipeline.Source{Repository: o.sourceRepository(), Ref: firstNonEmpty(os.Getenv("GITHUB_REF"), src.Ref), Commit: src.Commit, Dirty: src.Dirty, Version: src.Version},
		BaseRef:     pinnedBase.String(),
		BuildConfig: map[string]any{"koConfig": ".ko.yaml", "importPath": o.importPath, "platforms": platformStrings(platforms)},
		Out:         o.out,
		Tags:        o.tags,
		Logger:      log,
	}
	if cfg.Tags == nil && !src.Dirty && src.Version != "" {
		cfg.Tags = []string{src.Version}
	}
	cfg.BuilderID, cfg.InvocationID = builderIdentity(o.profile)

	key, pubPath, err := o.signingKey(ctx, &cfg)
	if err != nil {
		return err
	}
	var provider base.Provider
	if o.profile == "local" {
		provider, err = o.localBase(ctx, repo, platforms)
		if err != nil {
			return err
		}
	} else {
		provider = &base.Pinned{Ref: pinnedBase, Verifier: base.ChainguardIdentity()}
	}

	stages := pipeline.Stages{
		Base:     provider,
		Builder:  &image.Ko{Dir: o.dir, ImportPath: o.importPath, Repo: repo.Name()},
		SBOM:     &sbom.Syft{Name: imageName},
		Signer:   sign.New(key),
		Attester: attest.New(key),
		Inspect: func(ctx context.Context, d name.Digest) (sign.Inventory, error) {
			return sign.Inspect(ctx, d)
		},
		Policies: func(ctx context.Context, b base.Image) (pipeline.Evaluator, error) {
			vars, err := policyVars(ctx, key, repo, cfg, b.Digest)
			if err != nil {
				return nil, err
			}
			if err := vars.validate(); err != nil {
				return nil, err
			}
			ps, err := verify.Load(ctx, o.policies, vars)
			if err != nil {
				return nil, err
			}
			return verify.New(ps, nil), nil
		},
	}
	// Load the policies before building: a malformed policy file should
	// fail in a second, not after a five-minute build.
	if _, err := verify.Load(ctx, o.policies, placeholderVars(repo, cfg)); err != nil {
		return err
	}

	rel, err := pipeline.Run(ctx, cfg, stages)
	if errors.Is(err, pipeline.ErrBadTag) {
		return usageError{err}
	}
	if rel != nil {
		report.Summary(os.Stdout, rel)
	}
	if err != nil {
		return err
	}
	if pubPath != "" {
		if err := copyFile(pubPath, filepath.Join(o.out, "cosign.pub")); err != nil {
			return err
		}
	}
	fmt.Printf("\nrecord: %s\n", filepath.Join(o.out, "release.json"))
	return nil
}

// signingKey picks the release key: a key file, the local development key
// (created on first use), or keyless.
func (o *releaseOptions) signingKey(ctx context.Context, cfg *pipeline.Config) (*sign.Key, string, error) {
	password := []byte(os.Getenv("COSIGN_PASSWORD"))
	keyPath := o.key
	if keyPath == "" && o.profile == "production" {
		cfg.Signing = "keyless"
		k, err := sign.NewKeyless(ctx, sign.KeylessOptions{FulcioURL: o.fulcioURL, RekorURL: o.rekorURL})
		return k, "", err
	}
	var pair keys.Pair
	if keyPath == "" {
		pair = keys.InDir(o.state, "cosign")
		created, err := keys.Ensure(ctx, pair, password)
		if err != nil {
			return nil, "", err
		}
		if created {
			fmt.Fprintf(os.Stderr, "created development signing key %s (0600) and %s\n", pair.Private, pair.Public)
		}
	} else {
		pair = keys.Pair{Private: keyPath, Public: strings.TrimSuffix(keyPath, ".key") + ".pub"}
	}
	sv, err := keys.LoadSigner(pair, password)
	if err != nil {
		return nil, "", err
	}
	cfg.Signing = "key"
	// The .pub is what users verify with and what is shipped in dist/;
	// it must be the signer's own key.
	_, pub, err := keys.LoadVerifier(pair.Public)
	if err != nil {
		return nil, "", fmt.Errorf("public key next to the signing key: %w", err)
	}
	own, err := sv.PublicKey()
	if err != nil {
		return nil, "", fmt.Errorf("reading the signing key's public key: %w", err)
	}
	if err := cryptoutils.EqualKeys(own, pub); err != nil {
		return nil, "", fmt.Errorf("%s is not the public key of %s", pair.Public, pair.Private)
	}
	cfg.PublicKey = pair.Public
	return sign.NewStaticKey(sv), pair.Public, nil
}

// localBase prepares the stand-in base and its separate "upstream" key.
func (o *releaseOptions) localBase(ctx context.Context, repo name.Repository, platforms []v1Platform) (base.Provider, error) {
	up := keys.InDir(o.state, "upstream")
	if _, err := keys.Ensure(ctx, up, nil); err != nil {
		return nil, err
	}
	sv, err := keys.LoadSigner(up, nil)
	if err != nil {
		return nil, err
	}
	ver, _, err := keys.LoadVerifier(up.Public)
	if err != nil {
		return nil, err
	}
	return &base.Local{
		Repo:      repo.Registry.Repo(standInName),
		Host:      base.DefaultHostFiles(),
		Platforms: platforms,
		Upstream:  sign.New(sign.NewStaticKey(sv)),
		Verifier:  &base.KeyVerifier{Key: ver},
	}, nil
}

func (o *releaseOptions) sourceRepository() string {
	if o.sourceRepo != "" {
		return o.sourceRepo
	}
	if s, r := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"); s != "" && r != "" {
		return s + "/" + r
	}
	return defaultSourceRepo
}

// builderIdentity names the build platform: the GitHub workflow in CI, this
// CLI on a workstation.
func builderIdentity(profile string) (id, invocation string) {
	server, wf := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_WORKFLOW_REF")
	if profile == "production" && server != "" && wf != "" {
		return server + "/" + wf, fmt.Sprintf("%s/%s/actions/runs/%s/attempts/%s",
			server, os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_RUN_ID"), os.Getenv("GITHUB_RUN_ATTEMPT"))
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return localBuilderID, "urn:uuid:" + hex.EncodeToString(b)
}

var safeVersion = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)

func setDefaultEnv(k, v string) {
	if os.Getenv(k) == "" && v != "" {
		_ = os.Setenv(k, v)
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("copying %s: %w", from, err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		return fmt.Errorf("copying %s: %w", from, err)
	}
	return nil
}

// startEmbedded serves the state folder's registry on the address of the
// last release, so earlier records stay resolvable. If that address is
// already served by `ninja-release serve`, it is used as is (reg is nil).
func startEmbedded(ctx context.Context, state string, log *slog.Logger) (reg *localreg.Registry, addr string, err error) {
	dir := filepath.Join(state, "registry")
	addrFile := filepath.Join(dir, "addr")
	if b, err := os.ReadFile(addrFile); err == nil {
		addr := strings.TrimSpace(string(b))
		if reg, err := localreg.Start(ctx, dir, localreg.WithAddr(addr), localreg.WithLogger(log)); err == nil {
			return reg, reg.Addr(), nil
		}
		if answers(ctx, addr, localreg.ID(dir)) {
			return nil, addr, nil
		}
	}
	reg, err = localreg.Start(ctx, dir, localreg.WithLogger(log))
	if err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(addrFile, []byte(reg.Addr()+"\n"), 0o644); err != nil {
		reg.Close()
		return nil, "", fmt.Errorf("recording registry address: %w", err)
	}
	return reg, reg.Addr(), nil
}

// answers reports whether our own embedded registry (same state folder
// identity) answers on addr; any other process on that port is not trusted.
func answers(ctx context.Context, addr, id string) bool {
	if id == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+localreg.IDPath, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	return err == nil && resp.StatusCode == http.StatusOK && strings.TrimSpace(string(b)) == id
}
