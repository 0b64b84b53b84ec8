# yeetscale: see README.md. `make test` is the one command that runs every test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X github.com/yeeter/yeetscale/cmd/internal/version.Version=$(VERSION) \
           -X github.com/yeeter/yeetscale/cmd/internal/version.Commit=$(COMMIT) \
           -X github.com/yeeter/yeetscale/cmd/internal/version.Date=$(DATE)

.PHONY: build test bench-sim sweep-sim

# bin/yeetscale and the same command line as the kubectl plugin
# bin/kubectl-yeetscale ('kubectl yeetscale' once it is on PATH).
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/yeetscale ./cmd/yeetscale
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/kubectl-yeetscale ./cmd/kubectl-yeetscale

# BIN and DIST move the build and release outputs (tests use temporary ones).
BIN    ?= bin
DIST   ?= dist
PREFIX ?= /usr/local

# Installs yeetscale, kubectl-yeetscale and its completion helper
# kubectl_complete-yeetscale into $(PREFIX)/bin.
.PHONY: install dist
install: build
	install -d '$(DESTDIR)$(PREFIX)/bin'
	install -m 0755 $(BIN)/yeetscale $(BIN)/kubectl-yeetscale cmd/kubectl-yeetscale/kubectl_complete-yeetscale '$(DESTDIR)$(PREFIX)/bin/'

# Release archives for krew: dist/kubectl-yeetscale_$(VERSION)_OS_ARCH.tar.gz
# (kubectl-yeetscale, kubectl_complete-yeetscale, README.md), each with its
# .sha256, and dist/yeetscale.yaml, the krew manifest rendered with them.
# Needs a semantic version: make dist VERSION=v0.1.0
# dist-archives builds the archives of DIST_PLATFORMS only; dist-manifest
# renders the manifest from the .sha256 files in DIST (the test of make dist
# builds one platform and renders with stand-in sums for the others).
DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
RELEASE_URL    ?= https://github.com/yeeter/yeetscale/releases/download/$(VERSION)
RENDER_MANIFEST = sh cmd/kubectl-yeetscale/render-manifest.sh '$(VERSION)' '$(RELEASE_URL)' '$(DIST)'
.PHONY: dist-archives dist-manifest
dist: dist-archives
	$(RENDER_MANIFEST)
dist-manifest:
	$(RENDER_MANIFEST)
dist-archives:
	@printf '%s\n' '$(VERSION)' | grep -Eq '^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$$' || \
		{ echo "make dist: VERSION '$(VERSION)' is not vX.Y.Z, which krew needs: make dist VERSION=v0.1.0" >&2; exit 2; }
	rm -rf '$(DIST)'
	mkdir -p '$(DIST)'
	set -e; for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; name=kubectl-yeetscale_$(VERSION)_$${os}_$${arch}; \
		echo "make dist: building $$name"; \
		mkdir -p $(DIST)/$$name; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/$$name/kubectl-yeetscale ./cmd/kubectl-yeetscale; \
		cp README.md cmd/kubectl-yeetscale/kubectl_complete-yeetscale $(DIST)/$$name/; \
		tar -C $(DIST)/$$name --owner=0 --group=0 --numeric-owner --sort=name -czf $(DIST)/$$name.tar.gz kubectl-yeetscale kubectl_complete-yeetscale README.md; \
		(cd '$(DIST)' && sha256sum $$name.tar.gz >$$name.tar.gz.sha256); \
		rm -rf $(DIST)/$$name; \
	done

