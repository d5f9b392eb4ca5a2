"""Video diffusion models for the model repository (seed 004's /videos/generate).

No video weights ship in any package the project can install, so, as for images
(deploy/models/diffusion.py, whose GraphBuilder, validation and installer this reuses):

- `make models-video-tiny` (`python -m deploy.models.video tiny`) builds a small,
  randomly initialised image-to-video latent diffusion pipeline with Stable Video
  Diffusion's interfaces: a CLIP-vision-style image encoder (patch embedding,
  self-attention, pooled projection), a spatio-temporal UNet over
  [batch, frames, 8, h, w] latents (4 noisy channels + the conditioning frame's 4
  latent channels), the timestep, the image embedding as cross-attention context
  and SVD's added_time_ids (fps, motion bucket, noise augmentation) added to the
  time embedding, with temporal convolutions over the frame axis between its
  spatial blocks; a temporal VAE decoder (its convolutions mix neighbouring
  frames); and the VAE encoder of Stable Diffusion. It draws nothing
  recognisable; it proves the serving path.
- `python -m deploy.models.video install DIR` validates an operator's ONNX export
  of Stable Video Diffusion (image_encoder/, unet/, vae_decoder/, vae_encoder/,
  each model.onnx with the input and output names of INTERFACES) and installs it
  with Triton configs (KIND_GPU with `--gpu`).

Both write video-image-encoder, video-unet, video-vae-decoder, video-vae-encoder.
"""

from __future__ import annotations

import pathlib

import numpy as np

from deploy.models.diffusion import GraphBuilder, command_line, install_models, tiny_vae_encoder, validate

MODELS = {
    "image_encoder": "video-image-encoder",
    "unet": "video-unet",
    "vae_decoder": "video-vae-decoder",
    "vae_encoder": "video-vae-encoder",
}
# SVD's networks as exported (diffusers' StableVideoDiffusionPipeline: CLIPVisionModelWithProjection,
# UNetSpatioTemporalConditionModel, AutoencoderKLTemporalDecoder's decoder and encoder).
INTERFACES = {
    "image_encoder": (("pixel_values",), ("image_embeds",)),
    "unet": (("sample", "timestep", "encoder_hidden_states", "added_time_ids"), ("out_sample",)),
    "vae_decoder": (("latent_sample",), ("sample",)),
    "vae_encoder": (("sample",), ("latent_sample",)),
}
EMBED_DIM = 32
CLIP_SIDE = 224


def _slice(g: GraphBuilder, shape: str, start: int, end: int) -> str:
    return g.op("Slice", [shape, g.const(np.array([start], np.int64)), g.const(np.array([end], np.int64))])


def _ints(g: GraphBuilder, *values: int) -> str:
    return g.const(np.array(values, np.int64))


def _temporal(g: GraphBuilder, x: str, frames_shape: str, channels: int) -> str:
    """A residual convolution over the frame axis: [B*F, C, h, w] seen as [B, C, F, h, w],
    a (3, 1, 1) kernel, back. This is what makes the networks video models."""
    spatial = g.op("Shape", [x])
    video = g.op("Reshape", [x, g.op("Concat", [frames_shape, _slice(g, spatial, 1, 4)], axis=0)])
    across = g.op("Transpose", [video], perm=[0, 2, 1, 3, 4])
    weight = g.weight((channels, channels, 3, 1, 1), channels * 3, 0.5)
    mixed = g.op("Conv", [across, weight, g.zeros(channels)], kernel_shape=[3, 1, 1], pads=[1, 0, 0, 1, 0, 0])
    back = g.op("Reshape", [g.op("Transpose", [g.silu(mixed)], perm=[0, 2, 1, 3, 4]), spatial])
    return g.op("Add", [x, back])


