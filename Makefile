# The AWS Lambda front end: build the deployable zip, lint the template,
# measure the cold start. Tools come from PyPI into the project's .venv
# (cargo-lambda, and zig as the cross linker for Amazon Linux 2023's glibc),
# so no Docker is needed. The Rust tests are `cargo test --workspace`.

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

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: lambda lambda-tools lint-template cold-start

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
