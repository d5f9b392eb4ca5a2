"""Render deploy/envoy/envoy.yaml.tmpl: the one Envoy config source.

`make up`, the test fixtures and the k8s ConfigMap all render this template;
only the values differ, and they come from the environment.
"""

from __future__ import annotations

import json
import os
import pathlib
import string
import sys

TEMPLATE = pathlib.Path(__file__).with_name("envoy.yaml.tmpl")
REPO = pathlib.Path(__file__).resolve().parents[2]

DEFAULTS = {
    "ENVOY_LISTEN_ADDRESS": "127.0.0.1",
    "BACKDROP_HTTP_PORT": "8080",
    "ENVOY_ADMIN_PORT": "9901",
    "GATEWAY_HOST": "127.0.0.1",
    "GATEWAY_PORT": "50051",
    "GATEWAY_WS_PORT": "50061",
    "AUTH_HOST": "127.0.0.1",
    "AUTH_PORT": "50054",
    "BILLING_HOST": "127.0.0.1",
    "BILLING_PORT": "50055",
    "DESCRIPTOR_SET": str(REPO / "protos" / "gen" / "backdrop.binpb"),
    # 50 MB image + multipart framing.
    "MAX_BODY_BYTES": str(52 * 1024 * 1024),
    "CORS_ORIGINS": "*",
}


# What differs in a pod: listen on all interfaces, reach the gateway Service,
# read the descriptor set from the ConfigMap mounted beside the config.
K8S = {
    "ENVOY_LISTEN_ADDRESS": "0.0.0.0",
    "GATEWAY_HOST": "gateway",
    "AUTH_HOST": "auth",
    "BILLING_HOST": "billing",
    "DESCRIPTOR_SET": "/etc/envoy/backdrop.binpb",
}
K8S_DIR = REPO / "k8s" / "base" / "envoy"


def cors_matchers(origins: str) -> str:
    """CORS_ORIGINS (seed 002: '*' or a comma-separated list) as Envoy string matchers."""
    items = [o.strip() for o in origins.split(",") if o.strip()]
    if not items or "*" in items:
        return json.dumps([{"safe_regex": {"regex": ".*"}}])
    return json.dumps([{"exact": o} for o in items])


def render(env: dict[str, str] | None = None) -> str:
    values = {**DEFAULTS, **{k: v for k, v in (os.environ if env is None else env).items() if k in DEFAULTS}}
    values["CORS_ORIGIN_MATCHERS"] = cors_matchers(values.pop("CORS_ORIGINS"))
    return string.Template(TEMPLATE.read_text()).substitute(values)


def k8s_files() -> dict[str, bytes]:
    """The ConfigMap's files: this template rendered for a pod, and the descriptor set."""
    return {
        "envoy.yaml": render({**DEFAULTS, **K8S}).encode(),
        "backdrop.binpb": pathlib.Path(DEFAULTS["DESCRIPTOR_SET"]).read_bytes(),
    }


def write_k8s() -> None:
    K8S_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in k8s_files().items():
        (K8S_DIR / name).write_bytes(data)


if __name__ == "__main__":
    if sys.argv[1:] == ["--k8s"]:
        write_k8s()
        print(f"wrote {K8S_DIR.relative_to(REPO)}/envoy.yaml and backdrop.binpb")
    else:
        sys.stdout.write(render())
