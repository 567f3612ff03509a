"""course_lib.save / course_lib.load: exact round trips in a safe format, clear errors otherwise."""
from __future__ import annotations

import io
import math
import pickle
import zipfile

import numpy as np
import pytest

import course_lib
from saved_trees import assert_same
from course_lib import nn


def adam_like_state_dict():
    """The shape of an Adam state_dict: int keys, tuples, tensors, floats, bools, None."""
    return {
        "state": {
            0: {"step": course_lib.tensor(3.0), "exp_avg": course_lib.randn(2, 3), "exp_avg_sq": course_lib.rand(2, 3)},
            1: {"step": course_lib.tensor(3.0), "exp_avg": course_lib.randn(3), "exp_avg_sq": course_lib.rand(3)},
        },
        "param_groups": [
            {
                "lr": 0.001,
                "betas": (0.9, 0.999),
                "eps": 1e-08,
                "weight_decay": 0,
                "amsgrad": False,
                "maximize": False,
                "foreach": None,
                "capturable": False,
                "params": [0, 1],
            }
        ],
    }


def scheduler_like_state_dict():
    return {
        "best": math.inf,
        "last_epoch": 7,
        "base_lrs": [0.1, 0.01],
        "_last_lr": [0.1 * 0.95**7, 1 / 3],
        "cooldown_counter": 0,
        "mode": "min",
        "eps": 1e-8,
        "worst": -math.inf,
        "_schedulers": [{"gamma": 0.5, "milestones": {3: 1, 6: 2}}, {"factors": [[1, 2.5], []], "name": None}],
        "verbose": False,
    }


@pytest.mark.parametrize("make", [adam_like_state_dict, scheduler_like_state_dict])
def test_state_dicts_round_trip_exactly(tmp_path, make):
    obj = make()
    path = tmp_path / "checkpoint.pt"
    course_lib.save(obj, path)
    assert path.exists() and not (tmp_path / "checkpoint.pt.npz").exists()  # the exact path
    assert_same(course_lib.load(path), obj)


def test_full_checkpoint_with_model_and_file_object():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": adam_like_state_dict(),
        "scheduler": scheduler_like_state_dict(),
        "epoch": 12,
        "numpy_scalar": np.float32(0.25),
        "numpy_int": np.int64(-3),
        "weird_floats": [math.nan, -0.0, 5e-324, 1.7976931348623157e308],
        "nested": ({"a": (1, 2.0, "x")}, [None, True]),
    }
    buffer = io.BytesIO()
    course_lib.save(checkpoint, buffer)
    buffer.seek(0)
    loaded = course_lib.load(buffer)
    assert type(loaded["numpy_scalar"]) is np.float32 and loaded["numpy_scalar"] == np.float32(0.25)
    assert type(loaded["numpy_int"]) is np.int64
    del checkpoint["numpy_scalar"], checkpoint["numpy_int"], loaded["numpy_scalar"], loaded["numpy_int"]
    assert_same(loaded, checkpoint)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    fresh.load_state_dict(loaded["model"])
    x = course_lib.randn(2, 3)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


def test_dtype_requires_grad_and_shared_tensors_are_preserved(tmp_path):
    t = course_lib.tensor([1.5, 2.5], dtype=course_lib.float64, requires_grad=True)
    p = nn.Parameter(course_lib.ones(2))
    obj = {"t": t, "again": t, "p": p, "i": course_lib.tensor([1, 2]), "b": course_lib.tensor([True])}
    course_lib.save(obj, tmp_path / "x.pt")
    loaded = course_lib.load(tmp_path / "x.pt")
    assert loaded["t"].dtype == course_lib.float64 and loaded["t"].requires_grad
    assert loaded["again"] is loaded["t"]
    assert isinstance(loaded["p"], nn.Parameter)
    assert loaded["i"].dtype == course_lib.int64 and loaded["b"].dtype == course_lib.bool


