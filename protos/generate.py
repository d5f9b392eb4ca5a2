"""Generate the Python stubs and Envoy's descriptor set from protos/backdrop.

Run through `make protos`; the output under protos/gen is build output that is
committed so services import it without a build step, and CI regenerates it and
fails on any difference (`make check-protos`).
"""

from __future__ import annotations

import pathlib
import shutil
import sys

import grpc_tools
from grpc_tools import protoc

PROTOS = pathlib.Path(__file__).resolve().parent
GEN = PROTOS / "gen"
PYTHON_OUT = GEN / "python"
DESCRIPTOR_SET = GEN / "backdrop.binpb"


def _include_dirs() -> list[str]:
    """google/protobuf from grpc_tools, google/api from googleapis-common-protos."""
    import google.api  # googleapis-common-protos ships the .proto sources

    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    googleapis = pathlib.Path(google.api.__path__[0]).parent.parent
    return [str(PROTOS), str(well_known), str(googleapis)]


def main() -> int:
    sources = sorted(str(p.relative_to(PROTOS)) for p in (PROTOS / "backdrop").rglob("*.proto"))
    shutil.rmtree(GEN, ignore_errors=True)
    PYTHON_OUT.mkdir(parents=True)
    includes = [f"-I{d}" for d in _include_dirs()]
    args = [
        "protoc",
        *includes,
        f"--python_out={PYTHON_OUT}",
        f"--pyi_out={PYTHON_OUT}",
        f"--grpc_python_out={PYTHON_OUT}",
        "--include_imports",
        "--include_source_info",
        f"--descriptor_set_out={DESCRIPTOR_SET}",
        *sources,
    ]
    if protoc.main(args) != 0:
        return 1
    for package in PYTHON_OUT.rglob("*"):
        if package.is_dir():
            (package / "__init__.py").touch()
    print(f"generated {len(sources)} protos into {GEN.relative_to(PROTOS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
