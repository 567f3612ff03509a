"""``course_lib.viz.plot_functions`` (lesson 02's figure): renders lines and dots with their data."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # this test module only: no window, no inline backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import course_lib  # noqa: E402
from course_lib import viz  # noqa: E402


def test_plot_functions_draws_curves_as_lines_and_points_as_dots():
    x = np.linspace(-2.0, 2.0, 50)
    fig, ax = viz.plot_functions(
        x,
        {"f(x)": x**2, "autograd f'(x)": course_lib.tensor(2 * x)},
        points={"finite differences": 2 * x},
        ylabel="value",
        title="f and f'",
    )
    fig.canvas.draw()
    lines = ax.get_lines()
    assert tuple(fig.get_size_inches()) == viz.WIDE
    np.testing.assert_allclose(lines[0].get_ydata(), x**2)
    np.testing.assert_allclose(lines[1].get_ydata(), 2 * x, rtol=1e-6)
    dots = lines[2]
    assert dots.get_linestyle() == "None" and dots.get_marker() == "o"
    np.testing.assert_allclose(dots.get_xdata(), x[::2])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x)", "autograd f'(x)", "finite differences"]
    assert ax.get_title() == "f and f'" and ax.get_ylabel() == "value"
    plt.close(fig)


def test_plot_functions_draws_into_a_given_axes():
    fig, ax = plt.subplots(figsize=(3, 2))
    fig2, ax2 = viz.plot_functions([0.0, 1.0], {"line": [1.0, 2.0]}, ax=ax)
    assert fig2 is fig and ax2 is ax
    plt.close(fig)
