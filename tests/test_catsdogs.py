"""hw2.catsdogs (and the data and model modules beside it): the model's structure, the
split, the stored images, the augmentation, predict on odd images, a smoke run."""

from __future__ import annotations

import inspect
import shutil

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from hw2 import catsdogs, catsdogs_data, catsdogs_model


def _floats(*shape: int) -> st.SearchStrategy:
    """float32 tensors of ``shape``; hypothesis shrinks their entries towards 0."""
    elements = st.floats(-3, 3, allow_nan=False, allow_subnormal=False, width=32)
    return arrays(np.float32, shape, elements=elements).map(torch.from_numpy)


@given(_floats(2, 8, 6, 6))
def test_residual_block_adds_its_input(x):
    block = catsdogs.ResidualBlock(8, 8).eval()
    # Zero the residual branch: the block must reduce to relu(x).
    for p in [block.bn2.weight, block.bn2.bias]:
        torch.nn.init.zeros_(p)
    with torch.no_grad():
        torch.testing.assert_close(block(x), torch.relu(x))


def test_projection_shortcut_when_shape_changes():
    block = catsdogs.ResidualBlock(8, 16, stride=2)
    assert isinstance(block.shortcut, torch.nn.Sequential)
    assert block(torch.randn(1, 8, 10, 10)).shape == (1, 16, 5, 5)


@pytest.mark.parametrize("size, stem", [(64, 1), (112, 2)])
def test_model_shapes(size, stem):
    model = catsdogs.ResNet(width=8, image_size=size, stem_stride=stem)
    assert model(torch.randn(3, 3, size, size)).shape == (3, 2)
    kinds = {type(m) for m in model.modules()}
    assert {
        torch.nn.Conv2d,
        torch.nn.BatchNorm2d,
        torch.nn.ReLU,
        torch.nn.MaxPool2d,
        torch.nn.Linear,
        catsdogs.ResidualBlock,
    } <= kinds


def test_recipe_is_one_object():
    assert inspect.signature(catsdogs.train).parameters["recipe"].default is catsdogs.RECIPE
    assert catsdogs.RECIPE == catsdogs.Recipe()
    with pytest.raises(ValueError, match="tta"):
        catsdogs.Recipe(tta="mirror")
    with pytest.raises(TypeError, match="recipe"):
        catsdogs.train({"epochs": 1}, use_cache=False)


def test_feature_maps_at_named_depths():
    model = catsdogs.ResNet(width=8, image_size=64, stem_stride=2).eval()
    x = torch.randn(2, 3, 64, 64)
    maps = model.feature_maps(x)
    assert list(maps) == ["stem", "stage 1", "stage 2", "stage 3", "stage 4"]
    assert maps["stem"].shape == (2, 8, 16, 16) and maps["stage 4"].shape == (2, 64, 2, 2)
    with torch.no_grad():
        torch.testing.assert_close(model.head(model.pool(maps["stage 4"]).flatten(1)), model(x))


def test_split_is_disjoint_and_reproducible(tmp_path, make_folder):
    root = make_folder(tmp_path)
    _, val, test = catsdogs.folder_datasets(root)
    _, val2, test2 = catsdogs.folder_datasets(root)
    assert len(val) == len(test) == 12
    assert not set(val.indices) & set(test.indices)
    assert list(val.indices) == list(val2.indices) and list(test.indices) == list(test2.indices)
    _, val3, _ = catsdogs.folder_datasets(root, split_seed=0)
    assert list(val3.indices) != list(val.indices)


def test_folder_datasets_rejects_other_layouts(tmp_path):
    (tmp_path / "train" / "birds").mkdir(parents=True)
    (tmp_path / "validation" / "birds").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "train" / "birds" / "a.jpg")
    Image.new("RGB", (4, 4)).save(tmp_path / "validation" / "birds" / "a.jpg")
    with pytest.raises(ValueError, match="cats/ and dogs/"):
        catsdogs.folder_datasets(tmp_path)