# Every test: unit, golden, fuzz seed corpora and the integration tests that
# start a real RabbitMQ and a real kube-apiserver (built on first use).
# go vet checks every package and its tests with all analyzers, so go test
# does not repeat its own subset (-vet=off). go test prints a package's
# result when it and every package listed before it are done. -p 4: the
# integration packages mostly wait on their servers, so four run at once
# (go test's default is one per core); cmd/internal/cli, the longest, is
# listed first and so starts first.
# A first run builds the Kubernetes tools: kube/kubetest/prebuild starts
# that build in the background first (it needs only the standard library),
# so that it overlaps go vet's compilation of the dependencies; the tests
# wait for it under the tools' file lock. It is stopped if make test stops.
test: test-deps
	@tmp=$$(mktemp -d) && trap 'kill $$pre 2>/dev/null; wait; rm -rf "$$tmp"' EXIT && \
	$(GO) build -o "$$tmp/prebuild" ./kube/kubetest/prebuild && { "$$tmp/prebuild" & pre=$$!; } && \
	echo 'make test: go vet ./... (a first run downloads and compiles every dependency: a few minutes)' && \
	$(GO) vet ./... && \
	echo 'make test: go test ./... (a first run also finishes building the Kubernetes tools, about 7 minutes on 2 cores in all, and one release archive)' && \
	$(GO) test -count=1 -vet=off -p 4 -timeout 60m ./...

# Every test under the race detector (slower: about 2.5 minutes warm on 2
# cores); make test runs without it.
.PHONY: test-race
test-race: test-deps
	$(GO) test -race -count=1 -p 4 -timeout 60m ./...

