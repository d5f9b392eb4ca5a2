"""The video removal pipeline without servers: ffmpeg's probe, decode and encode on a real
clip, the temporal smoothing's effect on flicker, and a whole run with a stand-in model."""

from __future__ import annotations

import asyncio
import zipfile

import numpy as np
import pytest
from PIL import Image

from services.inference.pipeline import ffmpeg, segmentation, video
from tests import samples

SPEC = segmentation.SegmentationSpec(
    name="fake", aliases=(), description="", fixed_size=(64, 64), normalisation="imagenet", rescale_output=False
)


def logo_frames(count: int, noise: float = 5.0) -> list[np.ndarray]:
    rgb, _ = samples.logo()
    base = np.asarray(Image.fromarray(rgb).resize((160, 120)), dtype=np.int16)
    rng = np.random.default_rng(1)
    return [np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8) for _ in range(count)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("video") / "clip.mp4")
    ffmpeg.make_test_clip(path, logo_frames(10), fps=10, seconds=1.0)
    return path


def test_probe_reads_the_clip(clip):
    info = ffmpeg.probe(clip)
    assert (info.codec, info.width, info.height, info.fps, info.frames) == ("h264", 160, 120, 10.0, 10)
    assert info.has_audio and info.audio_codec == "aac" and not info.alpha
    assert 0.9 <= info.duration_s <= 1.1


def test_probe_refuses_what_is_not_a_video(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"not a video at all")
    with pytest.raises(ffmpeg.FfmpegError, match="not a readable video"):
        ffmpeg.probe(str(path))


@pytest.mark.parametrize("fmt", ["webm", "mov", "gif"])
def test_alpha_survives_encoding(tmp_path, fmt):
    frame = np.zeros((120, 160, 4), np.uint8)
    frame[..., :3] = (200, 30, 30)
    frame[:, :80, 3] = 255  # left half opaque, right half transparent
    path = str(tmp_path / f"out.{ffmpeg.FORMATS[fmt][0]}")
    assert ffmpeg.encode([frame] * 5, 10, path, fmt) == 5
    info = ffmpeg.probe(path)
    decoded = list(ffmpeg.frames(path, info.width, info.height, alpha=True))
    assert len(decoded) == 5
    assert decoded[2][60, 20, 3] == 255 and decoded[2][60, 140, 3] == 0


def test_png_sequence_zip(tmp_path):
    frames = [np.full((8, 8, 4), i, np.uint8) for i in range(3)]
    path = str(tmp_path / "frames.zip")
    assert ffmpeg.encode(frames, 10, path, "png") == 3
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
        assert Image.open(archive.open("frame_00001.png")).mode == "RGBA"


def test_encoder_failure_is_a_clear_error(tmp_path):
    with pytest.raises(ffmpeg.FfmpegError, match="encoding failed"):
        ffmpeg.encode([np.zeros((8, 8, 3), np.uint8)], 10, str(tmp_path / "missing" / "out.mp4"), "mp4")


def noisy_masks(frames: list[np.ndarray], seed: int = 2) -> list[np.ndarray]:
    """What a per-frame model does on a still subject: the right mask, its edge wobbling."""
    _, truth = samples.logo()
    truth = np.asarray(Image.fromarray(truth).resize((frames[0].shape[1], frames[0].shape[0])), np.float32) / 255
    rng = np.random.default_rng(seed)
    return [np.clip(truth + rng.normal(0, 0.15, truth.shape) * (truth * (1 - truth) * 4 + 0.2), 0, 1).astype(np.float32) for _ in frames]


def test_smoothing_reduces_flicker_on_a_still_subject():
    frames = logo_frames(12, noise=2.0)
    raw = noisy_masks(frames)
    smoother = video.Smoother(0.6)
    smoothed = [smoother.step(f, a) for f, a in zip(frames, raw)]
    region = np.ones(raw[0].shape, bool)
    before, after = video.flicker(raw, region), video.flicker(smoothed, region)
    assert after < 0.6 * before, (before, after)


def test_smoothing_follows_motion():
    """Where the picture changes, the new mask is taken as it is: no trail of the old one."""
    still, moved = np.zeros((60, 80, 3), np.uint8), np.full((60, 80, 3), 255, np.uint8)
    smoother = video.Smoother(0.9)
    smoother.step(still, np.zeros((60, 80), np.float32))
    out = smoother.step(moved, np.ones((60, 80), np.float32))
    assert out.min() == pytest.approx(1.0)


