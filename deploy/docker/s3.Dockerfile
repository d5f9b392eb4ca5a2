# The object store for a Docker host with no MinIO image: moto's S3 server (pinned in
# pyproject.toml), which speaks the S3 API the services use. It keeps objects in memory, so
# a restart loses them: a stand-in for trying the mesh, never for production (use MinIO or S3).
ARG BASE_IMAGE=python:3.11.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml deploy/docker/pins.py ./
RUN python -m venv /opt/venv \
 && python pins.py "moto[server]" > requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt

FROM ${BASE_IMAGE}
COPY --from=build /opt/venv /opt/venv
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin s3
USER 10001:10001
ENTRYPOINT ["/opt/venv/bin/moto_server", "--host", "0.0.0.0", "--port", "9000"]