def _sinusoid(g: GraphBuilder, values: str, dim: int) -> str:
    """[..., n] -> [..., n, dim]: the sinusoidal embedding of each value."""
    frequencies = np.exp(-np.log(10000) * np.arange(dim // 2) / (dim // 2)).astype(np.float32)
    angles = g.op("Mul", [g.op("Unsqueeze", [values, _ints(g, -1)]), g.const(frequencies)])
    return g.op("Concat", [g.op("Sin", [angles]), g.op("Cos", [angles])], axis=-1)


def tiny_image_encoder(dim: int = 32):
    """CLIP vision, small: 32-pixel patches, one attention block, mean pooled, projected."""
    from onnx import TensorProto, helper

    g = GraphBuilder(11)
    patches = g.op(
        "Conv", ["pixel_values", g.weight((dim, 3, 32, 32), 3 * 32 * 32), g.zeros(dim)], kernel_shape=[32, 32], strides=[32, 32]
    )
    tokens = g.op("Transpose", [g.op("Reshape", [patches, _ints(g, 0, dim, -1)])], perm=[0, 2, 1])
    normed = g.layer_norm(tokens, dim)
    x = g.op("Add", [tokens, g.attention(normed, normed, dim, dim, heads=2)])
    pooled = g.op("ReduceMean", [g.layer_norm(x, dim)], axes=[1], keepdims=0)
    g.op("Identity", [g.linear(pooled, dim, EMBED_DIM)], output="image_embeds")
    return g.model(
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, CLIP_SIDE, CLIP_SIDE])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch", EMBED_DIM])],
    )


