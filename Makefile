# hft-ninja: engine + supply-chain release pipeline.
#
#   make release   full local release (offline, embedded defaults)
#   make test      every test: unit, race, offline validation, end-to-end
#
# Pinned tools are built into bin/ from the Go module proxy.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
export GOFLAGS := -buildvcs=false

COSIGN_VERSION      := v2.6.5
STATICCHECK_VERSION := v0.8.2
ACTIONLINT_VERSION  := v1.7.12
GORELEASER_VERSION  := v2.17.0
GOVULNCHECK_VERSION := v1.9.0

.PHONY: all release test unit e2e lint vet fmt-check staticcheck bench tools clean \
        bin/ninja-release bin/hft-ninja actionlint goreleaser-check goreleaser-snapshot \
        validate deploy-verify k8s-pin fuzz replay

all: bin/ninja-release bin/hft-ninja

## release: the main job — build, push, sign, attest and policy-check a release locally
release: bin/ninja-release
	$(BIN)/ninja-release release $(RELEASE_FLAGS)

## test: everything CI runs
test: lint unit e2e

bin/ninja-release:
	$(GO) build -trimpath -o $@ ./cmd/ninja-release

bin/hft-ninja:
	CGO_ENABLED=0 $(GO) build -trimpath -o $@ ./cmd/hft-ninja

## unit: unit tests (in-memory registries, fakes, real fixtures). The engine
## is concurrent and latency-critical: race detector on. The pipeline packages
## link cosign, ko, syft and policy-controller; a second, race-instrumented
## build of those would double CI time for sequential code, so CI's
## ci.yml runs them with -race instead.
unit: bin/ninja-release bin/cosign bin/actionlint bin/goreleaser
	$(GO) test -race -count=1 ./engine/... ./cmd/hft-ninja/...
	$(GO) test -count=1 $$($(GO) list ./... | grep -v -e '/engine' -e '/cmd/hft-ninja')

## e2e: the release against a real registry process, checked by independent clients
e2e: bin/ninja-release bin/cosign
	NINJA_RELEASE=$(BIN)/ninja-release COSIGN=$(BIN)/cosign \
	  $(GO) test -tags e2e -count=1 -timeout 30m -v ./test/e2e/...

lint: fmt-check vet staticcheck actionlint goreleaser-check

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^vendor/')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/e2e/...

staticcheck: bin/staticcheck
	$(BIN)/staticcheck ./...

## bench: benchmark report (engine hot paths)
bench:
	@mkdir -p dist
	$(GO) test -run '^$$' -bench . -benchmem ./engine/... | tee dist/bench.txt

## fuzz: a short fuzz pass over the engine's parsers (real samples as seeds)
fuzz:
	for t in "decode FuzzDecoders" "replay FuzzReader" "replay FuzzFastPathMatchesJSON" "txparse FuzzParse$$" "txparse FuzzParseNotification" "config FuzzParse$$" "amm FuzzSwapExactIn"; do \
	  set -- $$t; $(GO) test ./engine/$$1 -run '^$$' -fuzz "$$2" -fuzztime 20s || exit 1; done

## replay: replay the shipped real-data recording through the engine
replay: bin/hft-ninja
	bin/hft-ninja replay --config engine/testdata/replay/config.yaml engine/testdata/replay/raydium_v4_slot308454032.jsonl

tools: bin/cosign bin/staticcheck bin/actionlint bin/goreleaser

actionlint: bin/actionlint
	$(BIN)/actionlint

goreleaser-check: bin/goreleaser
	$(BIN)/goreleaser check

goreleaser-snapshot: bin/goreleaser
	$(BIN)/goreleaser build --snapshot --clean

## validate: offline checks of workflows, GoReleaser, k8s/, policies/ and deploy-verify
validate: bin/ninja-release bin/cosign bin/actionlint bin/goreleaser
	$(GO) test -count=1 ./deploy/

## deploy-verify: the gate before `kubectl apply -f k8s/production/` (KEY= for the local profile, TAG=, RELEASE_JSON=)
deploy-verify: bin/cosign bin/ninja-release
	hack/deploy-verify.sh $(if $(KEY),--key $(KEY)) $(if $(TAG),--tag $(TAG)) $(if $(RELEASE_JSON),--release $(RELEASE_JSON))

## k8s-pin: DIGEST=sha256:... (the index digest from the release summary)
k8s-pin:
	@[[ "$(DIGEST)" =~ ^sha256:[0-9a-f]{64}$$ ]] || { echo "k8s-pin: set DIGEST=sha256:<64 hex>" >&2; exit 2; }
	sed -i -E 's#(image: ghcr.io/hft-ninja/hft-ninja)@sha256:[0-9a-f]{64}#\1@$(DIGEST)#' k8s/production/30-deployment.yaml

bin/cosign:
	GOBIN=$(BIN) $(GO) install github.com/sigstore/cosign/v2/cmd/cosign@$(COSIGN_VERSION)

bin/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

bin/actionlint:
	GOBIN=$(BIN) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

bin/goreleaser:
	GOBIN=$(BIN) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

clean:
	rm -rf bin dist .release
