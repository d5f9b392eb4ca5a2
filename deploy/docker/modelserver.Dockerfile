# The KServe v2 inference server for a host without Triton's image: MLServer with Backdrop's
# onnxruntime and OpenVINO runtimes (the ones `make up` runs, deploy/local). Its entry point takes
# tritonserver's own arguments (deploy/local/modelserver.py), so k8s/base/triton.yaml's container
# runs unchanged with this image in place of Triton's.
ARG BASE_IMAGE=python:3.11.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml deploy/docker/pins.py deploy/local/modelserver-requirements.txt ./
RUN python -m venv /opt/venv \
 && python pins.py "tritonclient[grpc]" >> modelserver-requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r modelserver-requirements.txt

FROM ${BASE_IMAGE}
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY deploy/__init__.py deploy/
COPY deploy/local/__init__.py deploy/local/modelserver.py deploy/local/mlserver_onnx.py deploy/local/mlserver_openvino.py deploy/local/
RUN useradd --system --uid 1000 --no-create-home --shell /usr/sbin/nologin modelserver
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 1000:1000
ENTRYPOINT ["python", "-m", "deploy.local.modelserver"]
