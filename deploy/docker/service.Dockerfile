# One image for every Backdrop service (gateway, auth, billing, orchestrator, inference) and the
# db-roles Job; the container's args pick the module (k8s/base sets them).
#   make images            (deploy/docker/images.py: builds a local base when no registry answers)
#   docker build -f deploy/docker/service.Dockerfile -t backdrop/service:0.1.0 .
# BASE_IMAGE: any Debian bookworm image with Python 3.11 (the pinned official one by default).
# EXTRAS: pyproject.toml extras to add, e.g. --build-arg EXTRAS=training for the GPU training
# workers (torch; k8s/components/gpu-training), tagged apart from the CPU image.
ARG BASE_IMAGE=python:3.11.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# npm pack fetches Swagger UI's files for /docs (gateway/web/docs.py); build stage only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm=9.2.0~ds1-1 \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change.
# xds-protos ships an older opentelemetry/proto than the OTLP exporter needs (Makefile: install).
COPY pyproject.toml ./
COPY deploy/docker/pins.py /tmp/
ARG EXTRAS=""
# EXTRAS is a space-separated word list on purpose.
# hadolint ignore=SC2086
RUN python /tmp/pins.py --dependencies $EXTRAS > requirements.txt \
 && pip install -r requirements.txt \
 && pip install --no-deps --force-reinstall "opentelemetry-proto==$(python -c 'import importlib.metadata as m; print(m.version("opentelemetry-proto"))')"
COPY README.md ./
COPY protos/gen protos/gen
COPY services services
COPY gateway gateway
COPY deploy deploy
RUN pip install --no-deps . \
 && python -m gateway.web.docs

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin backdrop
COPY --from=build /opt/venv /opt/venv
# The gateway reads files beside its code, as in a checkout: the OpenAPI documents
# (protos/gen/openapi), Swagger UI (build/swagger-ui) and the web app (gateway/web/static).
WORKDIR /app
COPY --from=build /src/protos/gen protos/gen
COPY --from=build /src/build/swagger-ui build/swagger-ui
COPY --from=build /src/services services
COPY --from=build /src/gateway gateway
COPY --from=build /src/deploy deploy
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GRPC_LISTEN_ADDRESS=0.0.0.0
USER 10001:10001
ENTRYPOINT ["python", "-m"]
CMD ["gateway.server"]
