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

.PHONY: all release test unit e2e lint vet fmt-check staticcheck bench tools clean \
        bin/ninja-release bin/hft-ninja

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

## unit: unit tests with the race detector (in-memory registries, fakes, real fixtures)
unit:
	$(GO) test -race -count=1 ./...

## e2e: the release against a real registry process, checked by independent clients
e2e: bin/ninja-release bin/cosign
	NINJA_RELEASE=$(BIN)/ninja-release COSIGN=$(BIN)/cosign \
	  $(GO) test -tags e2e -count=1 -timeout 30m -v ./test/e2e/...

lint: fmt-check vet staticcheck

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
	$(GO) test -run '^$$' -bench . -benchmem ./engine/... | tee bench.txt

tools: bin/cosign bin/staticcheck

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
