"""Data the course trains on, with no network access: synthetic sets, one real set, a loader.

* ``make_linear_regression``, ``make_moons``, ``make_spirals``: synthetic sets drawn from a
  seeded numpy Generator (the same seed gives the same tensors everywhere).
* ``load_digits``: the 1,797 8x8 handwritten digits of the UCI "Optical Recognition of
  Handwritten Digits" data set (Alpaydin & Kaynak, 1998; CC BY 4.0; DOI 10.24432/C50P49),
  shipped as ``course_lib/datasets/digits.npz`` (see ``DIGITS_LICENSE.txt`` there).
* ``train_val_split``: a seeded split into training and validation parts.
* ``TensorDataset`` and ``DataLoader``: the part of ``torch.utils.data`` a training loop
  uses (batches, shuffling that changes every epoch, ``drop_last``, ``len``).

Features are float32 and class labels int64, as torch's losses expect.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any

import numpy as np

from . import random as _random
from .tensor import Tensor

__all__ = [
    "DataLoader",
    "TensorDataset",
    "load_digits",
    "make_linear_regression",
    "make_moons",
    "make_spirals",
    "train_val_split",
]


def _check_count(name: str, value: Any, minimum: int = 1) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _check_noise(noise: float) -> float:
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    return float(noise)


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[Tensor, Tensor]:
    # Shuffle so that consecutive samples (and therefore unshuffled batches) mix classes.
    order = rng.permutation(len(X))
    return Tensor(X[order].astype(np.float32)), Tensor(y[order].astype(np.int64))


# ---------------------------------------------------------------- synthetic sets
def make_linear_regression(
    n: int = 100,
    n_features: int = 1,
    noise: float = 0.1,
    seed: int = 0,
    weight: Sequence[float] | None = None,
    bias: float = 0.5,
    return_coef: bool = False,
):
    r"""Points on a noisy hyperplane: :math:`y = X w + b + \epsilon`, :math:`\epsilon \sim N(0, \sigma^2)`.

    :math:`\sigma` is ``noise``.

    Args:
        n: number of samples.
        n_features: number of input features.
        noise: standard deviation of the Gaussian noise added to ``y``.
        seed: seed of the numpy Generator that draws everything.
        weight: the true weights ``w`` (length ``n_features``); by default drawn uniformly
            from [-2, 2] and rounded to one decimal, so they are easy to print.
        bias: the true bias ``b``.
        return_coef: also return ``w`` and ``b``.

    Returns:
        ``X`` float32 of shape ``(n, n_features)`` with standard normal entries and ``y``
        float32 of shape ``(n, 1)`` (the shape of ``nn.Linear(n_features, 1)``'s output, so
        ``MSELoss`` does not broadcast); with ``return_coef``, also ``w`` (float32 Tensor of
        shape ``(n_features,)``) and ``b`` (a float).
    """
    n, n_features = _check_count("n", n), _check_count("n_features", n_features)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    if weight is None:
        w = np.round(rng.uniform(-2.0, 2.0, n_features), 1)
    else:
        w = np.asarray(weight._data if isinstance(weight, Tensor) else weight, dtype=np.float64).reshape(-1)
        if w.shape != (n_features,):
            raise ValueError(f"weight has {w.size} values, expected n_features={n_features}")
    X = rng.standard_normal((n, n_features))
    y = X @ w + bias + noise * rng.standard_normal(n)
    X_t, y_t = Tensor(X.astype(np.float32)), Tensor(y.reshape(n, 1).astype(np.float32))
    if return_coef:
        return X_t, y_t, Tensor(w.astype(np.float32)), float(bias)
    return X_t, y_t


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[Tensor, Tensor]:
    r"""Two interleaving half circles, a classic non-linear two-class problem.

    Class 0: :math:`(\cos t, \sin t)`; class 1: :math:`(1 - \cos t, \tfrac12 - \sin t)`,
    :math:`t` evenly spaced in :math:`[0, \pi]`; then Gaussian noise of standard deviation
    ``noise`` on both coordinates, and the samples are shuffled.

    Returns:
        ``X`` float32 ``(n, 2)`` and ``y`` int64 ``(n,)`` with labels 0 and 1
        (``n // 2`` of class 0, the rest of class 1).
    """
    n, noise = _check_count("n", n, 2), _check_noise(noise)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n - n0)
    X = np.concatenate([
        np.stack([np.cos(t0), np.sin(t0)], axis=1),
        np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1),
    ])
    y = np.repeat([0, 1], [n0, n - n0])
    X = X + noise * rng.standard_normal(X.shape)
    return _shuffled(rng, X, y)


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[Tensor, Tensor]:
    r"""Interleaved spiral arms, one per class (the CS231n spiral data).

    Arm :math:`k` has radius :math:`r` evenly spaced in :math:`[0, 1]` and angle
    :math:`\theta = 4k + 4r + \text{noise} \cdot N(0, 1)`; a point is
    :math:`(r \sin\theta, r \cos\theta)`. The samples are shuffled.

    Returns:
        ``X`` float32 ``(n, 2)`` and ``y`` int64 ``(n,)`` with labels ``0 .. classes - 1``
        (``n // classes`` per class, the first ``n % classes`` classes one more).
    """
    n, classes = _check_count("n", n), _check_count("classes", classes)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    sizes = [n // classes + (k < n % classes) for k in range(classes)]
    points, labels = [], []
    for k, size in enumerate(sizes):
        r = np.linspace(0.0, 1.0, size)
        theta = 4.0 * k + 4.0 * r + noise * rng.standard_normal(size)
        points.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        labels.append(np.full(size, k))
    return _shuffled(rng, np.concatenate(points), np.concatenate(labels))


# ---------------------------------------------------------------- the real data set
def load_digits(flatten: bool = True) -> tuple[Tensor, Tensor]:
    """The 1,797 handwritten digits (8x8 pixels) shipped with course_lib.

    Source: UCI Machine Learning Repository, "Optical Recognition of Handwritten Digits"
    (E. Alpaydin, C. Kaynak, 1998), test set; licence CC BY 4.0; cite as
    Alpaydin, E. & Kaynak, C. (1998), https://doi.org/10.24432/C50P49. The file is
    ``course_lib/datasets/digits.npz``; nothing is downloaded.

    Args:
        flatten: return images as rows of 64 pixels; ``False`` keeps them ``(8, 8)``.

    Returns:
        ``X`` float32, pixel counts 0..16 divided by 16 (so in [0, 1]), of shape
        ``(1797, 64)`` (or ``(1797, 8, 8)``), and ``y`` int64 ``(1797,)``, the digits 0..9.
    """
    with resources.files("course_lib").joinpath("datasets/digits.npz").open("rb") as file:
        with np.load(file) as data:
            images, labels = data["images"], data["labels"]
    X = images.astype(np.float32) / np.float32(16.0)
    if flatten:
        X = X.reshape(len(X), 64)
    return Tensor(X), Tensor(labels.astype(np.int64))


def train_val_split(*arrays, val_fraction: float = 0.2, seed: int = 0) -> list:
    """Split tensors (or arrays) with the same first dimension into training and validation parts.

    The same random permutation (numpy Generator seeded with ``seed``) is applied to every
    input; the last ``round(val_fraction * n)`` shuffled samples form the validation part.

    Returns:
        ``[a_train, a_val, b_train, b_val, ...]`` in the order of the inputs (as
        scikit-learn's ``train_test_split``): ``X_train, X_val, y_train, y_val =
        train_val_split(X, y)``. Tensors come back as tensors, arrays as arrays.
    """
    if not arrays:
        raise ValueError("train_val_split needs at least one tensor")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"all inputs must have the same first dimension, got {[len(a) for a in arrays]}")
    n_val = int(round(val_fraction * n))
    if n_val == 0 or n_val == n:
        raise ValueError(f"val_fraction={val_fraction} of {n} samples leaves an empty part")
    order = np.random.default_rng(seed).permutation(n)
    train_idx, val_idx = order[: n - n_val], order[n - n_val :]
    parts = []
    for a in arrays:
        if isinstance(a, Tensor):
            parts += [Tensor(a._data[train_idx]), Tensor(a._data[val_idx])]
        else:
            a = np.asarray(a)
            parts += [a[train_idx], a[val_idx]]
    return parts


# ---------------------------------------------------------------- datasets and loader
class TensorDataset:
    """Samples are the i-th rows of the given tensors: ``dataset[i] == (X[i], y[i])``.

    As ``torch.utils.data.TensorDataset``; the rows come back as new tensors that do not
    record gradients (a data set holds inputs, not parameters).
    """

    def __init__(self, *tensors: Tensor):
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset expects Tensors, got {type(t).__name__}; "
                    "help: wrap numpy arrays with course_lib.from_numpy(array)."
                )
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError(f"Size mismatch between tensors: {[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index) -> tuple[Tensor, ...]:
        return tuple(Tensor(np.array(t._data[index])) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0] if self.tensors else 0


def default_collate(samples: list) -> Any:
    """Stack a list of samples into a batch, as torch's ``default_collate``.

    Tensors are stacked along a new first dimension, Python floats become a float64
    tensor and ints an int64 tensor; tuples and lists are collated position by position
    into a list (so a batch of ``(x, y)`` samples is ``[X, Y]``, as in torch).
    """
    first = samples[0]
    if isinstance(first, Tensor):
        return Tensor(np.stack([s._data for s in samples]))
    if isinstance(first, (tuple, list)):
        return [default_collate(list(column)) for column in zip(*samples)]
    if isinstance(first, (bool, np.bool_)):
        return Tensor(np.array(samples, dtype=np.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor(np.array(samples, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor(np.array(samples, dtype=np.float64))
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(samples))
    raise TypeError(
        f"default_collate: batch must contain tensors, numbers, tuples or lists; found {type(first).__name__}"
    )


class DataLoader:
    """Iterate over a dataset in batches: ``for X_batch, y_batch in loader: ...``.

    Each batch is a list ``[X_batch, y_batch, ...]`` of tensors whose first dimension is
    the batch (torch's ``default_collate`` also returns a list for tuple samples).

    As ``torch.utils.data.DataLoader`` with the options a training loop needs. With
    ``shuffle=True`` every epoch (every ``iter(loader)``) draws a new order: from a numpy
    Generator seeded with ``seed`` (so the sequence of epochs is reproducible), or, when
    ``seed`` is None, from course_lib's generator (reproducible after ``manual_seed``).

    Args:
        dataset: anything with ``len()`` and ``dataset[i]`` (e.g. a :class:`TensorDataset`).
        batch_size: samples per batch.
        shuffle: reshuffle the samples at the start of every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        seed: seed of the loader's own generator (course_lib's own option; torch takes a
            ``generator``).

    ``len(loader)`` is the number of batches: ``ceil(N / batch_size)``, or
    ``floor(N / batch_size)`` with ``drop_last``.
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        *,  # torch has seven other options before drop_last: keywords keep calls portable
        drop_last: bool = False,
        seed: int | None = None,
    ):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._generator = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self._generator if self._generator is not None else _random.generator()
        return rng.permutation(n)

    def __iter__(self) -> Iterator:
        order = self._order()
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            if type(self.dataset) is TensorDataset:
                yield list(self.dataset[index])  # one fancy-indexing per tensor, no Python loop
            else:
                yield default_collate([self.dataset[int(i)] for i in index])
