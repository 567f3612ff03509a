"""One comparison of two optimizer runs, shared by the reference tests of every optimizer.

A run is what the generators in ``tests/reference/gen_*.py`` record: ``{"params": [flat
parameters after each checkpoint], "state": {index: {key: flat values}}}``, optionally with
``"shapes"`` (the state tensors' shapes) and ``"eval_params"`` (schedule-free's average).
"""
from __future__ import annotations

import numpy as np


def assert_run_matches(got: dict, want: dict, checkpoints: list[int], rtol: float, atol: float,
                       state_rtol: float | None = None) -> None:
    """Parameters at each checkpoint, the state's keys in torch's order (``step`` exactly, every
    other value at ``state_rtol``, ``rtol`` by default), then the shapes and eval parameters."""
    for checkpoint, (g, w) in enumerate(zip(got["params"], want["params"], strict=True)):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"parameters after step {checkpoints[checkpoint]}")
    assert {k: list(v) for k, v in got["state"].items()} == {k: list(v) for k, v in want["state"].items()}, \
        "state keys (or their order) differ"
    for index, buffers in want["state"].items():
        for key, value in buffers.items():
            if key == "step":
                assert got["state"][index][key] == value, f"state[{index}]['step']"
            else:
                np.testing.assert_allclose(got["state"][index][key], value, rtol=state_rtol or rtol, atol=atol,
                                           err_msg=f"state[{index}][{key!r}]")
    if "shapes" in want:
        assert got["shapes"] == want["shapes"], "state shapes differ"
    if "eval_params" in want:
        np.testing.assert_allclose(got["eval_params"], want["eval_params"], rtol=rtol, atol=atol, err_msg="eval params")
