# avisa: the two commands that matter are `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed-$(shell sha256sum requirements-dev.txt | cut -c1-12)
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell sha256sum requirements-checkov.txt | cut -c1-12)
REGION := eu-west-1

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0

.PHONY: demo test venv browser check-template lint local-up sam-build schemas bench bench-init size requests scale measure-build rejected fuzz clean vendor-leaflet

## demo: the whole pipeline on a throw-away local AWS (moto), with a short report
demo: venv
	cargo run --quiet --locked -p avisa-cli -- demo

## test: formatting, clippy, unit + end-to-end tests (against moto, each call checked against the
## template's roles), the grants no call used, template checks, the HTTP API document validated
# A fresh clone builds everything once: incremental compilation's caches would only cost time.
test: export CARGO_INCREMENTAL ?= 0
test: venv browser lint
	rm -rf target/avisa-calls
	# the function binaries, which the every-sample test runs over a Lambda Runtime API (built with
	# the tests' features, so nextest reuses every artifact), and the avisa CLI
	cargo build --workspace --bins --tests --locked
	cargo nextest run --workspace --locked --no-fail-fast
	$${CARGO_TARGET_DIR:-target}/debug/avisa grants
	$(MAKE) --no-print-directory check-template
	openapi-spec-validator events/schema/http-api.openapi.yaml

## vendor-leaflet: fetches Leaflet from npm again into the console's static files, checking its digest
LEAFLET_VERSION := 1.9.4
LEAFLET_SHA256 := 84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77
vendor-leaflet:
	d=$$(mktemp -d) && cd $$d && npm pack --silent leaflet@$(LEAFLET_VERSION) >/dev/null \
	  && echo "$(LEAFLET_SHA256)  leaflet-$(LEAFLET_VERSION).tgz" | sha256sum -c - && tar xzf leaflet-$(LEAFLET_VERSION).tgz \
	  && cp package/dist/leaflet.js package/dist/leaflet.css $(CURDIR)/functions/staff-console/static/vendor/ \
	  && cp package/LICENSE $(CURDIR)/functions/staff-console/static/vendor/LEAFLET-LICENSE

## browser: Debian's Chromium and ChromeDriver, which the staff console's tests drive (installed once)
browser:
	@if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	fi

## venv: the pinned Python dev tools (moto, cfn-lint, sam, cargo-lambda, openapi-spec-validator) in a git-ignored venv
venv: $(STAMP)

$(STAMP): requirements-dev.txt
	rm -f $(VENV)/.installed-*
	test -x $(VENV)/bin/pip || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# checkov in a venv of its own inside .venv (its pins conflict with moto's and sam's)
$(CHECKOV_STAMP): requirements-checkov.txt
	rm -f $(CHECKOV_VENV)/.installed-*
	test -x $(CHECKOV_VENV)/bin/pip || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

## check-template: cfn-lint, sam validate, and checkov on the template as SAM translates it for
## CloudFormation; a check may be skipped only in the template, with a written justification
check-template: venv $(CHECKOV_STAMP)
	cfn-lint infra/template.yaml
	sam validate --lint --region $(REGION) --template-file infra/template.yaml
	$(VENV)/bin/python infra/sam_to_cfn.py infra/template.yaml target/template.cfn.json
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --file target/template.cfn.json

## schemas: regenerate events/schema/v1 (the billing-event JSON Schemas) from the Rust types
schemas:
	UPDATE_SCHEMAS=1 cargo test --quiet --locked -p avisa-domain --lib billing::schema

## fuzz: every parser of untrusted input under cargo-fuzz, FUZZ_SECONDS (30) each; fails on a crash.
## cargo-fuzz is installed into .tools the first time; the stable toolchain runs it with RUSTC_BOOTSTRAP.
TOOLS := $(CURDIR)/.tools
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := billing_event queue_job ses_event whatsapp_webhook http_body tenant_settings

