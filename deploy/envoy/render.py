"""Render deploy/envoy/envoy.yaml.tmpl: the one Envoy config source.

`make up`, the test fixtures and the k8s ConfigMap all render this template;
only the values differ, and they come from the environment.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import re
import string
import sys
import urllib.parse

from services.runtime import aliases, envelopes

TEMPLATE = pathlib.Path(__file__).with_name("envoy.yaml.tmpl")
REPO = pathlib.Path(__file__).resolve().parents[2]

DEFAULTS = {
    "ENVOY_LISTEN_ADDRESS": "127.0.0.1",
    "BACKDROP_HTTP_PORT": "8080",
    "ENVOY_ADMIN_PORT": "9901",
    # Envoy's metrics (the admin's /stats/prometheus only), for Prometheus.
    "ENVOY_STATS_PORT": "9902",
    # An OpenTelemetry collector (OTLP/gRPC, http://host:4317): Envoy's spans go there; unset, no tracing.
    "OTEL_EXPORTER_OTLP_ENDPOINT": "",
    "GATEWAY_HOST": "127.0.0.1",
    "GATEWAY_PORT": "50051",
    "GATEWAY_WS_PORT": "50061",
    "AUTH_HOST": "127.0.0.1",
    "AUTH_PORT": "50054",
    "BILLING_HOST": "127.0.0.1",
    "BILLING_PORT": "50055",
    "DESCRIPTOR_SET": str(REPO / "protos" / "gen" / "backdrop.binpb"),
    # Upload routes: a 50 MB image + multipart framing. Every other route: JSON
    # (the gateway's own caps, e.g. a base64 inpainting mask, fit inside it).
    "MAX_BODY_BYTES": str(52 * 1024 * 1024),
    "MAX_JSON_BODY_BYTES": str(64 * 1024),
    # Seed 000's videos (gateway/video.py): 500 MB + multipart framing, on VIDEO_UPLOAD_PATHS only.
    # The route's RPC is client-streaming HttpBody: Envoy passes the body on as it arrives
    # (the transcoder buffers nothing), the gateway writes it to disk and counts it too.
    "MAX_VIDEO_BODY_BYTES": str(501 * 1024 * 1024),
    "CORS_ORIGINS": "*",
    # Proxies in front of Envoy that append X-Forwarded-For and are trusted to
    # name the client: 0 when clients (or an L4 load balancer that keeps their
    # address) connect directly; 1 behind one L7 proxy or ingress.
    "ENVOY_XFF_TRUSTED_HOPS": "0",
    # The overload manager's heap cap: 3/4 of the k8s pod's memory limit
    # (k8s/base/envoy.yaml, 1Gi), the rest is not heap. Past 90% Envoy shrinks
    # its heap, past 85% it resets the streams buffering most, past 95% it
    # answers 503 and stops accepting connections.
    "ENVOY_MAX_HEAP_BYTES": str(768 * 1024 * 1024),
    "ENVOY_MAX_CONNECTIONS": "5000",
    "ENVOY_MAX_WEBSOCKETS": "1000",
    # Hostnames that serve one dialect at their root, e.g. "lumiku=api.lumiku.example".
    "DIALECT_HOSTS": "",
}


# What differs in a pod: listen on all interfaces, reach the gateway Service,
# read the descriptor set from the ConfigMap mounted beside the config.
K8S = {
    "ENVOY_LISTEN_ADDRESS": "0.0.0.0",
    "GATEWAY_HOST": "gateway",
    "AUTH_HOST": "auth",
    "BILLING_HOST": "billing",
    "DESCRIPTOR_SET": "/etc/envoy/backdrop.binpb",
    # The Service keeps the client's address (externalTrafficPolicy: Local, an L4
    # load balancer). Behind an L7 proxy or ingress, the number of them, then `make k8s`.
    "ENVOY_XFF_TRUSTED_HOPS": "0",
}
K8S_DIR = REPO / "k8s" / "base" / "envoy"
# The proto packages of the public API: the gateway's own, one per dialect
# (services/runtime/envelopes.py), and the web app's and docs' (backdrop.web.v1).
# Every service in them is transcoded (public_services()).
PUBLIC_PACKAGES = ("backdrop.gateway.v1", "backdrop.lumiku.v1", "backdrop.fomi.v1", "backdrop.removebg.v1", "backdrop.web.v1")
# Seed 001's background-remover routes under each of its base URLs (and /v1).
LUMIKU_ROUTES = "/(lumiku/(v1|api)|v1)/background-remover"


def _lua_string(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9/_.:-]*", text):
        raise ValueError(f"{text!r} cannot be written into the Lua filter")
    return f'"{text}"'


def dialects_lua() -> str:
    """envelopes.DIALECTS as a Lua table for the filter's own errors: name, routes, prefixes, statuses, codes."""
    items = []
    for dialect in envelopes.DIALECTS:
        routes = ", ".join(f"[{_lua_string(r)}] = true" for r in dialect.routes)
        prefixes = ", ".join(_lua_string(p) for p in dialect.prefixes)
        statuses = ", ".join(f'[{_lua_string(code)}] = "{status}"' for code, status in dialect.statuses.items())
        codes = ", ".join(f"[{_lua_string(ours)}] = {_lua_string(theirs)}" for ours, theirs in dialect.codes.items())
        items.append(
            f"{{name = {_lua_string(dialect.name)}, routes = {{{routes}}}, prefixes = {{{prefixes}}}, "
            f"statuses = {{{statuses}}}, codes = {{{codes}}}}}"
        )
    return "{" + ", ".join(items) + "}"


