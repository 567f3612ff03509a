"""``save``/``load``: checkpoints in a safe format (no pickle), like ``torch.save``/``torch.load``.

The file is ONE numpy ``.npz`` archive: every tensor (and numpy array or scalar) is an
array entry ``a0, a1, ...``, and the entry ``__course_lib__`` holds the rest of the object as
UTF-8 JSON (stored as a uint8 array). Loading uses ``allow_pickle=False`` always, so a
file can never run code. JSON alone would lose types, so they are tagged:

* ``None``, bools, ints, strings, lists: plain JSON (ints stay ints);
* floats: ``{"$float": repr}`` (repr round-trips bit for bit; also ``inf``, ``nan``);
* tuples: ``{"$tuple": [...]}``; dicts: ``{"$dict": [[key, value], ...]}`` so keys keep
  their type (``{0: ...}`` in an optimizer state stays an int key), and an OrderedDict
  (a Module's ``state_dict``) is marked ``"ordered": true``;
* tensors: ``{"$tensor": "a3", "requires_grad": ..., "parameter": ...}`` (dtype is the array's);
  one tensor saved twice comes back as one object;
* numpy scalars and arrays: ``{"$numpy_scalar": "a4"}``, ``{"$ndarray": "a5"}``.

Saving to a path is atomic: the archive is written to a temporary file in the same folder,
flushed and synced to disk, then renamed over the path (``os.replace``), so a save that
fails or is killed midway leaves the earlier checkpoint at that path intact.
"""
from __future__ import annotations

import json
import os
import secrets
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from .tensor import Tensor

_STRUCTURE = "__course_lib__"
_FORMAT = "course_lib.save"
_VERSION = 1


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.tensor_keys: dict[int, str] = {}

    def _add(self, array: np.ndarray) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = array
        return key

    def encode(self, obj: Any, where: str):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and not isinstance(obj, bool):
            return int(obj)
        if isinstance(obj, float):
            return {"$float": repr(float(obj))}
        if isinstance(obj, Tensor):
            key = self.tensor_keys.get(id(obj))
            if key is None:
                key = self.tensor_keys[id(obj)] = self._add(np.asarray(obj._data, order="C"))
            from .nn.parameter import Parameter

            return {"$tensor": key, "requires_grad": bool(obj.requires_grad), "parameter": isinstance(obj, Parameter)}
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                raise TypeError(f"cannot save a numpy array of Python objects at {where}")
            return {"$ndarray": self._add(obj)}
        if isinstance(obj, np.generic):
            return {"$numpy_scalar": self._add(np.asarray(obj))}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"$tuple": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            pairs = [[self.encode(k, f"{where} key {k!r}"), self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]
            if isinstance(obj, OrderedDict):  # a Module's state_dict comes back as an OrderedDict
                return {"$dict": pairs, "ordered": True}
            return {"$dict": pairs}
        raise TypeError(
            f"course_lib.save cannot store an object of type {type(obj).__name__} (at {where}). "
            "help: save state_dict()s: nested dicts/lists/tuples of numbers, strings, None and tensors."
        )


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of numbers, str, None, tensors) to ``f``.

    Args:
        obj: typically ``{"model": model.state_dict(), "optimizer": opt.state_dict(), ...}``.
        f: a path (written exactly there, no extension added) or a binary file object.
    """
    encoder = _Encoder()
    root = encoder.encode(obj, "obj")
    header = {"format": _FORMAT, "version": _VERSION, "root": root}
    text = json.dumps(header, allow_nan=False).encode("utf-8")
    arrays = dict(encoder.arrays)
    arrays[_STRUCTURE] = np.frombuffer(text, dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    _write_atomically(os.fspath(f), arrays)


def _write_atomically(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write the archive to a temporary file beside ``path``, sync it, then rename it over ``path``.

    The rename is atomic within one folder (hence the temporary file's place), so ``path``
    always holds either the earlier file or the complete new one.
    """
    temporary = f"{path}.{secrets.token_hex(4)}.tmp"
    # os.open rather than tempfile.mkstemp: the file gets the usual permissions (0o666 minus umask).
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:  # np.savez(path) would append ".npz" to the name
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _decode(node, arrays, tensors: dict):
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, tensors) for v in node]
    if "$float" in node:
        return float(node["$float"])
    if "$tuple" in node:
        return tuple(_decode(v, arrays, tensors) for v in node["$tuple"])
    if "$dict" in node:
        pairs = ((_decode(k, arrays, tensors), _decode(v, arrays, tensors)) for k, v in node["$dict"])
        return OrderedDict(pairs) if node.get("ordered") else dict(pairs)
    if "$tensor" in node:
        key = node["$tensor"]
        if key not in tensors:
            array = arrays[key]
            if node.get("parameter"):
                from .nn.parameter import Parameter

                tensors[key] = Parameter(array, requires_grad=node["requires_grad"])
            else:
                tensors[key] = Tensor(array, requires_grad=node["requires_grad"])
        return tensors[key]
    if "$ndarray" in node:
        return arrays[node["$ndarray"]]
    if "$numpy_scalar" in node:
        return arrays[node["$numpy_scalar"]][()]
    raise ValueError(f"unknown entry {sorted(node)}")