fuzz: $(TOOLS)/bin/cargo-fuzz
	@for target in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$target for $(FUZZ_SECONDS) s"; \
	  mkdir -p target/fuzz-corpus/$$target; \
	  RUSTC_BOOTSTRAP=1 $(TOOLS)/bin/cargo-fuzz run --fuzz-dir fuzz/libfuzzer --sanitizer none $$target \
	    target/fuzz-corpus/$$target fuzz/corpus/$$target $$(ls -d fuzz/regressions/$$target 2>/dev/null) \
	    -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 || exit 1; \
	done

$(TOOLS)/bin/cargo-fuzz:
	cargo install --locked --root $(TOOLS) cargo-fuzz --version $(CARGO_FUZZ_VERSION)

## bench: per core, with in-memory ports: billing events ingested, deliveries dispatched, notices composed (per second);
## a billing run previewed (invoices per minute, and peak memory as the file grows)
bench:
	cargo bench --locked -p avisa-domain --features fakes --bench ingest
	cargo bench --locked -p avisa-domain --features fakes --bench dispatch
	cargo bench --locked -p avisa-templates --bench compose
	cargo bench --locked -p avisa-templates --bench billing_run_preview

# The function binaries as Lambda runs them, with their symbols (profile `measure`), once for the two below.
MEASURE_DIR := $${CARGO_TARGET_DIR:-target}/measure
FUNCTIONS := billing-ingest notice-composer notice-dispatcher delivery-feedback chat-webhook chat-timers chat-desk \
  outage-scheduler print-batch info-feeds staff-console
measure-build:
	cargo build --locked --profile measure $(foreach f,$(FUNCTIONS) bare-lambda,-p $(f))

## bench-init: each function's cold start (exec → first poll of a local Runtime API) next to a bare
## lambda_runtime binary's, alternating, 15 runs each: median and ratio
bench-init: measure-build
	cargo run --quiet --locked -p avisa-local --bin init-bench -- $(MEASURE_DIR) 15

## size: each function's release binary, stripped and zipped, and the crates that weigh most;
## ARM=1 also builds arm64 with `cargo lambda build --arm64` (needs zig) and sizes those
size: measure-build
	python3 tests/bench/size.py $(MEASURE_DIR) $(FUNCTIONS)
	@if [ "$(ARM)" = 1 ]; then PATH=$(CURDIR)/$(VENV)/bin:$$PATH cargo lambda build --release --arm64 --locked \
	  && python3 tests/bench/size.py $${CARGO_TARGET_DIR:-target}/lambda; fi

## requests: a billing run of 100 invoices through the local stack, with the proxy counting AWS requests
## per email notice by function, service and operation, and the implied cost per 1,000 notices
requests: venv
	cargo run --quiet --locked -p avisa-local --bin request-report -- 100

## scale: an outage alert to SCALE_POINTS (2,000) supply points, then an announcement to a file of
## SCALE_BULK (2,000) contracts, through the local stack's real functions: wall time, invocations
## (the longest, the most records), AWS requests per message, peak memory, and that everyone was
## told exactly once by each (make test runs it for 2,000 and 1,000; moto takes one call at a time,
## so 20,000 supply points take over an hour)
SCALE_POINTS ?= 2000
SCALE_SMS_RATE ?= 1000
SCALE_BULK ?= 2000
scale: venv
	cargo run --quiet --locked -p avisa-local --bin scale-report -- $(SCALE_POINTS) $(SCALE_SMS_RATE) $(SCALE_BULK)

## local-up: local AWS on 127.0.0.1:5055, provisioned from the template, for cargo lambda (Ctrl-C stops it)
local-up: venv
	cargo run --quiet --locked -p avisa-cli -- local-up --port 5055

## sam-build: release arm64 binaries for every function, as `sam deploy` ships them
sam-build: venv
	sam build --template-file infra/template.yaml --build-dir .aws-sam/build

clean:
	cargo clean
	rm -rf $(VENV) .aws-sam
