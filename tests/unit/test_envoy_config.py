import json
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

from deploy.envoy import render

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
    assert transcoder["typed_config"]["services"] == ["backdrop.gateway.v1.Gateway"]
    assert [f["name"] for f in filters][-1] == "envoy.filters.http.router"


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
