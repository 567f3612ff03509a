"""``course_lib.data``: seeded synthetic sets, the shipped digits, the split, the DataLoader."""
from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest

import course_lib
from course_lib import data
from course_lib.data import DataLoader, TensorDataset


# ---------------------------------------------------------------- synthetic sets
def test_make_linear_regression_without_noise_lies_on_the_plane():
    X, y, w, b = data.make_linear_regression(50, n_features=3, noise=0.0, seed=1, return_coef=True)
    assert X.shape == (50, 3) and y.shape == (50, 1)
    assert X.dtype == course_lib.float32 and y.dtype == course_lib.float32
    np.testing.assert_allclose(y._data[:, 0], X._data @ w._data + b, rtol=1e-5, atol=1e-5)
    assert np.all(np.abs(w._data) <= 2.0)


def test_make_linear_regression_noise_has_the_requested_spread():
    X, y, w, b = data.make_linear_regression(20000, noise=0.3, seed=0, weight=[1.5], bias=-1.0, return_coef=True)
    residual = y._data[:, 0] - (X._data[:, 0] * 1.5 - 1.0)
    assert w.tolist() == [1.5] and b == -1.0
    assert abs(residual.std() - 0.3) < 0.01 and abs(residual.mean()) < 0.01


def test_synthetic_sets_are_reproducible_from_the_seed():
    for make in (data.make_linear_regression, data.make_moons, data.make_spirals):
        first, again, other = make(seed=3), make(seed=3), make(seed=4)
        assert all(np.array_equal(a._data, b._data) for a, b in zip(first, again))
        assert not np.array_equal(first[0]._data, other[0]._data)


def test_make_moons_without_noise_lies_on_two_half_circles():
    X, y = data.make_moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and y.dtype == course_lib.int64
    assert np.bincount(y._data).tolist() == [50, 51]
    x0, x1 = X._data[y._data == 0], X._data[y._data == 1]
    np.testing.assert_allclose(np.hypot(x0[:, 0], x0[:, 1]), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(x1[:, 0] - 1.0, x1[:, 1] - 0.5), 1.0, rtol=1e-6)
    assert np.all(x0[:, 1] >= -1e-7) and np.all(x1[:, 1] <= 0.5 + 1e-7)
    assert len(set(y._data[:10].tolist())) == 2  # shuffled: classes are mixed


def test_make_spirals_without_noise_follows_the_arms():
    X, y = data.make_spirals(301, classes=3, noise=0.0, seed=0)
    assert X.shape == (301, 2) and np.bincount(y._data).tolist() == [101, 100, 100]
    r = np.hypot(X._data[:, 0], X._data[:, 1])
    theta = np.arctan2(X._data[:, 0], X._data[:, 1])  # point = (r sin t, r cos t)
    expected = 4.0 * y._data + 4.0 * r
    gap = np.angle(np.exp(1j * (theta - expected)))  # difference modulo 2 pi
    np.testing.assert_allclose(gap[r > 1e-3], 0.0, atol=1e-4)
    assert r.max() <= 1.0 + 1e-6


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: data.make_moons(0), ValueError),
        (lambda: data.make_moons(10, noise=-1.0), ValueError),
        (lambda: data.make_spirals(10, classes=0), ValueError),
        (lambda: data.make_linear_regression(10.5), TypeError),
        (lambda: data.make_linear_regression(10, n_features=2, weight=[1.0]), ValueError),
    ],
)
def test_synthetic_sets_reject_bad_arguments(call, error):
    with pytest.raises(error):
        call()


# ---------------------------------------------------------------- digits
def test_load_digits_shapes_dtypes_and_scaling():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == course_lib.float32
    assert y.shape == (1797,) and y.dtype == course_lib.int64
    assert X._data.min() == 0.0 and X._data.max() == 1.0
    np.testing.assert_array_equal(X._data * 16, np.round(X._data * 16))  # counts 0..16 over 16
    assert data.load_digits(flatten=False)[0].shape == (1797, 8, 8)


def test_digits_file_matches_the_uci_description():
    # Class counts of optdigits.tes as listed in the UCI data set's description.
    _, y = data.load_digits()
    assert np.bincount(y._data).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    package = resources.files("course_lib") / "datasets"
    assert len((package / "digits.npz").read_bytes()) < 100_000  # compressed, ships with the package
    licence = (package / "DIGITS_LICENSE.txt").read_text()
    assert "CC BY 4.0" in licence and "10.24432/C50P49" in licence and "Alpaydin" in licence


def test_digits_match_scikit_learn_when_installed():
    datasets = pytest.importorskip("sklearn.datasets")
    reference = datasets.load_digits()
    X, y = data.load_digits()
    np.testing.assert_array_equal(X._data * 16, reference.data)
    np.testing.assert_array_equal(y._data, reference.target)