def _name(f) -> str:
    return str(f) if isinstance(f, (str, os.PathLike)) else str(getattr(f, "name", "the file object"))


def _not_ours(f, reason: str) -> RuntimeError:
    return RuntimeError(
        f"{_name(f)!r} was not written by course_lib.save ({reason}). course_lib.load only reads "
        "its own safe format and never unpickles. help: load it with the library that wrote it."
    )


def _damaged(f, error: BaseException) -> RuntimeError:
    return RuntimeError(
        f"{_name(f)!r} is truncated or corrupted: it starts as an .npz archive but cannot be read "
        f"({type(error).__name__}: {error}). help: the file was damaged after it was written (a copy "
        "cut short, a full disk); load an earlier checkpoint."
    )


_ZIP_MAGIC = b"PK\x03\x04"
# What reading a damaged zip archive or .npy entry raises (zipfile, zlib, numpy's format checks).
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


def _starts_as_zip(f, start: int | None) -> bool:
    """True when the file begins with a zip archive's signature (an .npz is a zip archive)."""
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as handle:
                return handle.read(4) == _ZIP_MAGIC
        if start is None:
            return False
        f.seek(start)
        return f.read(4) == _ZIP_MAGIC
    except OSError:
        return False


def load(f: str | os.PathLike | BinaryIO, map_location=None, weights_only: bool | None = None) -> Any:
    """Read an object written by :func:`save` (``map_location``/``weights_only`` accepted for torch compatibility; course_lib is CPU-only and always loads safely).

    Raises:
        FileNotFoundError: no file at the path ``f``.
        RuntimeError: ``f`` is truncated or corrupted, or not a file written by
            :func:`course_lib.save`.
    """
    is_path = isinstance(f, (str, os.PathLike))
    start = f.tell() if not is_path and getattr(f, "seekable", lambda: False)() else None
    try:
        archive = np.load(f, allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # about the path, not the content: torch.load raises the same
    except _READ_ERRORS as error:
        if _starts_as_zip(f, start):
            raise _damaged(f, error) from None
        raise _not_ours(f, "it is not an .npz archive") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise _not_ours(f, "it is a single .npy array, not an .npz archive")
    with archive:
        if _STRUCTURE not in archive.files:
            raise _not_ours(f, f"the .npz archive has no '{_STRUCTURE}' entry")
        try:
            entries = {name: archive[name] for name in archive.files}
        except _READ_ERRORS as error:
            raise _damaged(f, error) from None
    try:
        header = json.loads(entries.pop(_STRUCTURE).tobytes().decode("utf-8"))
        if header.get("format") != _FORMAT:
            raise ValueError("wrong format tag")
        if header.get("version") != _VERSION:
            raise ValueError(f"unsupported version {header.get('version')}")
        return _decode(header["root"], entries, {})
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as error:
        raise _not_ours(f, f"its structure entry is invalid: {error}") from None