def dialect_hosts_lua(spec: str) -> str:
    """DIALECT_HOSTS ("lumiku=api.lumiku.example,fomi=api.fomi.example"): each hostname serves
    one dialect at the root, its paths prefixed with the dialect's (/v1/x there is /lumiku/v1/x)."""
    pairs = []
    for item in filter(None, (i.strip() for i in spec.split(","))):
        name, _, host = item.partition("=")
        if name.strip() not in ("lumiku", "fomi") or not host.strip():
            raise ValueError(f"DIALECT_HOSTS: {item!r} is not <lumiku|fomi>=<hostname>")
        pairs.append(f"[{_lua_string(host.strip().lower())}] = {_lua_string('/' + name.strip())}")
    return "{" + ", ".join(pairs) + "}"


def cors_matchers(origins: str) -> str:
    """CORS_ORIGINS (seed 002: '*' or a comma-separated list) as Envoy string matchers."""
    items = [o.strip() for o in origins.split(",") if o.strip()]
    if not items or "*" in items:
        return json.dumps([{"safe_regex": {"regex": ".*"}}])
    return json.dumps([{"exact": o} for o in items])


def _descriptor_set():
    from google.protobuf import descriptor_pb2

    from backdrop.options.v1 import options_pb2  # noqa: F401  (its options are parsed, not left unknown)

    return descriptor_pb2.FileDescriptorSet.FromString(pathlib.Path(DEFAULTS["DESCRIPTOR_SET"]).read_bytes())


@functools.cache
def public_services() -> tuple[str, ...]:
    """Every service of the public packages, from the descriptor set: a dialect's new
    proto service is served without being listed here."""
    files = _descriptor_set().file
    return tuple(f"{f.package}.{s.name}" for f in files if f.package in PUBLIC_PACKAGES for s in f.service)


# The routes with the video body limit (MAX_VIDEO_BODY_BYTES) instead of the upload one.
VIDEO_UPLOAD_PATHS = ("/v1/process/remove-background-video",)


@functools.cache
def upload_paths(dialect: str) -> tuple[str, ...]:
    """REST paths of `dialect` (backdrop or fomi) whose routes take the upload body limit
    (takes_upload). Read from the protos, not listed by hand. Seed 001's and
    remove.bg's upload routes are routes of their own in the template (their
    rate-limit classes)."""
    from google.api import annotations_pb2

    files = _descriptor_set()
    messages = {f".{file.package}.{m.name}": m for file in files.file for m in file.message_type}
    paths = []
    for file in files.file:
        if file.package not in ("backdrop.gateway.v1", "backdrop.fomi.v1"):
            continue
        for service in file.service:
            for method in service.method:
                http = method.options.Extensions[annotations_pb2.http]
                for rule in (http, *http.additional_bindings):
                    template = getattr(rule, rule.WhichOneof("pattern") or "get", "")
                    if envelopes.dialect_of(template).name == dialect and takes_upload(method, rule.body, messages):
                        paths.append(path_regex(method.name, template))
    return tuple(sorted(paths))


