"""The diffusion arithmetic, the CLIP tokenizer and the model installer, without servers."""

import json

import numpy as np
import onnxruntime
import pytest

from deploy.models import diffusion as installer
from services.inference.pipeline import diffusion as sd
from services.inference.pipeline.tokenizer import BOS, EOS, ClipTokenizer


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return installer.build_tiny(tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def tokenizer(export):
    return ClipTokenizer.load(export / "tokenizer")


def test_tokenizer_frames_pads_and_cuts(tokenizer):
    ids = tokenizer.encode("A photo of the sunset")
    assert len(ids) == 77 and ids[0] == tokenizer.bos and ids[-1] == tokenizer.eos
    words = tokenizer.tokens("a photo of the sunset")
    assert ids[1 : 1 + len(words)] == words and all(i == tokenizer.eos for i in ids[1 + len(words) :])
    assert len(tokenizer.encode("word " * 500)) == 77
    assert tokenizer.encode("Photo  OF the\nsunset") == tokenizer.encode("photo of the sunset")


def test_bpe_merges_learnt_words_and_spells_unknown_ones(tokenizer):
    vocab = {i: s for s, i in tokenizer.vocab.items()}
    assert [vocab[i] for i in tokenizer.tokens("photo")] == ["photo</w>"]  # in the corpus: one token
    pieces = [vocab[i] for i in tokenizer.tokens("zyx")]
    assert "".join(pieces).replace("</w>", "") == "zyx" and pieces[-1].endswith("</w>")
    assert tokenizer.tokens("héllo!") and BOS in tokenizer.vocab and EOS in tokenizer.vocab


@pytest.mark.parametrize("kind", ["ddim", "euler"])
def test_a_sampler_given_the_true_noise_recovers_the_clean_latent(kind):
    """With a perfect noise prediction every sampler must land on the clean latent."""
    clean = sd.noise(1, (1, 4, 8, 8))
    noise = sd.noise(2, (1, 4, 8, 8))
    sampler = sd.Sampler(kind, 20)
    latent = sampler.initial(noise)
    latent = sampler.noised(clean, noise, sampler.times[0])
    for index in range(20):
        latent = sampler.step(latent, noise, index)
    assert np.abs(latent - clean).max() < 1e-3


def test_guidance_and_schedules():
    assert np.allclose(sd.guided(np.zeros(3), np.ones(3), 7.5), 7.5)
    assert list(sd.timesteps(10)) == [901, 801, 701, 601, 501, 401, 301, 201, 101, 1]
    assert sd.start_index(30, 0.6) == 12 and sd.start_index(30, 1.0) == 0
    assert 0.99 < sd.ALPHAS[0] < 1 and sd.ALPHAS[-1] < 0.01
    assert np.array_equal(sd.noise(7, (2, 3)), sd.noise(7, (2, 3))) and not np.array_equal(sd.noise(7, (2, 3)), sd.noise(8, (2, 3)))


def test_latent_mask_marks_every_cell_a_masked_pixel_touches():
    mask = np.zeros((32, 48), np.float32)
    mask[9, 17] = 1
    cells = sd.latent_mask(mask)
    assert cells.shape == (1, 1, 4, 6) and cells.sum() == 1 and cells[0, 0, 1, 2] == 1


@pytest.mark.parametrize(("direction", "shape"), [("right", (20, 42)), ("left", (20, 42)), ("top", (30, 32)), ("bottom", (30, 32))])
def test_outpaint_canvas(direction, shape):
    image = np.random.default_rng(0).integers(0, 255, (20, 32, 3), dtype=np.uint8)
    canvas, mask = sd.outpaint_canvas(image, direction, 10)
    assert canvas.shape[:2] == mask.shape == shape
    assert mask.sum() == 10 * (20 if direction in ("left", "right") else 32)
    kept = canvas[mask == 0].reshape(image.shape)
    assert np.array_equal(kept, image)


def test_tiny_models_keep_stable_diffusion_interfaces(export):
    for part, (inputs, outputs) in installer.INTERFACES.items():
        session = onnxruntime.InferenceSession(str(export / part / "model.onnx"), providers=["CPUExecutionProvider"])
        assert [i.name for i in session.get_inputs()] == list(inputs)
        assert [o.name for o in session.get_outputs()] == list(outputs)
    unet = onnxruntime.InferenceSession(str(export / "unet" / "model.onnx"), providers=["CPUExecutionProvider"])
    out = unet.run(None, {"sample": np.ones((2, 4, 16, 24), np.float32), "timestep": np.array([1, 500], np.float32), "encoder_hidden_states": np.zeros((2, 77, 32), np.float32)})[0]
    assert out.shape == (2, 4, 16, 24) and np.isfinite(out).all()
    decoder = onnxruntime.InferenceSession(str(export / "vae_decoder" / "model.onnx"), providers=["CPUExecutionProvider"])
    assert decoder.run(None, {"latent_sample": np.zeros((1, 4, 8, 8), np.float32)})[0].shape == (1, 3, 64, 64)


def test_install_writes_triton_configs_and_the_tokenizer(export, tmp_path):
    installer.install(export, tmp_path, gpu=True)
    for name in installer.MODELS.values():
        config = (tmp_path / name / "config.pbtxt").read_text()
        assert f'name: "{name}"' in config and "KIND_GPU" in config and "max_batch_size: 0" in config
        assert (tmp_path / name / "1" / "model.onnx").is_file()
    assert 'name: "input_ids" data_type: TYPE_INT32' in (tmp_path / "diffusion-text-encoder" / "config.pbtxt").read_text()
    assert json.loads((tmp_path / "diffusion-text-encoder" / "tokenizer" / "vocab.json").read_text())


def test_install_refuses_an_incomplete_export_and_says_what_is_wrong(export, tmp_path):
    import shutil

    broken = tmp_path / "export"
    shutil.copytree(export, broken)
    shutil.rmtree(broken / "vae_encoder")
    (broken / "tokenizer" / "merges.txt").unlink()
    with pytest.raises(SystemExit) as refused:
        installer.install(broken, tmp_path / "repository")
    assert "vae_encoder/ is missing" in str(refused.value) and "tokenizer/merges.txt is missing" in str(refused.value)
    assert not (tmp_path / "repository").exists()