def tiny_video_unet(channels: int = 32):
    """SVD's UNet interface: sample [B, F, 8, h, w] (noisy latent + conditioning latent),
    timestep [B] (EDM's c_noise), encoder_hidden_states [B, 1, D], added_time_ids [B, 3]."""
    from onnx import TensorProto, helper

    g = GraphBuilder(12)
    shape = g.op("Shape", ["sample"])
    frames_shape = _slice(g, shape, 0, 2)  # [B, F]
    x = g.op("Reshape", ["sample", g.op("Concat", [_ints(g, -1), _slice(g, shape, 2, 5)], axis=0)])  # [B*F, 8, h, w]

    time = g.op("Squeeze", [_sinusoid(g, g.op("Unsqueeze", ["timestep", _ints(g, 1)]), channels), _ints(g, 1)])  # [B, C]
    embedding = g.linear(g.silu(g.linear(time, channels, 4 * channels)), 4 * channels, 4 * channels)
    added = g.op("Reshape", [_sinusoid(g, "added_time_ids", channels), _ints(g, 0, 3 * channels)])  # [B, 3C]
    embedding = g.op("Add", [embedding, g.linear(g.silu(g.linear(added, 3 * channels, 4 * channels)), 4 * channels, 4 * channels)])
    per_frame = g.op("Concat", [frames_shape, _ints(g, 4 * channels)], axis=0)
    embedding = g.op("Reshape", [g.op("Expand", [g.op("Unsqueeze", [embedding, _ints(g, 1)]), per_frame]), _ints(g, -1, 4 * channels)])
    context_shape = g.op("Concat", [frames_shape, _ints(g, 1, EMBED_DIM)], axis=0)
    context = g.op(
        "Reshape", [g.op("Expand", [g.op("Unsqueeze", ["encoder_hidden_states", _ints(g, 1)]), context_shape]), _ints(g, -1, 1, EMBED_DIM)]
    )

    def resblock(h_in: str, cin: int, cout: int) -> str:
        # The time and added-time embedding is added after the last norm (instance norms would erase a per-channel shift).
        h = g.conv(g.silu(g.norm2d(h_in, cin)), cin, cout)
        h = g.conv(g.silu(g.norm2d(h, cout)), cout, cout, gain=0.5)
        t = g.op("Unsqueeze", [g.linear(g.silu(embedding), 4 * channels, cout), _ints(g, 2, 3)])
        return g.op("Add", [h_in if cin == cout else g.conv(h_in, cin, cout, kernel=1), g.op("Add", [h, t])])

    def cross_attention(h: str, dim: int) -> str:
        spatial = g.op("Shape", [h])
        tokens = g.op("Transpose", [g.op("Reshape", [g.norm2d(h, dim), _ints(g, 0, dim, -1)])], perm=[0, 2, 1])
        attended = g.attention(tokens, context, dim, EMBED_DIM, heads=2)
        return g.op("Add", [h, g.op("Reshape", [g.op("Transpose", [attended], perm=[0, 2, 1]), spatial])])

    x = g.conv(x, 8, channels)
    skip = _temporal(g, resblock(x, channels, channels), frames_shape, channels)
    down = g.conv(skip, channels, 2 * channels, stride=2)
    middle = _temporal(g, cross_attention(resblock(down, 2 * channels, 2 * channels), 2 * channels), frames_shape, 2 * channels)
    up = g.op("Resize", [middle, "", g.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    x = _temporal(g, resblock(g.op("Concat", [up, skip], axis=1), 3 * channels, channels), frames_shape, channels)
    out = g.conv(g.silu(g.norm2d(x, channels)), channels, 4, gain=0.5)
    out_shape = g.op("Concat", [frames_shape, _ints(g, 4), _slice(g, g.op("Shape", [out]), 2, 4)], axis=0)
    g.op("Reshape", [out, out_shape], output="out_sample")
    return g.model(
        [
            helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", "frames", 8, "height", "width"]),
            helper.make_tensor_value_info("timestep", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch", 1, EMBED_DIM]),
            helper.make_tensor_value_info("added_time_ids", TensorProto.FLOAT, ["batch", 3]),
        ],
        [helper.make_tensor_value_info("out_sample", TensorProto.FLOAT, ["batch", "frames", 4, "height", "width"])],
    )


def tiny_temporal_decoder(channels: int = 32):
    """The VAE decoder (x8) over a clip's latents [frames, 4, h, w], mixing neighbouring frames."""
    from onnx import TensorProto, helper

    g = GraphBuilder(13)
    clip = g.op("Unsqueeze", [g.op("Shape", ["latent_sample"]), _ints(g, 0)])
    clip = g.op("Concat", [_ints(g, 1), _slice(g, g.op("Squeeze", [clip, _ints(g, 0)]), 0, 1)], axis=0)  # [1, F]
    x = _temporal(g, g.silu(g.conv("latent_sample", 4, channels)), clip, channels)
    for _ in range(3):
        x = g.silu(g.conv(g.op("Resize", [x, "", g.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest"), channels, channels))
    x = _temporal(g, x, clip, channels)
    g.op("Tanh", [g.conv(x, channels, 3)], output="sample")
    return g.model(
        [helper.make_tensor_value_info("latent_sample", TensorProto.FLOAT, ["frames", 4, "height", "width"])],
        [helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["frames", 3, "image_height", "image_width"])],
    )


def build_tiny(export: pathlib.Path) -> pathlib.Path:
    """Writes the tiny pipeline as an export directory (the layout `install` takes)."""
    models = {
        "image_encoder": tiny_image_encoder(),
        "unet": tiny_video_unet(),
        "vae_decoder": tiny_temporal_decoder(),
        "vae_encoder": tiny_vae_encoder(),
    }
    for part, model in models.items():
        (export / part).mkdir(parents=True, exist_ok=True)
        (export / part / "model.onnx").write_bytes(model.SerializeToString())
    return export


def install(export: pathlib.Path, repository: pathlib.Path, gpu: bool = False) -> None:
    found = validate(export, INTERFACES, files=(), kind="Stable Video Diffusion")
    install_models(export, repository, MODELS, found, gpu)
    print(f"installed {', '.join(MODELS.values())} into {repository}")


def main() -> None:
    command_line(__doc__.splitlines()[0], build_tiny, install, ".models/video-tiny", "Stable Video Diffusion")


if __name__ == "__main__":
    main()