@pytest.fixture(scope="module")
def small_model():
    torch.manual_seed(0)
    return catsdogs.ResNet(width=8, image_size=32).eval()


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (1, 1), (200, 10, 10)),
        Image.new("RGB", (3000, 2000), (10, 200, 10)),
        Image.new("L", (50, 80), 128),
        Image.new("RGBA", (64, 48), (0, 0, 255, 0)),
        Image.new("P", (20, 20)),
        Image.new("1", (17, 9)),
    ],
)
def test_predict_accepts_any_image(small_model, image):
    assert catsdogs.predict(small_model, [image]) in (["cat"], ["dog"])


def test_predict_is_deterministic_and_batched(small_model):
    images = [Image.new("RGB", (40, 40), (i * 40, 100, 50)) for i in range(5)]
    first = catsdogs.predict(small_model, images)
    assert first == catsdogs.predict(small_model, images)
    assert len(first) == 5
    assert catsdogs.predict(small_model, images[0]) == first[:1]
    assert catsdogs.predict(small_model, []) == []


@pytest.mark.parametrize("bad", ["cat.jpg", [np.zeros((4, 4, 3))], 3, [None]])
def test_predict_rejects_non_images(small_model, bad):
    with pytest.raises(TypeError, match="PIL image"):
        catsdogs.predict(small_model, bad)


def test_training_smoke(tmp_path, make_folder, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path / "cache"))
    root = make_folder(tmp_path / "data")
    threads = torch.get_num_threads()
    recipe = catsdogs.Recipe(epochs=2, size=32, store=36, width=8, batch_size=8)
    model, history = catsdogs.train(recipe, data_dir=str(root), show=False, threads=1)
    assert torch.get_num_threads() == threads  # restored
    assert model.store_size == 36 and model.tta == recipe.tta
    assert len(history.train_loss) == len(history.val_acc) == 2
    assert 0.0 <= history.test_acc <= 1.0
    assert history.test_probs.shape == (12, 2)
    assert not model.training
    images = [Image.open(root / f) for f in history.test_files[:3]]
    assert len(catsdogs.predict(model, images)) == 3
    # The compute spent: every step's FLOPs, 2 epochs of the 24 training images' 3 batches.
    per_image = catsdogs.step_flops(model, recipe.size, recipe.batch_size)
    assert history.train_flops == pytest.approx(per_image * 2 * 24)
    assert history.precision == catsdogs.pick_precision(None, "cpu")


@pytest.mark.parametrize("precision", catsdogs.PRECISIONS)
def test_training_in_each_precision(tmp_path, make_folder, precision):
    root = make_folder(tmp_path / "data")
    recipe = catsdogs.Recipe(epochs=1, size=32, store=36, width=8, batch_size=8)
    model, history = catsdogs.train(
        recipe, data_dir=str(root), threads=1, device="cpu", precision=precision, use_cache=False
    )
    assert history.precision == precision and np.isfinite(history.train_loss).all()
    assert next(model.parameters()).dtype == torch.float32  # autocast keeps fp32 weights


def test_precision_is_bf16_only_where_the_processor_has_bf16(monkeypatch):
    for native in (True, False):
        monkeypatch.setattr(catsdogs_model, "native_bf16", lambda native=native: native)
        assert catsdogs.pick_precision(None, "cpu") == ("bf16" if native else "fp32")
        assert catsdogs.pick_precision("fp32", "cpu") == "fp32"  # asked for: kept
    assert catsdogs.pick_precision(None, "meta") == "fp32"
    with pytest.raises(ValueError, match="precision"):
        catsdogs.pick_precision("fp16", "cpu")


def test_step_flops_counts_forward_and_weight_gradients():
    # A linear model on 3x4x4 images: 2*48*2 FLOPs forward and as many for the weight
    # gradient, per image (no gradient for the input).
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 2))
    assert catsdogs.step_flops(model, 4, 5) == 2 * (2 * 48 * 2)
    with pytest.raises(ValueError, match="batch_size"):
        catsdogs.step_flops(model, 4, 0)


