"""What every viz test module shares: the Agg backend, no plt.show(), and drawing a figure."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # the viz test modules only: no window, no inline backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_show_and_close(monkeypatch):
    """Fail if a plotting function calls plt.show(); close every figure afterwards."""
    def forbidden(*args, **kwargs):
        raise AssertionError("viz functions must not call plt.show()")

    monkeypatch.setattr(plt, "show", forbidden)
    yield
    plt.close("all")


def render(fig) -> np.ndarray:
    """Draw ``fig`` and return its pixels (a figure that cannot be drawn raises here)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())
