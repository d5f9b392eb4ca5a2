"""The one place that runs ffmpeg: probing, decoding and encoding videos.

The binary is the static ffmpeg of the `imageio-ffmpeg` wheel (a PyPI
dependency, so every image that installs the project has it). Every call is an
argument list (never a shell), bounded by a deadline (a watchdog kills the
process), with its stderr kept and turned into an FfmpegError that says what
went wrong. Frames stream through pipes one at a time: neither decoding nor
encoding ever holds a whole video in memory.

Frames are numpy uint8 arrays, height x width x 3 (RGB) or x 4 (RGBA with
straight alpha).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

PROBE_TIMEOUT_S = 30.0
DEFAULT_TIMEOUT_S = 1800.0

# Output formats: file extension, content type, whether alpha survives, whether audio can be kept.
FORMATS = {
    "webm": ("webm", "video/webm", True, True),
    "mov": ("mov", "video/quicktime", True, True),
    "mp4": ("mp4", "video/mp4", False, True),
    "gif": ("gif", "image/gif", True, False),
    "matte": ("mp4", "video/mp4", False, False),
    "png": ("zip", "application/zip", True, False),
}


class FfmpegError(RuntimeError):
    """ffmpeg refused or failed; `detail` is the end of what it said on stderr."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(f"{message}: {detail}" if detail else message)
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class Probe:
    container: str  # ffmpeg's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm"
    codec: str  # the first video stream's codec, e.g. "h264", "hevc", "vp9", "prores"
    width: int  # as displayed (rotation applied, as the decoder applies it)
    height: int
    fps: float
    duration_s: float
    frames: int  # counted from the stream's packets, not estimated
    has_audio: bool
    audio_codec: str
    alpha: bool  # the stream says it carries alpha (yuva pixels or VP9 alpha_mode)


def executable() -> str:
    import imageio_ffmpeg

    return os.environ.get("FFMPEG_BINARY") or imageio_ffmpeg.get_ffmpeg_exe()


def _tail(text: bytes | str, lines: int = 6) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[:800]


def _run(args: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([executable(), "-hide_banner", "-nostdin", *args], capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FfmpegError(f"ffmpeg took longer than {timeout_s:.0f} s", _tail(exc.stderr or b"")) from exc


# --- probing ---------------------------------------------------------------------

_INPUT = re.compile(r"^Input #0, ([^,]+(?:,[^,\s]+)*), from", re.M)
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #0:\d+[^:]*: Video: (\w+)([^\n]*)")
_AUDIO = re.compile(r"Stream #0:\d+[^:]*: Audio: (\w+)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees|rotate\s*:\s*(-?\d+)")
_FRAME = re.compile(r"frame=\s*(\d+)")


def probe(path: str, timeout_s: float = PROBE_TIMEOUT_S) -> Probe:
    """What a video file holds, read by `ffmpeg -i` (streams) and a copy pass to a null
    muxer (the exact frame count; packets only, nothing decoded). FfmpegError when ffmpeg
    cannot read it as a video."""
    info = _run(["-i", path], timeout_s).stderr.decode("utf-8", "replace")
    container = _INPUT.search(info)
    video = _VIDEO.search(info)
    if not container or not video:
        raise FfmpegError("not a readable video", _tail(info, 2))
    details = video.group(2)
    size = _SIZE.search(details)
    if not size:
        raise FfmpegError("the video stream has no frame size", _tail(info, 2))
    width, height = int(size.group(1)), int(size.group(2))
    rotation = _ROTATION.search(info[video.start():])
    if rotation and round(abs(float(rotation.group(1) or rotation.group(2)))) % 180 == 90:
        width, height = height, width
    fps = 0.0
    match = _FPS.search(details)
    if match:
        fps = float(match.group(1)) * (1000 if match.group(2) else 1)
    duration = _DURATION.search(info)
    seconds = int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3)) if duration else 0.0
    audio = _AUDIO.search(info)
    section = info[video.start():].split("Stream #", 2)
    stream_text = section[1] if len(section) > 1 else info[video.start():]
    counted = _run(["-i", path, "-map", "0:v:0", "-c", "copy", "-f", "null", "-"], timeout_s)
    if counted.returncode != 0:
        raise FfmpegError("the video stream cannot be read", _tail(counted.stderr, 2))
    frames = [int(n) for n in _FRAME.findall(counted.stderr.decode("utf-8", "replace"))]
    return Probe(
        container=container.group(1),
        codec=video.group(1),
        width=width,
        height=height,
        fps=fps,
        duration_s=seconds,
        frames=frames[-1] if frames else 0,
        has_audio=audio is not None,
        audio_codec=audio.group(1) if audio else "",
        alpha="yuva" in details or "alpha_mode" in stream_text.lower(),
    )


