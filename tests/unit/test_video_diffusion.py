"""Video generation without servers: the tiny SVD-interface networks (built in memory),
the sampler's arithmetic, the camera moves, keyframe segments and blending, sizes, and
the installer's refusal of an export that is not Stable Video Diffusion's."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest

from deploy.models import video
from gateway.dialects.fomi.videos import output_size
from services.inference.pipeline import video_diffusion as vd


def session(model):
    return onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def unet():
    return session(video.tiny_video_unet())


def unet_inputs(frames: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "sample": rng.standard_normal((2, frames, 8, 8, 16)).astype(np.float32),
        "timestep": np.array([1.5, 1.5], np.float32),
        "encoder_hidden_states": rng.standard_normal((2, 1, video.EMBED_DIM)).astype(np.float32),
        "added_time_ids": np.array([[6, 127, 0.02]] * 2, np.float32),
    }


def test_the_unet_takes_svds_inputs_and_mixes_frames(unet):
    inputs = unet_inputs(5)
    out = unet.run(None, inputs)[0]
    assert out.shape == (2, 5, 4, 8, 16)
    # A temporal model: changing frame 0 changes frame 1's output (a per-frame model would not).
    changed = {**inputs, "sample": inputs["sample"].copy()}
    changed["sample"][:, 0] += 1.0
    moved = unet.run(None, changed)[0]
    assert np.abs(moved[:, 1] - out[:, 1]).max() > 1e-4
    assert np.abs(moved[:, 4] - out[:, 4]).max() < np.abs(moved[:, 1] - out[:, 1]).max()  # neighbours first
    # The motion bucket (added_time_ids) and the image embedding condition the output.
    bucket = unet.run(None, {**inputs, "added_time_ids": np.array([[6, 10, 0.02]] * 2, np.float32)})[0]
    assert np.abs(bucket - out).max() > 1e-4
    image = unet.run(None, {**inputs, "encoder_hidden_states": inputs["encoder_hidden_states"] * 0})[0]
    assert np.abs(image - out).max() > 1e-4


def test_the_temporal_decoder_and_image_encoder_shapes():
    decoded = session(video.tiny_temporal_decoder()).run(None, {"latent_sample": np.zeros((3, 4, 8, 16), np.float32)})[0]
    assert decoded.shape == (3, 3, 64, 128) and np.abs(decoded).max() <= 1
    embeds = session(video.tiny_image_encoder()).run(None, {"pixel_values": np.zeros((1, 3, 224, 224), np.float32)})[0]
    assert embeds.shape == (1, video.EMBED_DIM)


def test_install_refuses_an_image_export(tmp_path):
    from deploy.models import diffusion

    diffusion.build_tiny(tmp_path / "sd")
    with pytest.raises(SystemExit, match="not a Stable Video Diffusion ONNX export") as refused:
        video.install(tmp_path / "sd", tmp_path / "repository")
    assert "image_encoder/ is missing" in str(refused.value) and "added_time_ids" in str(refused.value)
    assert not (tmp_path / "repository").exists()


def test_install_writes_four_models_with_triton_configs(tmp_path):
    video.install(video.build_tiny(tmp_path / "export"), tmp_path / "repository")
    for name in video.MODELS.values():
        assert (tmp_path / "repository" / name / "1" / "model.onnx").is_file()
    config = (tmp_path / "repository" / "video-unet" / "config.pbtxt").read_text()
    assert 'name: "added_time_ids"' in config and "dims: [ -1, -1, 8, -1, -1 ]" in config


def test_karras_sigmas_and_edm_denoising():
    sigmas = vd.karras_sigmas(25)
    assert len(sigmas) == 26 and sigmas[0] == pytest.approx(vd.SIGMA_MAX) and sigmas[-2] == pytest.approx(vd.SIGMA_MIN)
    assert sigmas[-1] == 0 and np.all(np.diff(sigmas) < 0)
    # v-prediction in EDM's terms: for x = x0 + sigma * eps the exact v is (eps - sigma * x0) / sqrt(sigma^2 + 1),
    # and the preconditioned estimate recovers x0 from it.
    rng = np.random.default_rng(3)
    x0, eps, sigma = rng.standard_normal(8), rng.standard_normal(8), 3.0
    v = (eps - sigma * x0) / (sigma**2 + 1) ** 0.5
    assert vd.denoised(x0 + sigma * eps, v, sigma) == pytest.approx(x0)


def test_guidance_rises_frame_by_frame():
    ramp = vd.frame_guidance(14, 7.5)
    assert ramp[0] == 1.0 and ramp[-1] == pytest.approx(3.0) and np.all(np.diff(ramp) > 0)


def test_later_clips_start_at_the_last_frame_of_the_one_before():
    clips = vd.segments(vd.keyframe_count(5, 7), 14)
    assert [(c.start, c.stop) for c in clips] == [(0, 14), (13, 27), (26, 36)]
    assert sorted({i for c in clips for i in c}) == list(range(36))
    assert vd.segments(8, 14) == [range(0, 8)]


def test_camera_moves_are_real_transforms():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (64, 128, 3), dtype=np.uint8)
    assert vd.camera(frame, "static", 1.0) is frame
    for movement in ("pan", "zoom", "rotate"):
        start, end = vd.camera(frame, movement, 0.0), vd.camera(frame, movement, 1.0)
        assert start.shape == end.shape == frame.shape
        assert np.abs(start.astype(int) - end.astype(int)).mean() > 5, movement
    for movement in ("pan", "zoom", "rotate"):  # no move at all: a later clip carries the move on from there
        assert np.abs(vd.camera(frame, movement, 0.0).astype(int) - frame).max() <= 1, movement
    # A pan moves the picture sideways: on a left-to-right ramp, the end frame's centre shows
    # what was a tenth of the width (12.8 px) right of it.
    ramp = np.repeat(np.repeat((np.arange(128) * 2).astype(np.uint8)[np.newaxis, :, np.newaxis], 64, 0), 3, 2)
    assert vd.camera(ramp, "pan", 1.0)[32, 64, 0] == pytest.approx(2 * (64 + 12.8), abs=2)
    assert vd.camera(ramp, "pan", 0.5)[32, 64, 0] == pytest.approx(2 * (64 + 6.4), abs=2)
    with pytest.raises(Exception) as refused:
        vd.camera(frame, "dolly", 1.0)
    assert refused.value.reason == "UNSUPPORTED_OPTION" and "dolly" in refused.value.message


def test_interpolation_makes_duration_times_fps_frames_at_the_size():
    keyframes = [np.full((8, 16, 3), value, np.uint8) for value in (0, 70, 140)]
    frames = list(vd.interpolated(keyframes, 2 / 7, 24, (32, 18)))
    assert len(frames) == vd.frame_count(2 / 7, 24) == 7
    assert all(f.shape == (18, 32, 3) for f in frames)
    means = [f.mean() for f in frames]
    assert means[0] == 0 and np.all(np.diff(means) >= 0) and means[-1] > 100


def test_sizes():
    assert output_size("720p", "16:9") == (1280, 720)
    assert output_size("1080p", "9:16") == (1080, 1920)
    assert output_size("4k", "1:1") == (2160, 2160)
    assert vd.generation_size(1280, 720, 576) == (1024, 576)
    assert vd.generation_size(1280, 720, 64) == (128, 64)
    assert vd.preview_size(1280, 720) == (640, 360)


def test_without_the_video_models_it_is_503_model_unavailable():
    """The gateway refuses before any charge; a worker that finds them gone fails the job the same way."""
    import asyncio

    from backdrop.jobs.v1 import jobs_pb2
    from gateway.dialects.fomi.videos import FomiVideos
    from services.runtime.errors import ServiceError

    class Removal:
        async def ready(self, task: str) -> bool:
            return task != "video"

    class Gateway:
        removal = Removal()

    with pytest.raises(ServiceError) as refused:
        asyncio.run(FomiVideos(Gateway())._require_models(text=True))
    assert (refused.value.reason, refused.value.http_status) == ("MODEL_UNAVAILABLE", 503)
    assert "deploy.models.video install" in refused.value.message

    class Server:
        async def is_ready(self, model: str) -> bool:
            return model != vd.UNET

    class Images:
        store, server = None, Server()

    item = jobs_pb2.WorkItem(job_id="j", generate=jobs_pb2.GenerateOptions(mode="video", steps=10, width=1280, height=720))
    with pytest.raises(ServiceError) as failed:
        asyncio.run(vd.VideoGeneration(Images()).run(item, {}, None))
    assert failed.value.reason == "MODEL_UNAVAILABLE"


def test_a_video_is_priced_by_its_output_never_below_its_steps():
    import math

    from services.billing.catalog import Catalog

    catalog = Catalog.load()
    tier = catalog.tier("")[0]
    rate = catalog.data["operations"]["video"]["credits_per_output_megapixel"]
    long_4k = 30 * 60 * 3840 * 2160
    assert catalog.cost_per_image(tier, "generate", output_pixels=long_4k, steps=25) == math.ceil(long_4k / 1e6 * rate)
    short = 24 * 1280 * 720  # 1 s of 720p: its 25 steps cost more than its pixels
    assert catalog.cost_per_image(tier, "generate", output_pixels=short, steps=25) == catalog.cost_per_image(tier, "generate", steps=25)