# System packages the integration tests use: RabbitMQ (the harness runs its
# own node from it) and tmux (terminal tests). Installed with apt-get when
# missing and running as root (the harnesses would install them too, but one
# apt-get here avoids two test processes waiting on the package lock).
.PHONY: test-deps
test-deps:
	@missing=""; \
	command -v tmux >/dev/null 2>&1 || missing="$$missing tmux"; \
	[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing="$$missing rabbitmq-server"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "make test needs:$$missing; install them (apt-get install$$missing) or run as root" >&2; exit 1; fi; \
		echo "installing$$missing with apt-get"; \
		apt-get -o DPkg::Lock::Timeout=300 update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q $$missing; \
	fi

bench-sim:
	$(GO) test -run '^$$' -bench BenchmarkSimAllScenarios -benchtime 3x ./engine/sim/

# The default policy's goal against hpa-keda over every pattern (and the
# scenarios in SCENARIOS=dir, if given) at seeds 1-20, file by file;
# POLICY=name scores another policy the same way, FIRST_SEED=21 takes
# seeds 21-40, ONLY=a,b only those files.
sweep-sim:
	YEETSCALE_SCENARIOS=$(if $(SCENARIOS),$(abspath $(SCENARIOS))) YEETSCALE_SWEEP_POLICY=$(POLICY) YEETSCALE_SWEEP_FIRST_SEED=$(FIRST_SEED) YEETSCALE_SWEEP_ONLY=$(ONLY) $(GO) test -run '^$$' -bench BenchmarkGoalSweep -benchtime 1x -v ./engine/sim/

# The local lab on loopback: RabbitMQ, etcd + kube-apiserver +
# kube-controller-manager + kwok, the yeeter/yeeter-worker Deployment and
# simulated workers (one consumer per ready pod). Prints the kubeconfig, the
# management URL, credentials and yeetscale command lines; Ctrl-C stops it.
# LAB_FLAGS: e.g. --work-seconds 500ms --publish 10000.
.PHONY: lab
lab: build
	$(GO) build -o $(BIN)/yeetscale-lab ./cmd/yeetscale-lab
	$(BIN)/yeetscale-lab --yeetscale $(abspath $(BIN))/yeetscale $(LAB_FLAGS)

# The headless controller on the real broker and apiserver: latency from the
# management API first reporting a burst to the accepted scale update (goal:
# one 1s poll + 100 ms), CPU time and peak RSS of --auto over one minute.
.PHONY: bench-e2e
bench-e2e:
	$(GO) test -count=1 -timeout 15m -run '^$$' -bench '^BenchmarkE2E(WakeFromZero)?$$' -benchtime 1x ./cmd/internal/cli/

# The fleet mode at scale: the headless --auto --fleet over 1,000 annotated
# Deployments on the real apiserver and 1,000 queues on the real broker,
# polled every 15 s for BENCH_SECONDS (default 120): management requests per
# poll (goal: one per vhost per 500 queues), mean time of one poll over every
# target (< 1 s), CPU % of one core (< 5%), peak RSS (< 150 MB), burst to
# scale update (within one poll + 100 ms), and KEDA's requests for the same
# estate. The last line is machine-readable (fleet: key=value ...).
.PHONY: bench-fleet
bench-fleet:
	@out=$$(mktemp); \
	BENCH_SECONDS=$${BENCH_SECONDS:-120} $(GO) test -count=1 -timeout 30m -run '^$$' -bench '^BenchmarkFleet$$' -benchtime 1x ./cmd/internal/cli/ >$$out 2>&1; st=$$?; \
	grep -v '^fleet: ' $$out; grep '^fleet: ' $$out | tail -n 1; rm -f $$out; exit $$st

# The console's speed: View() and snapshot benchmarks at 160x48, then the demo
# in a real terminal (tmux) for BENCH_SECONDS (default 60; 600 for the full
# ten minutes): CPU % of one core and peak RSS (goals: < 2%, < 40 MB).
.PHONY: bench-console
bench-console:
	$(GO) test -run '^$$' -bench 'BenchmarkView|BenchmarkApplySnapshot' -benchmem ./tui/
	BENCH_SECONDS=$${BENCH_SECONDS:-60} $(GO) test -count=1 -timeout 30m -run '^$$' -bench '^BenchmarkDemo(Fleet)?Resources$$' -benchtime 1x ./cmd/internal/cli/ | grep -E '^demo (--fleet )?console|^(ok|FAIL|---)'

# Scale-in that spares busy workers (issue #15): the same burst and drain
# on the real broker and cluster, scaled from 10 to 5 while 5 workers hold
# a long message, with and without pod choice. The last line is
# machine-readable.
.PHONY: bench-scalein
bench-scalein:
	@out=$$($(GO) test -count=1 -timeout 15m -run '^$$' -bench '^BenchmarkScaleIn$$' -benchtime 1x ./cmd/internal/cli/ 2>&1); status=$$?; \
	printf '%s\n' "$$out" | grep -v '^scalein:'; \
	printf '%s\n' "$$out" | grep '^scalein:' | tail -1; \
	exit $$status

# Real KEDA v2.21.0 and the real HPA against yeetscale --auto, the same world
# twice on the same lab (RabbitMQ, kwok pods, simulated workers): the guide's
# burst, a spike train and a steady noisy load, shortened to about two minutes
# each; per run drain, p50/p95 wait, pod-seconds, scale events, reversals, the
# ratios and the simulator's hpa-keda-default / hpa-keda models; last lines
# `vs-keda: ...`. The first run builds KEDA (about 10 minutes, cached in
# ~/.cache/yeetscale/keda-v2.21.0). Needs root: the metrics adapter runs in a
# network namespace of its own (10.250.0.0/30). SCENARIO=burst (or
# burst,spike-train; names: burst, spike-train, steady-noisy) runs only those,
# OUT=dir keeps the CSV timelines (default $TMPDIR/yeetscale-vs-keda), PLOT=1
# draws them. Pods become Ready 5 s after they are asked for, in both runs.
.PHONY: bench-vs-keda
bench-vs-keda:
	@rc=$$(mktemp); \
	{ VSKEDA_PLOT=$(PLOT) VSKEDA_SCENARIOS='$(or $(SCENARIO),$(VSKEDA_SCENARIOS))' VSKEDA_OUT='$(or $(OUT),$(VSKEDA_OUT))' $(GO) test -count=1 -timeout 90m -run '^$$' -bench '^BenchmarkVsKEDA$$' -benchtime 1x ./cmd/internal/cli/ 2>&1; echo $$? >$$rc; } | \
		grep -Ev '^(goos|goarch|pkg|cpu|PASS|ok |BenchmarkVsKEDA)'; \
	code=$$(cat $$rc); rm -f $$rc; exit $$code
