"""Lesson 00 says its first cells run unchanged with the real torch: run them with torch.

The cells' code is executed with ``torch`` bound to PyTorch, and what they print must equal
the outputs saved in ``solutions/00_start_here.ipynb`` (made with ``course_lib``).
"""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.lesson00

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions" / "00_start_here.ipynb"
SAME_WITH_TORCH = ["00-04", "00-06"]  # the cells the lesson's text promises


def cells() -> dict[str, dict]:
    return {cell["id"]: cell for cell in json.loads(NOTEBOOK.read_text())["cells"]}


@pytest.mark.parametrize("cell_id", SAME_WITH_TORCH)
def test_lesson00_cell_prints_the_same_with_the_real_torch(cell_id):
    torch = pytest.importorskip("torch")
    cell = cells()[cell_id]
    saved = "".join("".join(output["text"]) for output in cell["outputs"] if output.get("name") == "stdout")
    assert saved  # the cell prints something to compare
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec("".join(cell["source"]), {"torch": torch})
    assert printed.getvalue() == saved
