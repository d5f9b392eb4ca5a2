import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

from deploy.envoy import render
from services.auth.edge import OPEN_PATHS, OPEN_PREFIXES

ENVOY = pathlib.Path(sys.executable).with_name("envoy")


def validate(config: str, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "envoy.yaml"
    path.write_text(config)
    return subprocess.run([str(ENVOY), "--mode", "validate", "-c", str(path)], capture_output=True, text=True, timeout=60)


def test_default_config_is_valid(tmp_path):
    result = validate(render.render({}), tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "OK" in result.stdout


def test_body_limits_fit_a_50_mb_image():
    config = yaml.safe_load(render.render({}))
    filters = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]
    (transcoder,) = [f for f in filters if f["name"] == "envoy.filters.http.grpc_json_transcoder"]
    assert transcoder["typed_config"]["max_request_body_size"] > 50 * 1024 * 1024
    assert transcoder["typed_config"]["services"] == list(render.public_services())
    assert [f["name"] for f in filters][-1] == "envoy.filters.http.router"


def test_the_k8s_config_is_valid(tmp_path):
    """The pod's config, with the descriptor set where this checkout has it."""
    config = render.render({**render.DEFAULTS, **render.K8S, "DESCRIPTOR_SET": render.DEFAULTS["DESCRIPTOR_SET"]})
    result = validate(config, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize(
    ("origins", "matchers"),
    [
        ("*", [{"safe_regex": {"regex": ".*"}}]),
        ("", [{"safe_regex": {"regex": ".*"}}]),
        ("https://a.example, https://b.example", [{"exact": "https://a.example"}, {"exact": "https://b.example"}]),
    ],
)
def test_cors_origins(origins, matchers, tmp_path):
    assert json.loads(render.cors_matchers(origins)) == matchers
    assert validate(render.render({"CORS_ORIGINS": origins}), tmp_path).returncode == 0


def test_values_come_from_the_environment():
    config = yaml.safe_load(render.render({"BACKDROP_HTTP_PORT": "9999", "GATEWAY_HOST": "gateway.backdrop.svc"}))
    listener = config["static_resources"]["listeners"][0]
    assert listener["address"]["socket_address"]["port_value"] == 9999
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    endpoint = clusters["gateway"]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]
    assert endpoint["endpoint"]["address"]["socket_address"]["address"] == "gateway.backdrop.svc"


def test_envoy_binary_is_installed():
    assert ENVOY.exists() or shutil.which("envoy")


# --- Route by route, against the protos and the auth service's open paths (H7, M5, L5) ---

CONFIG = yaml.safe_load(render.render(render.DEFAULTS))
HCM = CONFIG["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
ROUTES = HCM["route_config"]["virtual_hosts"][0]["routes"]


def rest_paths() -> list[tuple[str, str, bool]]:
    """(method name, a concrete REST path, takes an upload) for every binding of every public RPC."""
    files = descriptor_pb2.FileDescriptorSet.FromString(pathlib.Path(render.DEFAULTS["DESCRIPTOR_SET"]).read_bytes())
    messages = {f".{file.package}.{m.name}": m for file in files.file for m in file.message_type}
    found = []
    for file in files.file:
        for service in file.service:
            if f"{file.package}.{service.name}" not in render.public_services():
                continue
            for method in service.method:
                http = method.options.Extensions[annotations_pb2.http]
                for rule in (http, *http.additional_bindings):
                    template = getattr(rule, rule.WhichOneof("pattern"))
                    path = re.sub(r"\{[^}=]+=\*\*\}", "a/b.png", template)
                    path = re.sub(r"\{[^}]+\}", "id-1", path)
                    found.append((method.name, path, render.takes_upload(method, rule.body, messages)))
    return found


def route_for(path: str) -> dict:
    """The route Envoy picks for a REST request (not native gRPC) to `path`."""
    for route in ROUTES:
        match = route["match"]
        if match.get("headers"):
            continue
        if "path" in match and match["path"] == path:
            return route
        if "prefix" in match and path.startswith(match["prefix"]):
            return route
        if "safe_regex" in match and re.fullmatch(match["safe_regex"]["regex"], path):
            return route
    raise AssertionError(f"no route for {path}")


def body_limit(route: dict) -> int:
    buffer = (route.get("typed_per_filter_config") or {}).get("envoy.filters.http.buffer", {})
    if buffer.get("disabled"):
        transcoder = next(f for f in HCM["http_filters"] if f["name"] == "envoy.filters.http.grpc_json_transcoder")
        return transcoder["typed_config"]["max_request_body_size"]
    return next(f for f in HCM["http_filters"] if f["name"] == "envoy.filters.http.buffer")["typed_config"]["max_request_bytes"]


UPLOAD_PATHS = {path for _, path, upload in rest_paths() if upload}


@pytest.mark.parametrize(("name", "path"), [(name, path) for name, path, _ in rest_paths()])
def test_only_upload_routes_take_big_bodies(name, path):
    """Limits are per path: a GET that shares its path with an upload (GET /v1/backgrounds) has no body."""
    route = route_for(path)
    limit = int(render.DEFAULTS["MAX_BODY_BYTES"] if path in UPLOAD_PATHS else render.DEFAULTS["MAX_JSON_BODY_BYTES"])
    assert body_limit(route) == limit, (name, path)
    # The Lua filter refuses a declared Content-Length by the same number.
    declared = (route.get("metadata") or {}).get("filter_metadata", {}).get("envoy.filters.http.lua", {})
    if path in render.VIDEO_UPLOAD_PATHS:  # streamed (client-streaming HttpBody): its own, larger limit
        limit = int(render.DEFAULTS["MAX_VIDEO_BODY_BYTES"])
    assert declared.get("max_body_bytes", int(render.DEFAULTS["MAX_JSON_BODY_BYTES"])) == limit, (name, path)


@pytest.mark.parametrize("path", sorted(OPEN_PATHS - {"/health"}) + [f"{p}a/b.png" for p in OPEN_PREFIXES])
def test_every_open_route_is_limited_per_client_address(path):
    actions = [action for limit in route_for(path)["route"].get("rate_limits", []) for action in limit["actions"]]
    assert {"remote_address": {}} in actions, path


def test_native_grpc_is_refused_before_any_route():
    first = ROUTES[0]
    assert first["match"]["headers"][0]["name"] == "content-type"
    assert first["match"]["headers"][0]["string_match"] == {"prefix": "application/grpc", "ignore_case": True}
    assert first["direct_response"]["status"] == 415


def test_unknown_query_parameters_are_ignored_and_logs_have_no_query():
    transcoder = next(f for f in HCM["http_filters"] if f["name"] == "envoy.filters.http.grpc_json_transcoder")["typed_config"]
    assert transcoder["ignore_unknown_query_parameters"] is True
    assert transcoder["match_incoming_request_route"] is True  # the REST routes' timeouts and limits hold
    log_format = HCM["access_log"][0]["typed_config"]["log_format"]["json_format"]
    assert log_format["path"].startswith("%REQ_WITHOUT_QUERY(")