def reference_augment(x, size, generator):
    """The augmentation as first written: affine_grid, grid_sample, then brightness,
    contrast and saturation one after the other."""
    n = x.shape[0]

    def uniform(low, high):
        return low + (high - low) * torch.rand(n, generator=generator)

    x = x.float() / 255
    scale, aspect = uniform(0.70, 1.0), torch.exp(uniform(-0.2, 0.2))
    angle = uniform(-15, 15) * torch.pi / 180
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    sx, sy = scale * aspect.sqrt(), scale / aspect.sqrt()
    tx, ty = uniform(-1, 1) * (1 - sx).clamp(min=0), uniform(-1, 1) * (1 - sy).clamp(min=0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [
            torch.stack([sx * cos * flip, -sy * sin, tx], 1),
            torch.stack([sx * sin * flip, sy * cos, ty], 1),
        ],
        1,
    )
    grid = torch.nn.functional.affine_grid(theta, (n, 3, size, size), align_corners=False)
    x = torch.nn.functional.grid_sample(
        x, grid, mode="bilinear", padding_mode="reflection", align_corners=False
    )
    x = x * uniform(0.75, 1.25).view(n, 1, 1, 1)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * uniform(0.75, 1.25).view(n, 1, 1, 1) + mean
    gray = x.mean(dim=1, keepdim=True)
    x = (x - gray) * uniform(0.75, 1.25).view(n, 1, 1, 1) + gray
    return catsdogs_data._normalise(x.clamp(0, 1))


@given(
    arrays(np.uint8, st.tuples(st.integers(1, 4), st.just(3), st.integers(8, 24), st.just(20))),
    st.integers(4, 37),
    st.integers(0, 2**32 - 1),
)
def test_augment_is_the_warp_and_jitter_it_describes(images, size, seed):
    x = torch.from_numpy(images)
    got = catsdogs.augment(x, size, torch.Generator().manual_seed(seed))
    want = reference_augment(x, size, torch.Generator().manual_seed(seed))
    assert got.shape == (len(x), 3, size, size) and got.is_contiguous(
        memory_format=torch.channels_last
    )
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("bad", [torch.zeros(3, 8, 8, dtype=torch.uint8), np.zeros((1, 3, 8, 8))])
def test_augment_rejects_what_is_not_a_batch_of_images(bad):
    with pytest.raises(ValueError, match="x must"):
        catsdogs.augment(bad, 8, torch.Generator())


def test_load_tensors_stores_every_image_once(tmp_path, make_folder, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path / "cache"))
    root = make_folder(tmp_path / "data")
    data = catsdogs.load_tensors(str(root), store=20)
    _, val, test = catsdogs.folder_datasets(root)
    for (images, labels), files, n in [
        (data.train, data.train_files, 24),
        (data.val, data.val_files, len(val)),
        (data.test, data.test_files, len(test)),
    ]:
        assert images.shape == (n, 3, 20, 20) and images.dtype == torch.uint8
        assert labels.tolist() == [int(f.split("/")[1] == "dogs") for f in files]
        assert all((root / f).is_file() for f in files)
    assert set(data.test_files).isdisjoint(data.val_files)


def test_trained_results_follow_the_data_not_its_folder(tmp_path, make_folder, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path / "cache"))
    root = make_folder(tmp_path / "data")
    recipe = catsdogs.Recipe(epochs=1, size=32, store=36, width=8, batch_size=8)
    _, first = catsdogs.train(recipe, data_dir=str(root), threads=1, device="cpu")
    moved = tmp_path / "elsewhere" / "data"
    shutil.copytree(root, moved)
    shutil.rmtree(root)
    calls = []
    monkeypatch.setattr(catsdogs, "_train", lambda *a: calls.append(a))
    _, again = catsdogs.train(recipe, data_dir=str(moved), threads=1, device="cpu", show=True)
    assert calls == []  # the same data elsewhere, and show: the cached run, not a new one
    assert again.test_acc == first.test_acc
    assert all((moved / f).is_file() for f in again.test_files)


def test_training_runs_on_each_device(tmp_path, make_folder, monkeypatch, device):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path / "cache"))
    root = make_folder(tmp_path / "data")
    recipe = catsdogs.Recipe(epochs=1, size=32, store=36, width=8, batch_size=8)
    model, history = catsdogs.train(
        recipe, data_dir=str(root), threads=1, device=device, use_cache=False
    )
    assert next(model.parameters()).device.type == "cpu"  # returned on the CPU
    assert np.isfinite(history.train_loss).all()