# ---------------------------------------------------------------- split
def test_train_val_split_is_a_seeded_partition():
    X = course_lib.from_numpy(np.arange(20.0, dtype=np.float32).reshape(10, 2))
    y = course_lib.from_numpy(np.arange(10))
    X_train, X_val, y_train, y_val = data.train_val_split(X, y, val_fraction=0.3, seed=0)
    assert X_train.shape == (7, 2) and X_val.shape == (3, 2) and y_val.shape == (3,)
    assert sorted(y_train.tolist() + y_val.tolist()) == list(range(10))
    np.testing.assert_array_equal(X_train._data[:, 0], 2 * y_train._data)  # rows stay paired
    again = data.train_val_split(X, y, val_fraction=0.3, seed=0)
    assert again[3].tolist() == y_val.tolist()
    assert data.train_val_split(X, y, val_fraction=0.3, seed=1)[3].tolist() != y_val.tolist()
    arrays = data.train_val_split(np.arange(10), val_fraction=0.5)
    assert all(isinstance(a, np.ndarray) for a in arrays)


def test_train_val_split_rejects_bad_fractions_and_lengths():
    with pytest.raises(ValueError, match="val_fraction"):
        data.train_val_split(np.arange(10), val_fraction=1.0)
    with pytest.raises(ValueError, match="empty"):
        data.train_val_split(np.arange(3), val_fraction=0.01)
    with pytest.raises(ValueError, match="same first dimension"):
        data.train_val_split(np.arange(3), np.arange(4))


# ---------------------------------------------------------------- dataset and loader
def make_dataset(n=10):
    X = course_lib.from_numpy(np.arange(2 * n, dtype=np.float32).reshape(n, 2))
    y = course_lib.from_numpy(np.arange(n))
    return TensorDataset(X, y)


def test_tensor_dataset_len_and_indexing():
    dataset = make_dataset()
    assert len(dataset) == 10
    x, y = dataset[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(course_lib.zeros(3), course_lib.zeros(4))
    with pytest.raises(TypeError, match="from_numpy"):
        TensorDataset(np.zeros(3))


@pytest.mark.parametrize(("n", "batch_size", "drop_last"), [(10, 3, False), (10, 3, True), (9, 3, True), (4, 8, False)])
def test_loader_len_is_torchs(n, batch_size, drop_last):
    loader = DataLoader(make_dataset(n), batch_size=batch_size, drop_last=drop_last)
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == expected == len(list(loader))


def test_loader_yields_tuples_of_tensors_in_order_without_shuffle():
    batches = list(DataLoader(make_dataset(), batch_size=4))
    assert [tuple(b[0].shape) for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert all(isinstance(b, list) and isinstance(b[1], course_lib.Tensor) for b in batches)  # as torch
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][1].dtype == course_lib.int64


def test_loader_shuffle_is_a_new_permutation_each_epoch_and_reproducible():
    def epochs(seed):
        loader = DataLoader(make_dataset(), batch_size=3, shuffle=True, seed=seed)
        return [sum((b[1].tolist() for b in loader), []) for _ in range(3)]

    first = epochs(seed=0)
    assert all(sorted(order) == list(range(10)) for order in first)
    assert first[0] != first[1]  # reshuffled every epoch
    assert epochs(seed=0) == first  # the same seed replays the same epochs
    assert epochs(seed=1) != first


def test_loader_without_seed_follows_manual_seed():
    def one_epoch():
        course_lib.manual_seed(0)
        return [b[1].tolist() for b in DataLoader(make_dataset(), batch_size=5, shuffle=True)]

    assert one_epoch() == one_epoch()


def test_loader_shuffle_keeps_rows_paired():
    for X, y in DataLoader(make_dataset(), batch_size=4, shuffle=True, seed=0):
        np.testing.assert_array_equal(X._data[:, 0], 2 * y._data)


def test_loader_collates_a_plain_dataset_like_torch():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return course_lib.tensor([float(i)]), i * i, 0.5 * i

    x, target, half = next(iter(DataLoader(Squares(), batch_size=3)))
    assert x.shape == (3, 1) and target.tolist() == [0, 1, 4] and half.tolist() == [0.0, 0.5, 1.0]
    assert target.dtype == course_lib.int64 and half.dtype == course_lib.float64


def test_loader_rejects_a_bad_batch_size_in_torchs_words():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(make_dataset(), batch_size=0)


def test_loader_batches_match_torch_live():
    torch = pytest.importorskip("torch")
    X = np.arange(14, dtype=np.float32).reshape(7, 2)
    y = np.arange(7)
    ours = list(DataLoader(TensorDataset(course_lib.from_numpy(X), course_lib.from_numpy(y)), batch_size=3))
    theirs = list(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=3))
    assert len(ours) == len(theirs) and type(ours[0]) is type(theirs[0])
    for (x1, y1), (x2, y2) in zip(ours, theirs):
        np.testing.assert_array_equal(x1._data, x2.numpy())
        np.testing.assert_array_equal(y1._data, y2.numpy())
