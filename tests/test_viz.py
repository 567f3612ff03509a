"""``course_lib.viz``: every plot renders (Agg), has its size, its data, and shows nothing itself."""
from __future__ import annotations

from viz_helpers import no_show_and_close, render  # noqa: F401 - Agg backend first; the autouse fixture

import matplotlib.pyplot as plt
import numpy as np
import pytest

import course_lib
from course_lib import data, viz


def line_data(ax):
    return [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]


def test_plot_losses_draws_train_and_dashed_validation_curves():
    train = {"SGD": [1.0, 0.5, 0.25], "Adam": course_lib.tensor([1.0, 0.3, 0.1])}
    fig, ax = viz.plot_losses(train, val_curves={"SGD": [1.1, 0.7, 0.5]}, log_y=True)
    render(fig)
    assert tuple(fig.get_size_inches()) == viz.WIDE
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["SGD", "Adam", "SGD (validation)"]
    np.testing.assert_allclose(lines[1].get_ydata(), [1.0, 0.3, 0.1], rtol=1e-6)
    assert lines[2].get_linestyle() == "--" and lines[2].get_color() == lines[0].get_color()
    assert ax.get_yscale() == "log"


def test_plot_losses_draws_into_a_given_axes():
    fig, ax = plt.subplots(figsize=(3, 2))
    fig2, ax2 = viz.plot_losses({"run": [3.0, 2.0]}, ax=ax)
    assert fig2 is fig and ax2 is ax and len(ax.get_lines()) == 1


def test_plot_loss_surface_contours_paths_and_minimum():
    def bowl(x, y):
        return x**2 + 10 * y**2

    path = np.array([[-2.0, 1.0], [-1.0, 0.5], [0.0, 0.0]])
    fig, ax = viz.plot_loss_surface(
        bowl, (-3, 3), (-2, 2), paths={"SGD": path}, log_levels=True, levels=12, minimum=(0.0, 0.0)
    )
    render(fig)
    assert tuple(fig.get_size_inches()) == viz.SQUARE
    assert len(ax.collections) >= 1  # the contour set
    levels = ax.collections[0].levels
    assert len(levels) == 12 and np.all(np.diff(np.log(levels - levels.min() + 1e-12)[1:]) > 0)
    sgd = [line for line in ax.get_lines() if line.get_label() == "SGD"][0]
    np.testing.assert_allclose(sgd.get_xdata(), path[:, 0])
    assert any(line.get_label() == "minimum" for line in ax.get_lines())
    assert ax.get_xlim() == (-3, 3)


def test_plot_loss_surface_accepts_a_scalar_only_function():
    def scalar_only(x, y):
        return float(x) ** 2 + float(y) ** 2  # float() fails on a grid

    fig, ax = viz.plot_loss_surface(scalar_only, (-1, 1), (-1, 1), resolution=15, levels=5)
    render(fig)
    assert len(ax.collections) >= 1


def test_plot_schedules_one_list_or_several_with_log_y():
    fig, ax = viz.plot_schedules([0.1] * 3 + [0.01] * 3)
    render(fig)
    assert len(ax.get_lines()) == 1 and ax.get_legend() is None
    fig, ax = viz.plot_schedules({"StepLR": [1.0, 0.1, 0.01], "ExponentialLR": [1.0, 0.5, 0.25]}, log_y=True)
    render(fig)
    assert ax.get_yscale() == "log" and ax.get_legend() is not None
    np.testing.assert_allclose(line_data(ax)[0], [1.0, 0.1, 0.01])
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 1, 2])  # step on the x axis
    assert ax.get_ylabel() == "learning rate"


def test_plot_lr_and_momentum_has_two_panels():
    lrs = np.linspace(0.01, 0.1, 50)
    momenta = np.linspace(0.95, 0.85, 50)
    fig, (ax_lr, ax_m) = viz.plot_lr_and_momentum(lrs, momenta, title="one-cycle")
    render(fig)
    assert len(fig.axes) == 2 and tuple(fig.get_size_inches()) == (9.0, 3.2)
    np.testing.assert_allclose(line_data(ax_m)[0], momenta)
    assert ax_m.get_ylabel() == "momentum"


def test_plot_metric_and_lr_uses_twin_axes():
    metric = [1.0, 0.8, 0.79, 0.79, 0.6]
    lrs = [0.1, 0.1, 0.1, 0.01, 0.01]
    fig, (ax_metric, ax_lr) = viz.plot_metric_and_lr(metric, lrs, log_lr=True)
    render(fig)
    assert ax_lr.get_shared_x_axes().joined(ax_metric, ax_lr)
    assert ax_lr.get_yscale() == "log"
    np.testing.assert_allclose(line_data(ax_metric)[0], metric)


def test_plot_lr_range_test_uses_a_log_x_axis_and_marks_a_rate():
    lrs = np.geomspace(1e-5, 1.0, 30)
    losses = 1 / (1 + 100 * lrs) + lrs**2
    fig, ax = viz.plot_lr_range_test(lrs, losses, mark=1e-2)
    render(fig)
    assert ax.get_xscale() == "log"
    assert ax.get_legend().get_texts()[0].get_text() == "lr = 0.01"


