"""Exact comparison of saved and loaded state trees, shared by the serialization tests."""
from __future__ import annotations

import math

import numpy as np

import course_lib


def assert_same(a, b):
    """Exact equality, including types (int vs float, tuple vs list, Tensor dtype)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        assert [type(k) for k in a] == [type(k) for k in b]
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, course_lib.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    elif isinstance(a, float):
        assert a.hex() == b.hex()  # bit for bit
    else:
        assert a == b