def test_whole_run_with_a_stand_in_model(clip, tmp_path):
    calls: list[int] = []
    seen: list[tuple[int, int]] = []

    async def infer(tensor: np.ndarray) -> np.ndarray:
        calls.append(tensor.shape[0])
        # Subject where the picture is not white: the logo's disc and bar.
        return (tensor.mean(axis=1, keepdims=True) < 1.5).astype(np.float32)

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    output = str(tmp_path / "out.webm")
    info = ffmpeg.probe(clip)
    figures = asyncio.run(video.remove_background(clip, output, info, SPEC, infer, video.VideoOptions(batch=4, reuse=0), progress))
    assert figures["frames"] == 10 and calls == [4, 4, 2] and seen[-1] == (10, 10)
    result = ffmpeg.probe(output)
    assert (result.codec, result.width, result.height, result.frames, result.alpha) == ("vp9", 160, 120, 10, True)
    assert result.has_audio
    frame = next(ffmpeg.frames(output, 160, 120, alpha=True))
    assert frame[5, 5, 3] < 20 and frame[60, 43, 3] > 235  # background (white corner) clear, disc opaque


def test_a_still_shot_reuses_masks_and_motion_is_segmented():
    keys = video.KeyFrames(reuse=2)
    still = logo_frames(7, noise=3.0)
    assert [keys.plan(f) is None for f in still] == [True, False, False, True, False, False, True]
    moved = np.roll(still[0], 40, axis=1)
    assert keys.plan(moved) is None  # the picture changed more than a pan: the model sees it at once


def pan_frames(count: int, step: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A textured scene (so that a pan is a pan) with the logo, the camera moving `step` px a frame
    (sub-pixel: rendered at 4x and downscaled); and the logo's true alpha in each frame."""
    rgb, alpha = samples.logo()
    rng = np.random.default_rng(2)
    texture = np.asarray(Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).resize((640, 480), Image.Resampling.BICUBIC), np.float32)
    logo = np.asarray(Image.fromarray(rgb).resize((320, 240)), np.float32)
    subject = np.asarray(Image.fromarray(alpha).resize((320, 240)), np.float32)[..., None] / 255
    scene = texture.copy()
    scene[120:360, 160:480] = subject * logo + (1 - subject) * texture[120:360, 160:480]
    matte = np.zeros((480, 640), np.float32)
    matte[120:360, 160:480] = subject[..., 0]
    frames, mattes = [], []
    for index in range(count):
        shift = round(index * step * 4)
        frames.append(np.asarray(Image.fromarray(np.roll(scene, shift, axis=1).astype(np.uint8)).resize((160, 120), Image.Resampling.BOX)))
        mattes.append(np.asarray(Image.fromarray(np.roll(matte, shift, axis=1)).resize((160, 120), Image.Resampling.BOX)))
    return frames, mattes


def test_a_pan_moves_the_mask_and_a_subject_moving_alone_is_segmented():
    frames, mattes = pan_frames(4, step=1.25)
    keys = video.KeyFrames(reuse=3)
    assert keys.plan(frames[0]) is None
    for frame, matte in zip(frames[1:], mattes[1:]):
        move = keys.plan(frame)
        assert move is not None and abs(move[0]) < 0.2
        followed = video.moved(mattes[0], *move)
        assert np.abs(followed - matte)[:, 8:-8].mean() < 0.01  # the key mask, moved, is this frame's mask
    keys = video.KeyFrames(reuse=3)
    keys.plan(frames[0])
    alone = frames[0].copy()
    alone[30:90, 40:120] = np.roll(frames[0][30:90, 40:120], 6, axis=1)  # the subject moves, the background does not
    assert keys.plan(alone) is None


def test_reuse_cuts_model_runs_on_a_still_clip(clip, tmp_path):
    frames_seen: list[int] = []

    async def infer(tensor):
        frames_seen.append(tensor.shape[0])
        return (tensor.mean(axis=1, keepdims=True) < 1.5).astype(np.float32)

    async def progress(done, total):
        return None

    output = str(tmp_path / "out.mov")
    figures = asyncio.run(video.remove_background(clip, output, ffmpeg.probe(clip), SPEC, infer, video.VideoOptions(output_format="mov"), progress))
    assert figures["frames"] == 10 and figures["segmented"] == sum(frames_seen) == 4  # frames 0, 3, 6, 9
    assert ffmpeg.probe(output).frames == 10


@pytest.mark.parametrize(("codec", "suffix", "name"), [("libvpx-vp9", "webm", "vp9"), ("prores_ks", "mov", "prores"), ("libaom-av1", "mp4", "av1")])
def test_other_input_codecs_probe_and_decode(tmp_path, codec, suffix, name):
    path = str(tmp_path / f"clip.{suffix}")
    ffmpeg.make_test_clip(path, logo_frames(2), fps=10, seconds=0.5, codec=codec, audio=False)
    info = ffmpeg.probe(path)
    assert (info.codec, info.width, info.height, info.frames, info.has_audio) == (name, 160, 120, 5, False)
    assert len(list(ffmpeg.frames(path, 160, 120))) == 5