def test_file_is_an_npz_readable_without_pickle(tmp_path):
    course_lib.save({"w": course_lib.ones(2)}, tmp_path / "c.pt")
    with np.load(tmp_path / "c.pt", allow_pickle=False) as archive:
        assert "__course_lib__" in archive.files
        assert archive["__course_lib__"].dtype == np.uint8


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda path: path.write_bytes(pickle.dumps({"a": 1})), id="pickle"),
        pytest.param(lambda path: path.write_bytes(b"\x00\x01random bytes\xff" * 10), id="random-bytes"),
        pytest.param(lambda path: np.savez(open(path, "wb"), a=np.ones(2)), id="foreign-npz"),
        pytest.param(lambda path: np.save(open(path, "wb"), np.ones(2)), id="npy"),
        pytest.param(lambda path: zipfile.ZipFile(path, "w").writestr("x.txt", "hi"), id="zip"),
    ],
)
def test_load_of_foreign_file_raises_clear_error(tmp_path, content):
    path = tmp_path / "foreign.bin"
    content(path)
    with pytest.raises(RuntimeError, match=r"foreign\.bin.*was not written by course_lib\.save"):
        course_lib.load(path)


def test_save_of_unsupported_object_names_its_place(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store an object of type set \(at obj\['state'\]\[0\]\)"):
        course_lib.save({"state": {0: {1, 2}}}, tmp_path / "bad.pt")


# ------------------------------------------------------------------ atomic saves, damaged files
def _earlier_checkpoint(path):
    """Save a small checkpoint at ``path`` and return what it holds."""
    obj = {"step": 3, "w": course_lib.arange(4.0)}
    course_lib.save(obj, path)
    return obj


def test_save_that_raises_while_writing_keeps_the_earlier_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    earlier = _earlier_checkpoint(path)
    real_write_array = np.lib.format.write_array
    written = []

    def write_then_fail(fid, array, **kwargs):  # np.savez writes each entry with this
        if written:
            raise OSError(28, "No space left on device")
        written.append(real_write_array(fid, array, **kwargs))

    monkeypatch.setattr(np.lib.format, "write_array", write_then_fail)
    with pytest.raises(OSError, match="No space left"):
        course_lib.save({"step": 4, "w": course_lib.zeros(1000), "m": course_lib.ones(5)}, path)
    monkeypatch.undo()
    assert written, "the failure must come after part of the new checkpoint was written"
    assert_same(course_lib.load(path), earlier)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"], "the temporary file is removed"


def test_save_that_finds_an_unsupported_object_late_keeps_the_earlier_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    earlier = _earlier_checkpoint(path)
    with pytest.raises(TypeError):
        course_lib.save({"w": course_lib.ones(3), "z_last": {1, 2}}, path)
    assert_same(course_lib.load(path), earlier)


_KILLED_WRITER = """
import sys, time
import numpy as np
import course_lib

real_write_array = np.lib.format.write_array
calls = []

def write_and_pause(fid, array, **kwargs):
    real_write_array(fid, array, **kwargs)
    calls.append(1)
    if len(calls) == 1:  # the large tensor is on disk, the rest of the archive is not
        print("writing", flush=True)
        time.sleep(60)

np.lib.format.write_array = write_and_pause
big = course_lib.zeros(4_000_000)  # 16 MB of float32
course_lib.save({"w": big, "step": 4, "m": course_lib.ones(5)}, sys.argv[1])
"""


def test_save_killed_while_writing_keeps_the_earlier_file(tmp_path):
    """A process killed (SIGKILL: no cleanup) in the middle of a save loses nothing.

    The child pauses right after the first (large) entry of the new archive is written, so
    the kill lands mid-write every time: a save that wrote in place would leave a cut-off
    file at the path.
    """
    signal = pytest.importorskip("signal")
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("SIGKILL is POSIX-only")
    import os
    import subprocess
    import sys

    path = tmp_path / "ckpt.pt"
    earlier = _earlier_checkpoint(path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert_same(course_lib.load(path), earlier)


def test_load_of_missing_path_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        course_lib.load(tmp_path / "missing.pt")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated-half"),
        pytest.param(lambda data: data[:-10], id="truncated-end"),
        pytest.param(lambda data: data[:200] + bytes(b ^ 0xFF for b in data[200:260]) + data[260:], id="corrupted"),
    ],
)
def test_load_of_damaged_checkpoint_says_truncated_or_corrupted(tmp_path, damage):
    path = tmp_path / "ckpt.pt"
    course_lib.save({"w": course_lib.arange(100.0), "step": 7}, path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(RuntimeError, match=r"ckpt\.pt.*is truncated or corrupted"):
        course_lib.load(path)
