# yeetscale: see README.md. `make test` is the one command that runs every test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X github.com/yeeter/yeetscale/cmd/internal/version.Version=$(VERSION) \
           -X github.com/yeeter/yeetscale/cmd/internal/version.Commit=$(COMMIT) \
           -X github.com/yeeter/yeetscale/cmd/internal/version.Date=$(DATE)

.PHONY: build test bench-sim

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/yeetscale ./cmd/yeetscale

# Every test: unit, golden, fuzz seed corpora and the integration tests that
# start a real RabbitMQ and a real kube-apiserver (built on first use).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 60m ./...

bench-sim:
	$(GO) test -run '^$$' -bench BenchmarkSimAllScenarios -benchtime 3x ./engine/sim/