# --- processes under a deadline ------------------------------------------------------


class _Process:
    """An ffmpeg child whose stderr goes to a temporary file (it can never fill a pipe and
    stall the child) and which a watchdog kills at its deadline."""

    def __init__(self, args: list[str], timeout_s: float, stdin: bool, stdout: bool):
        self.errors = tempfile.TemporaryFile()
        self.timeout_s = timeout_s
        self.timed_out = False
        self.process = subprocess.Popen(
            [executable(), "-hide_banner", "-y", *([] if stdin else ["-nostdin"]), "-loglevel", "error", *args],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
            stderr=self.errors,
        )
        self.watchdog = threading.Timer(timeout_s, self._expire)
        self.watchdog.daemon = True
        self.watchdog.start()

    def _expire(self) -> None:
        self.timed_out = True
        self.process.kill()

    def stderr(self) -> str:
        self.errors.seek(0)
        return _tail(self.errors.read())

    def finish(self, what: str) -> None:
        """Waits for the child; an FfmpegError if it failed or ran out of time."""
        try:
            code = self.process.wait(timeout=max(1.0, self.timeout_s))
        except subprocess.TimeoutExpired:
            self._expire()
            code = self.process.wait()
        self.close()
        if self.timed_out:
            raise FfmpegError(f"{what} took longer than {self.timeout_s:.0f} s", self.stderr())
        if code != 0:
            raise FfmpegError(f"{what} failed (ffmpeg exit {code})", self.stderr())

    def close(self) -> None:
        self.watchdog.cancel()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe:
                try:
                    pipe.close()
                except OSError:
                    pass


# --- decoding ----------------------------------------------------------------------


def frames(path: str, width: int, height: int, timeout_s: float = DEFAULT_TIMEOUT_S, alpha: bool = False) -> Iterator[np.ndarray]:
    """Every frame of the first video stream, in order, as RGB (or RGBA with `alpha`; VP9's
    alpha needs the libvpx decoder) arrays of height x width, scaled to that size if the
    stream's differs. One frame in memory at a time; stopping the iteration stops ffmpeg."""
    channels = 4 if alpha else 3
    decoder = ["-c:v", "libvpx-vp9"] if alpha and _is_vp9(path) else []
    args = [*decoder, "-i", path, "-map", "0:v:0", "-vf", f"scale={width}:{height}", "-f", "rawvideo",
            "-pix_fmt", "rgba" if alpha else "rgb24", "-"]
    child = _Process(args, timeout_s, stdin=False, stdout=True)
    size = width * height * channels
    complete = False
    try:
        while True:
            data = _read_exactly(child.process.stdout, size)
            if not data:
                break
            if len(data) < size:
                raise FfmpegError("a frame was cut short", child.stderr())
            yield np.frombuffer(data, np.uint8).reshape(height, width, channels)
        complete = True
    finally:
        if complete:
            child.finish("decoding")
        else:
            child.close()


def _is_vp9(path: str) -> bool:
    try:
        return probe(path).codec == "vp9"
    except FfmpegError:
        return False


