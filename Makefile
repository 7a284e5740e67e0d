# Tovholder: `make run` starts the daemon on its demo defaults; `make test` runs every test.
SWIFT      ?= swift
PREFIX     ?= /usr/local
SCALE      ?= 10k
STATE      ?= $(CURDIR)/state
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: deps build release run test bench bench-growth check-config install clean

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## Start tovholderd in the foreground on ./state with the shipped rulebook and a few demo citizens.
run: build
	@echo "tovholderd: state in $(STATE). In another terminal:"
	@echo "  export PATH=$(CURDIR)/.build/debug:\$$PATH TOVHOLDER_SOCKET=$(STATE)/control.sock"
	@echo "  tovholderctl status"
	.build/debug/tovholderd --config config/tovholder.toml --state-dir $(STATE) --socket $(STATE)/control.sock --demo

## Every test: unit, engine (real SQLite, test clock) and end-to-end (real binaries, socket, SIGKILL, sd_notify).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

## The benchmark against the real daemon (SCALE=10k|100k|1M); see docs/PERFORMANCE.md.
bench: release
	.build/release/tovholder-bench --scale $(SCALE) --bin-dir .build/release

## Every figure at 10k, 100k and 1M in turn, and how each grows with the citizens (about 13 minutes).
bench-growth: release
	.build/release/tovholder-bench --scale 10k,100k,1M --bin-dir .build/release

check-config: build
	.build/debug/tovholderd --check-config config/tovholder.toml

## Install binaries, example configuration, rulebook and systemd units (as root).
install: release
	PREFIX=$(PREFIX) deploy/install.sh .build/release

clean:
	rm -rf .build state
