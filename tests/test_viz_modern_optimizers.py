"""``course_lib.viz`` plots of lesson 12: bars of optimizer memory, heat maps side by side."""
from __future__ import annotations

from viz_helpers import no_show_and_close, render  # noqa: F401 - Agg backend first; the autouse fixture

import numpy as np
import pytest

import course_lib
from course_lib import viz

pytestmark = pytest.mark.lesson12


def test_plot_bars_one_labelled_bar_per_name_top_to_bottom():
    fig, ax = viz.plot_bars({"SGD": 0.0, "Adam": 8.0, "Lion": course_lib.tensor(4.0)}, xlabel="bytes", fmt="{:.1f}")
    render(fig)
    assert tuple(fig.get_size_inches()) == viz.WIDE
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == [0.0, 8.0, 4.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["SGD", "Adam", "Lion"]
    assert [bar.get_y() for bar in ax.patches] == sorted((bar.get_y() for bar in ax.patches), reverse=True)
    assert [t.get_text() for t in ax.texts] == ["0.0", "8.0", "4.0"]
    assert ax.get_xlabel() == "bytes" and ax.get_xlim()[1] == pytest.approx(8.0 * 1.15)


def test_plot_heatmaps_shares_one_colour_scale():
    a = np.arange(6.0).reshape(2, 3)
    fig, axes = viz.plot_heatmaps({"full": a, "factored": course_lib.tensor(a * 2)})
    render(fig)
    assert len(axes) == 2 and tuple(fig.get_size_inches()) == (7.2, 3.2)
    clims = [ax.get_images()[0].get_clim() for ax in axes]
    assert clims[0] == clims[1] == (0.0, 10.0)
    np.testing.assert_array_equal(axes[1].get_images()[0].get_array(), a * 2)
    assert [ax.get_title() for ax in axes] == ["full", "factored"]


def test_plot_heatmaps_log_scale_and_separate_scales():
    a = np.array([[1e-4, 1e-2], [1.0, 0.0]])
    fig, axes = viz.plot_heatmaps({"v": a}, log_scale=True)
    render(fig)
    np.testing.assert_allclose(axes[0].get_images()[0].get_array(), [[-4, -2], [0, -4]])
    fig, axes = viz.plot_heatmaps({"a": np.ones((2, 2)), "b": np.zeros((3, 3))}, shared_scale=False)
    render(fig)
    assert axes[0].get_images()[0].get_clim() != axes[1].get_images()[0].get_clim()


def test_plot_heatmaps_rejects_vectors():
    with pytest.raises(ValueError, match="2-D"):
        viz.plot_heatmaps({"v": np.ones(3)})