def _read_exactly(pipe, size: int) -> bytes:
    chunks, got = [], 0
    while got < size:
        chunk = pipe.read(size - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# --- encoding ----------------------------------------------------------------------


def _video_args(fmt: str, quality: int) -> list[str]:
    """Codec arguments per output format (quality 1-100, higher is better)."""
    crf = round(51 - quality * 0.38)  # 100 -> 13, 75 -> 22, 1 -> 51
    even = ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"]  # H.264 4:2:0 needs even sides
    if fmt == "webm":
        return ["-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-b:v", "0", "-crf", str(min(63, crf + 8)),
                "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-auto-alt-ref", "0",
                "-metadata:s:v:0", "alpha_mode=1"]
    if fmt == "mov":
        return ["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le", "-alpha_bits", "16", "-vendor", "apl0"]
    if fmt == "mp4":
        return [*even, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", str(crf), "-movflags", "+faststart"]
    if fmt == "matte":
        return ["-vf", "alphaextract,pad=ceil(iw/2)*2:ceil(ih/2)*2,format=yuv420p", "-c:v", "libx264", "-preset", "veryfast",
                "-crf", str(crf), "-movflags", "+faststart"]
    if fmt == "gif":
        # A palette per frame (streams; a global palette would need every frame first), one
        # entry kept for transparency.
        return ["-filter_complex", "[0:v]split[a][b];[a]palettegen=stats_mode=single:reserve_transparent=1[p];"
                "[b][p]paletteuse=new=1:alpha_threshold=128", "-loop", "0"]
    raise ValueError(f"unknown video format {fmt!r}")


_AUDIO_CODEC = {"webm": ["-c:a", "libopus", "-b:a", "128k"], "mov": ["-c:a", "aac", "-b:a", "192k"], "mp4": ["-c:a", "aac", "-b:a", "192k"]}


def encode(
    frames_iter: Iterable[np.ndarray],
    fps: float,
    path: str,
    fmt: str = "mp4",
    audio_from: str | None = None,
    quality: int = 75,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> int:
    """Writes `frames_iter` (uint8 arrays, all one size: RGB h x w x 3 or RGBA h x w x 4) at
    `fps` to the file `path` as `fmt`, and returns how many frames it wrote.

    fmt: "mp4" H.264 (yuv420p, faststart; alpha, if given, is dropped: composite first),
    "webm" VP9 with alpha (yuva420p), "mov" ProRes 4444 with alpha (yuva444p10le), "gif"
    (alpha kept as 1-bit transparency), "matte" the alpha alone as a grey H.264 MP4,
    "png" a ZIP of frame_00000.png... (RGBA or RGB as given). `audio_from`: a file whose
    first audio stream is re-encoded into the output where the container keeps audio
    (webm: Opus, mov and mp4: AAC), cut to the video's length; ignored for the others.
    Frames stream to ffmpeg's stdin one at a time.
    """
    if fmt == "png":
        return _png_zip(frames_iter, path)
    iterator = iter(frames_iter)
    first = next(iterator, None)
    if first is None:
        raise FfmpegError("no frames to encode")
    height, width, channels = first.shape
    if channels not in (3, 4):
        raise ValueError("frames must be RGB or RGBA")
    if fmt == "matte" and channels != 4:
        raise ValueError("a matte needs RGBA frames")
    audio = audio_from if audio_from and FORMATS[fmt][3] else None
    args = ["-f", "rawvideo", "-pix_fmt", "rgba" if channels == 4 else "rgb24", "-s", f"{width}x{height}",
            "-r", f"{fps:.6g}", "-i", "pipe:0"]
    if audio:
        args += ["-i", audio, "-map", "0:v:0", "-map", "1:a:0?", *_AUDIO_CODEC[fmt], "-shortest"]
    args += [*_video_args(fmt, quality), "-f", {"matte": "mp4"}.get(fmt, fmt), path]
    child = _Process(args, timeout_s, stdin=True, stdout=False)
    count = 0
    try:
        for frame in _chain(first, iterator):
            if frame.shape != first.shape:
                raise ValueError(f"frame {count} is {frame.shape}, the first was {first.shape}")
            try:
                child.process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
            except (BrokenPipeError, OSError) as exc:
                child.finish("encoding")  # raises with ffmpeg's own reason
                raise FfmpegError("encoding stopped", str(exc)) from exc
            count += 1
        child.process.stdin.close()
        child.finish("encoding")
    finally:
        child.close()
    return count


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def _png_zip(frames_iter: Iterable[np.ndarray], path: str) -> int:
    """A PNG per frame, written into the ZIP one at a time (PNG is compressed already: stored)."""
    count = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for count, frame in enumerate(frames_iter, start=1):
            buffer = io.BytesIO()
            Image.fromarray(np.ascontiguousarray(frame), mode="RGBA" if frame.shape[2] == 4 else "RGB").save(buffer, format="PNG", compress_level=3)
            archive.writestr(f"frame_{count - 1:05d}.png", buffer.getvalue())
    if not count:
        raise FfmpegError("no frames to encode")
    return count


def make_test_clip(path: str, images: list[np.ndarray], fps: float, seconds: float, codec: str = "libx264",
                   audio: bool = True, timeout_s: float = 60.0) -> None:
    """A clip of `images` (RGB arrays, one size) cycled at `fps` for `seconds`, with a
    440 Hz sine track: for tests and benchmarks. codec: any ffmpeg encoder name."""
    total = max(1, round(fps * seconds))
    height, width = images[0].shape[:2]
    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps:.6g}", "-i", "pipe:0"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-shortest"]
    pixel = ["-pix_fmt", "yuv420p"] if codec in ("libx264", "libvpx-vp9", "mpeg4") else []
    args += ["-c:v", codec, *pixel, path]
    child = _Process(args, timeout_s, stdin=True, stdout=False)
    try:
        for index in range(total):
            child.process.stdin.write(np.ascontiguousarray(images[index % len(images)]).tobytes())
        child.process.stdin.close()
        child.finish("making the clip")
    finally:
        child.close()