def test_plot_race_one_panel_per_task_with_shared_colours():
    results = {
        "bowl": {"SGD": [1.0, 0.5], "Adam": [1.0, 0.2]},
        "Rosenbrock": {"Adam": [5.0, 4.0], "SGD": [5.0, 4.5]},
    }
    fig, axes = viz.plot_race(results, log_y=True)
    render(fig)
    assert len(axes) == 2 and tuple(fig.get_size_inches()) == (8.0, 3.2)
    assert [ax.get_title() for ax in axes] == ["bowl", "Rosenbrock"]
    colour = {line.get_label(): line.get_color() for line in axes[0].get_lines()}
    assert all(line.get_color() == colour[line.get_label()] for line in axes[1].get_lines())
    fig, axes = viz.plot_race({"SGD": [1.0, 0.5], "Adam": [1.0, 0.2]})  # a flat dict: one panel
    assert len(axes) == 1 and len(axes[0].get_lines()) == 2 and axes[0].get_title() == ""


def test_plots_are_deterministic():
    def draw():
        fig, _ = viz.plot_loss_surface(lambda x, y: x**2 + y**2, (-1, 1), (-1, 1), paths={"p": [[0.5, 0.5], [0, 0]]})
        return render(fig).copy()

    np.testing.assert_array_equal(draw(), draw())


def test_plot_losses_accepts_one_list_without_a_legend():
    fig, ax = viz.plot_losses([3.0, 2.0, 1.5])
    render(fig)
    assert len(ax.get_lines()) == 1 and ax.get_legend() is None


def test_plot_images_shows_digits_in_a_grid_with_titles():
    X, y = data.load_digits()
    fig, axes = viz.plot_images(X._data[:12], titles=y._data[:12].tolist(), ncols=6)
    render(fig)
    assert len(axes) == 12 and len(fig.axes) == 12
    np.testing.assert_array_equal(axes[0].images[0].get_array(), X._data[0].reshape(8, 8))
    assert axes[5].get_title() == str(y._data[5])
    with pytest.raises(ValueError, match="square"):
        viz.plot_images(np.zeros((2, 10)))


def test_plot_losses_shows_a_legend_for_a_named_curve_but_not_for_a_bare_list():
    _, ax = viz.plot_losses({"lr = 0.1": [1.0, 0.5]})
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["lr = 0.1"]
    _, ax = viz.plot_losses([1.0, 0.5])
    assert ax.get_legend() is None


def test_plot_loss_surface_writes_level_values_and_keeps_overlapping_paths_apart():
    path = np.array([[-2.0, 1.0], [0.0, 0.0]])
    fig, ax = viz.plot_loss_surface(lambda x, y: x**2 + y**2, (-3, 3), (-2, 2), levels=12,
                                    paths={"momentum": path, "Nesterov": path})
    render(fig)
    labels = [text.get_text() for text in ax.texts]
    assert len(labels) >= 2 and all(float(label) > 0 for label in labels)
    first, second = [line for line in ax.get_lines() if line.get_label() in ("momentum", "Nesterov")]
    assert first.get_linestyle() != second.get_linestyle()
    assert first.get_linewidth() > second.get_linewidth()  # the one below stays visible


def test_plot_losses_can_count_steps_from_one():
    _, ax = viz.plot_losses({"run": [3.0, 2.0, 1.0]}, start=1)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])


def test_plot_schedules_keeps_equal_schedules_apart():
    _, ax = viz.plot_schedules({"StepLR": [1.0] * 50, "MultiStepLR": [1.0] * 50})
    first, second = ax.get_lines()
    assert first.get_linestyle() != second.get_linestyle()
    assert first.get_linewidth() > second.get_linewidth()


def test_plot_loss_vs_cost_draws_each_run_on_its_own_x_values():
    curves = {"L-BFGS": ([1, 4, 9], [2.0, 0.5, 0.01]), "Adam": (np.arange(1, 6), course_lib.tensor([2.0, 1.5, 1.2, 1.0, 0.9]))}
    fig, ax = viz.plot_loss_vs_cost(curves, log_y=True, title="cost")
    render(fig)
    assert tuple(fig.get_size_inches()) == viz.WIDE
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["L-BFGS", "Adam"]
    np.testing.assert_allclose(lines[0].get_xdata(), [1, 4, 9])
    np.testing.assert_allclose(lines[1].get_ydata(), [2.0, 1.5, 1.2, 1.0, 0.9], rtol=1e-6)
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "function evaluations"


def test_plot_loss_vs_cost_refuses_costs_and_losses_of_different_lengths():
    with pytest.raises(ValueError, match="3 costs but 2 losses"):
        viz.plot_loss_vs_cost({"run": ([1, 2, 3], [1.0, 0.5])})