def takes_upload(method, body: str, messages: dict) -> bool:
    """An upload takes a google.api.HttpBody: as its whole request, or as the request field
    its rule's `body` names (POST /v1/projects/{id}/images: the id from the path); or its
    JSON carries images (the method's backdrop.options.v1.image_body option)."""
    from backdrop.options.v1 import options_pb2

    fields = messages[method.input_type].field if method.input_type in messages else ()
    http_body = method.input_type == ".google.api.HttpBody" or any(
        f.name == body and f.type_name == ".google.api.HttpBody" for f in fields
    )
    return http_body or method.options.Extensions[options_pb2.image_body]


def path_regex(method: str, template: str) -> str:
    """An upload path template as a regex: each {variable} is one path segment."""
    literals = re.split(r"\{[A-Za-z_]+\}", template)
    if not all(re.fullmatch(r"[A-Za-z0-9/_-]*", part) for part in literals) or not template:
        raise ValueError(f"{method}: upload path {template!r} needs a regex of its own")
    return "[^/]+".join(literals)


def tracing(endpoint: str) -> tuple[str, str]:
    """The connection manager's `tracing` and the collector's cluster, one flow-style line each
    ("" and "" without an endpoint): Envoy's OpenTelemetry tracer, every request sampled (the
    services follow its decision), the request id as a tag."""
    if not endpoint:
        return "", ""
    url = urllib.parse.urlsplit(endpoint)
    if url.scheme != "http" or not url.hostname:
        raise ValueError(f"OTEL_EXPORTER_OTLP_ENDPOINT: Envoy sends OTLP/gRPC in plaintext, give http://host:port, not {endpoint!r}")
    config = {
        "provider": {
            "name": "envoy.tracers.opentelemetry",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig",
                "grpc_service": {"envoy_grpc": {"cluster_name": "otel_collector"}, "timeout": "2s"},
                "service_name": "envoy",
            },
        },
        "custom_tags": [{"tag": "backdrop.request_id", "request_header": {"name": "x-request-id"}}],
    }
    cluster = {
        "name": "otel_collector",
        "type": "STRICT_DNS",
        "connect_timeout": "2s",
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "explicit_http_config": {"http2_protocol_options": {}},
            }
        },
        "load_assignment": {
            "cluster_name": "otel_collector",
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {
                "address": url.hostname, "port_value": url.port or 4317}}}}]}],
        },
    }
    return "tracing: " + json.dumps(config), "- " + json.dumps(cluster)


def render(env: dict[str, str] | None = None) -> str:
    """The config for `env` (the process environment by default); seed 002's PORT and
    CORS_ORIGINS count as their Backdrop settings (services/runtime/aliases.py)."""
    source = aliases.resolve(os.environ if env is None else env).env
    values = {**DEFAULTS, **{k: v for k, v in source.items() if k in DEFAULTS}}
    values["CORS_ORIGIN_MATCHERS"] = cors_matchers(values.pop("CORS_ORIGINS"))
    values["UPLOAD_PATHS"] = "|".join(p for p in upload_paths("backdrop") if p not in VIDEO_UPLOAD_PATHS)
    values["VIDEO_UPLOAD_PATHS"] = "|".join(VIDEO_UPLOAD_PATHS)
    values["FOMI_UPLOAD_PATHS"] = "|".join(upload_paths("fomi"))
    values["PUBLIC_SERVICES"] = json.dumps(list(public_services()))
    values["LUMIKU"] = LUMIKU_ROUTES
    values["DIALECTS_LUA"] = dialects_lua()
    values["DIALECT_HOSTS_LUA"] = dialect_hosts_lua(values.pop("DIALECT_HOSTS"))
    values["ENVOY_TRACING"], values["ENVOY_TRACING_CLUSTER"] = tracing(values.pop("OTEL_EXPORTER_OTLP_ENDPOINT"))
    return string.Template(TEMPLATE.read_text()).substitute(values)


def k8s_files() -> dict[str, bytes]:
    """The ConfigMap's files: this template rendered for a pod (with the operator's DIALECT_HOSTS,
    `DIALECT_HOSTS=... make k8s`; the collector's, `OTEL_EXPORTER_OTLP_ENDPOINT=... make k8s`), and the descriptor set."""
    hosts = {name: os.environ[name] for name in ("DIALECT_HOSTS", "OTEL_EXPORTER_OTLP_ENDPOINT") if os.environ.get(name)}
    return {
        "envoy.yaml": render({**DEFAULTS, **K8S, **hosts}).encode(),
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
