"""The course's plots: loss curves, loss surfaces with optimizer paths, learning-rate schedules.

Every function draws with matplotlib only, at an explicit notebook-friendly size, and
returns ``(fig, ax)`` (``ax`` is a tuple when there are several panels or a twin axis);
it never calls ``plt.show()``, so a notebook cell ends with ``plt.show()`` or an
assignment (a trailing ``;`` does not hide output under nbval)::

    import matplotlib.pyplot as plt
    from course_lib import viz

    fig, ax = viz.plot_schedules({"StepLR": lrs}, log_y=True)
    plt.show()

Values may be lists, numpy arrays or course_lib Tensors.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .tensor import Tensor

WIDE = (7.0, 3.5)  # one panel, full notebook width
SQUARE = (5.5, 4.5)  # a loss surface
__all__ = [
    "plot_bars",
    "plot_functions",
    "plot_heatmaps",
    "plot_images",
    "plot_loss_surface",
    "plot_loss_vs_cost",
    "plot_losses",
    "plot_lr_and_momentum",
    "plot_lr_range_test",
    "plot_metric_and_lr",
    "plot_race",
    "plot_schedules",
]


def _array(values: Any) -> np.ndarray:
    """numpy float64 array of a list, array or Tensor (detached)."""
    if isinstance(values, Tensor):
        values = values._data
    elif isinstance(values, (list, tuple)):
        values = [v._data if isinstance(v, Tensor) else v for v in values]
    return np.asarray(values, dtype=np.float64)


def _figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """A new figure of ``figsize``, or the figure that ``ax`` belongs to."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _draw_curve(ax: Axes, y: np.ndarray, label: str | None, **style) -> None:
    # Few points (e.g. 24 epochs of StepLR) read better with a marker on each value.
    marker = "o" if len(y) <= 40 else None
    ax.plot(np.arange(len(y)), y, label=label, marker=marker, markersize=3, **style)


def _overlap_style(k: int) -> dict[str, Any]:
    """Line width and dashes of the k-th of several curves that may lie on top of each other.

    The first is drawn widest and solid, each later one narrower and in its own dash
    pattern, so a curve hidden under a later one still shows at its edges.
    """
    return {"linewidth": max(2.4 - 0.6 * k, 0.8), "linestyle": ["-", "--", "-.", ":"][k % 4]}


def plot_losses(
    curves: Mapping[str, Sequence[float]] | Sequence[float],
    val_curves: Mapping[str, Sequence[float]] | None = None,
    log_y: bool = False,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = WIDE,
    start: int = 0,
) -> tuple[Figure, Axes]:
    """Loss curves, one line per run; validation curves dashed in the same colour.

    Args:
        curves: ``{run name: losses}``, one value per step (or epoch); or one list.
        val_curves: optional ``{run name: validation losses}``; a name that is also in
            ``curves`` shares its colour.
        log_y: logarithmic loss axis (useful when losses span decades).
        start: the x value of each curve's first point (1 when the text counts steps from 1).
    """
    named = isinstance(curves, Mapping)  # names given are shown in a legend
    if not named:
        curves = {"loss": curves}
    fig, ax = _figure(ax, figsize)
    colours: dict[str, Any] = {}
    def steps(values: np.ndarray) -> np.ndarray:
        return np.arange(start, start + len(values))

    for name, losses in curves.items():
        y = _array(losses)
        (line,) = ax.plot(steps(y), y, label=name)
        colours[name] = line.get_color()
    for name, losses in (val_curves or {}).items():
        y = _array(losses)
        ax.plot(steps(y), y, linestyle="--", color=colours.get(name), label=f"{name} (validation)")
    if log_y:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if named or val_curves:
        ax.legend()
    return fig, ax


def plot_loss_vs_cost(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    log_y: bool = False,
    xlabel: str = "function evaluations",
    ylabel: str = "loss",
    title: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = WIDE,
) -> tuple[Figure, Axes]:
    """Loss against what it cost, one line per run, each run on its own x values.

    Made for optimizers whose steps cost different amounts (L-BFGS evaluates the loss
    several times per step, Adam once): plotting against evaluations compares them fairly.

    Args:
        curves: ``{run name: (costs, losses)}``, two sequences of the same length.
        log_y: logarithmic loss axis.
    """
    fig, ax = _figure(ax, figsize)
    for name, (costs, losses) in curves.items():
        x, y = _array(costs), _array(losses)
        if x.shape != y.shape:
            raise ValueError(f"{name}: {x.shape[0]} costs but {y.shape[0]} losses. "
                             "help: give one cost per loss value.")
        ax.plot(x, y, label=name, marker="o" if len(y) <= 40 else None, markersize=3)
    if log_y:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig, ax


def _grid_values(fn: Callable, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    X, Y = np.meshgrid(xs, ys)
    try:
        Z = fn(X, Y)
    except Exception:
        # A function written for scalars (or Tensors) only: evaluate point by point.
        Z = np.array([[float(_array(fn(x, y))) for x in xs] for y in ys])
    return _array(Z) * np.ones_like(X)


def plot_loss_surface(
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    paths: Mapping[str, Any] | None = None,
    levels: int = 30,
    log_levels: bool = False,
    minimum: tuple[float, float] | None = None,
    resolution: int = 200,
    title: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = SQUARE,
) -> tuple[Figure, Axes]:
    """Contours of a 2-D loss ``fn(x, y)`` with optimizer paths drawn over them.

    Args:
        fn: the loss, called on 2-D numpy grids ``fn(X, Y)`` (``X, Y = np.meshgrid(...)``);
            a function that only takes scalars is evaluated point by point.
        xlim, ylim: the plotted ranges ``(low, high)``.
        paths: ``{optimizer name: positions}``, positions of shape ``(T, 2)``; each path
            starts with a circle and ends with a square, in its own line style and width.
        levels: number of contour levels; every few carry their loss value.
        log_levels: space the levels logarithmically above the smallest value
            (``min + geomspace(1e-4 * span, span)``), for valleys such as Rosenbrock's.
        minimum: ``(x, y)`` of the minimum, marked with a star.
        resolution: grid points per axis.
    """
    fig, ax = _figure(ax, figsize)
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    Z = _grid_values(fn, xs, ys)
    if log_levels:
        span = float(Z.max() - Z.min()) or 1.0
        contour_levels = Z.min() + np.geomspace(1e-4 * span, span, levels)
        # Colour by level index, not value: otherwise the low levels all look alike.
        colours = plt.get_cmap("viridis")(np.linspace(0, 1, levels))
        contours = ax.contour(xs, ys, Z, levels=contour_levels, colors=colours, linewidths=0.8)
    else:
        contours = ax.contour(xs, ys, Z, levels=levels, cmap="viridis", linewidths=0.8)
    # The loss on every few levels, written on the line itself.
    ax.clabel(contours, contours.levels[::max(1, len(contours.levels) // 6)], fontsize=7, fmt="%.3g")
    for k, (name, path) in enumerate((paths or {}).items()):
        xy = _array(path).reshape(-1, 2)
        (line,) = ax.plot(xy[:, 0], xy[:, 1], marker=".", markersize=3, label=name, **_overlap_style(k))
        ax.plot(*xy[0], marker="o", color=line.get_color())
        ax.plot(*xy[-1], marker="s", color=line.get_color())
    if minimum is not None:
        ax.plot(*minimum, marker="*", markersize=14, color="black", linestyle="none", label="minimum")
    ax.set(xlim=xlim, ylim=ylim, xlabel="$x$", ylabel="$y$", title=title)
    if paths or minimum is not None:
        ax.legend(loc="upper right")
    return fig, ax


def plot_schedules(
    schedules: Mapping[str, Sequence[float]] | Sequence[float],
    log_y: bool = False,
    xlabel: str = "step",
    ylabel: str = "learning rate",
    title: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = WIDE,
) -> tuple[Figure, Axes]:
    """Learning rate against step, for one schedule (a list) or several (``{name: lrs}``).

    Schedules with at most 40 values get a marker on every value, so a table such as
    StepLR's 24 epochs can be read off the plot. Each schedule has its own width and dashes,
    so two schedules that agree for a while both stay visible.
    """
    if not isinstance(schedules, Mapping):
        schedules = {"lr": schedules}
    fig, ax = _figure(ax, figsize)
    for k, (name, lrs) in enumerate(schedules.items()):
        _draw_curve(ax, _array(lrs), name, **_overlap_style(k))
    if log_y:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if len(schedules) > 1:
        ax.legend()
    return fig, ax


def plot_lr_and_momentum(
    lrs: Sequence[float],
    momenta: Sequence[float],
    momentum_name: str = "momentum",
    title: str | None = None,
    figsize: tuple[float, float] = (9.0, 3.2),
) -> tuple[Figure, tuple[Axes, Axes]]:
    """One-cycle policy: learning rate (left) and momentum or beta1 (right) per step."""
    fig, (ax_lr, ax_m) = plt.subplots(1, 2, figsize=figsize, layout="constrained", sharex=True)
    _draw_curve(ax_lr, _array(lrs), None, color="C0")
    _draw_curve(ax_m, _array(momenta), None, color="C1")
    ax_lr.set(xlabel="step", ylabel="learning rate")
    ax_m.set(xlabel="step", ylabel=momentum_name)
    for ax in (ax_lr, ax_m):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig, (ax_lr, ax_m)


def plot_metric_and_lr(
    metric: Sequence[float],
    lrs: Sequence[float],
    metric_name: str = "validation loss",
    log_lr: bool = False,
    xlabel: str = "epoch",
    title: str | None = None,
    figsize: tuple[float, float] = WIDE,
) -> tuple[Figure, tuple[Axes, Axes]]:
    """A monitored metric (left axis) and the learning rate (right axis, steps) per epoch.

    Shows ReduceLROnPlateau at work: the rate drops where the metric stops improving.
    """
    fig, ax_metric = plt.subplots(figsize=figsize, layout="constrained")
    ax_lr = ax_metric.twinx()
    _draw_curve(ax_metric, _array(metric), metric_name, color="C0")
    lr = _array(lrs)
    ax_lr.step(np.arange(len(lr)), lr, where="post", color="C3", label="learning rate")
    if log_lr:
        ax_lr.set_yscale("log")
    ax_metric.set(xlabel=xlabel, ylabel=metric_name, title=title)
    ax_lr.set_ylabel("learning rate", color="C3")
    ax_metric.yaxis.label.set_color("C0")
    ax_metric.grid(alpha=0.3)
    fig.legend(loc="outside upper center", ncols=2, frameon=False)
    return fig, (ax_metric, ax_lr)


def plot_lr_range_test(
    lrs: Sequence[float],
    losses: Sequence[float],
    mark: float | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = WIDE,
) -> tuple[Figure, Axes]:
    """Loss against learning rate on a logarithmic x axis (the LR range test).

    Args:
        lrs: the learning rate used at each step (increasing).
        losses: the loss at each step.
        mark: a learning rate to mark with a vertical line (e.g. the one you pick).
    """
    fig, ax = _figure(ax, figsize)
    ax.plot(_array(lrs), _array(losses), color="C0")
    ax.set_xscale("log")
    if mark is not None:
        ax.axvline(mark, color="C3", linestyle="--", label=f"lr = {mark:.3g}")
        ax.legend()
    ax.set(xlabel="learning rate (log scale)", ylabel="loss", title=title)
    ax.grid(alpha=0.3, which="both")
    return fig, ax


def plot_race(
    results: Mapping[str, Any],
    log_y: bool = False,
    xlabel: str = "step",
    ylabel: str = "loss",
    panel_size: tuple[float, float] = (4.0, 3.2),
) -> tuple[Figure, tuple[Axes, ...]]:
    """Optimizers racing on one or several tasks, one panel per task.

    Args:
        results: ``{task: {optimizer: losses}}`` for side-by-side panels (an optimizer has
            the same colour in every panel), or ``{optimizer: losses}`` for one panel.
        log_y: logarithmic loss axes.
        panel_size: size of each panel; the figure is ``len(tasks)`` panels wide.
    """
    if not all(isinstance(v, Mapping) for v in results.values()):
        results = {"": results}
    names = list(dict.fromkeys(name for runs in results.values() for name in runs))
    colours = {name: f"C{i % 10}" for i, name in enumerate(names)}
    width, height = panel_size
    fig, axes = plt.subplots(
        1, len(results), figsize=(width * len(results), height), layout="constrained", squeeze=False
    )
    axes = tuple(axes[0])
    for ax, (task, runs) in zip(axes, results.items()):
        for name, losses in runs.items():
            ax.plot(_array(losses), color=colours[name], label=name)
        if log_y:
            ax.set_yscale("log")
        ax.set(xlabel=xlabel, title=task or None)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(ylabel)
    axes[0].legend()
    return fig, axes


def plot_functions(
    x: Sequence[float],
    curves: Mapping[str, Sequence[float]],
    points: Mapping[str, Sequence[float]] | None = None,
    xlabel: str = "x",
    ylabel: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = WIDE,
) -> tuple[Figure, Axes]:
    """Functions of one variable over a shared ``x``: lines for ``curves``, dots for ``points``.

    Made for comparing a derivative from autograd (a line) with finite differences
    (dots on top of it), or a function with its derivative.

    Args:
        x: the x values, shared by every curve.
        curves: ``{label: y values}``, one per x, drawn as lines.
        points: ``{label: y values}``, one per x, drawn as dots only (every
            ``len(x) // 25``-th value, so that the line under them stays visible).
    """
    fig, ax = _figure(ax, figsize)
    xs = _array(x)
    for name, ys in curves.items():
        ax.plot(xs, _array(ys), label=name)
    every = max(len(xs) // 25, 1)
    for name, ys in (points or {}).items():
        ax.plot(xs[::every], _array(ys)[::every], linestyle="none", marker="o", markersize=4, label=name)
    ax.axhline(0.0, color="grey", linewidth=0.6)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig, ax


def plot_images(
    images: Any,
    titles: Sequence[Any] | None = None,
    ncols: int = 10,
    cell_size: float = 0.9,
) -> tuple[Figure, tuple[Axes, ...]]:
    """Small grey-scale images in a grid, e.g. the 8x8 digits with their labels.

    Args:
        images: ``(N, H, W)`` or ``(N, H*W)`` with a square ``H*W`` (a digits batch).
        titles: one title per image (labels, or "3 (pred 5)"), or None.
        ncols: images per row.
        cell_size: inches per image.
    """
    array = _array(images)
    if array.ndim == 2:
        side = int(round(np.sqrt(array.shape[1])))
        if side * side != array.shape[1]:
            raise ValueError(f"cannot show rows of {array.shape[1]} values as square images; pass (N, H, W)")
        array = array.reshape(len(array), side, side)
    if array.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W) or (N, H*W), got {array.shape}")
    n = len(array)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(cell_size * ncols, cell_size * nrows * 1.15), squeeze=False
    )
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < n:
            ax.imshow(array[index], cmap="gray_r", interpolation="nearest")
            if titles is not None:
                ax.set_title(str(titles[index]), fontsize=8)
    return fig, tuple(axes.flat)


def plot_bars(
    values: Mapping[str, float],
    xlabel: str | None = None,
    title: str | None = None,
    fmt: str = "{:.2f}",
    ax: Axes | None = None,
    figsize: tuple[float, float] = WIDE,
) -> tuple[Figure, Axes]:
    """Horizontal bars, one per name, top to bottom in the mapping's order, each labelled with its value.

    Args:
        values: ``{name: value}``, e.g. bytes of optimizer state per parameter.
        fmt: how each bar's value is written at its end.
    """
    fig, ax = _figure(ax, figsize)
    names = list(values)
    numbers = _array([values[n] for n in names])
    positions = np.arange(len(names))[::-1]
    bars = ax.barh(positions, numbers, color=[f"C{i % 10}" for i in range(len(names))])
    ax.bar_label(bars, labels=[fmt.format(v) for v in numbers], padding=3)
    ax.set_yticks(positions, names)
    ax.set_xlim(0, max(float(numbers.max()), 1e-12) * 1.15)
    ax.set(xlabel=xlabel, title=title)
    ax.grid(alpha=0.3, axis="x")
    return fig, ax


def plot_heatmaps(
    matrices: Mapping[str, Any],
    shared_scale: bool = True,
    log_scale: bool = False,
    panel_size: tuple[float, float] = (3.6, 3.2),
) -> tuple[Figure, tuple[Axes, ...]]:
    """Matrices side by side as heat maps, e.g. Adam's full second moment and Adafactor's estimate.

    Args:
        matrices: ``{title: 2-D array}``.
        shared_scale: one colour scale for every panel (so that equal values look equal).
        log_scale: colours by ``log10`` of the values (for second moments spanning decades);
            values <= 0 are shown at the smallest positive value.
        panel_size: size of each panel; the figure is ``len(matrices)`` panels wide.
    """
    arrays = {name: _array(m) for name, m in matrices.items()}
    for name, array in arrays.items():
        if array.ndim != 2:
            raise ValueError(f"heat map {name!r} needs a 2-D array, got shape {array.shape}")
    if log_scale:
        positive = [a[a > 0] for a in arrays.values() if (a > 0).any()]
        floor = min(float(p.min()) for p in positive) if positive else 1.0
        arrays = {name: np.log10(np.maximum(a, floor)) for name, a in arrays.items()}
    low = min(float(a.min()) for a in arrays.values())
    high = max(float(a.max()) for a in arrays.values())
    width, height = panel_size
    fig, axes = plt.subplots(1, len(arrays), figsize=(width * len(arrays), height), layout="constrained",
                             squeeze=False)
    axes = tuple(axes[0])
    for ax, (name, array) in zip(axes, arrays.items()):
        scale = {"vmin": low, "vmax": high} if shared_scale else {}
        image = ax.imshow(array, cmap="viridis", interpolation="nearest", **scale)
        ax.set_title(name, fontsize=10)
        if not shared_scale:
            fig.colorbar(image, ax=ax, shrink=0.8)
    if shared_scale:
        fig.colorbar(image, ax=axes, shrink=0.8, label="log10" if log_scale else None)
    return fig, axes
