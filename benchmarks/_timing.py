"""What every benchmark shares: one thread, alternating calls, medians, a ratio against torch.

Import it before numpy (it pins the thread pools to one thread) and call :func:`torch_or_none`
for the oracle. course_lib's and torch's calls alternate, one each, so that a busy machine slows
both alike; a ratio is always measured in one process, never against a number from another run.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy (and torch) start their thread pools

import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402


def torch_or_none() -> Any:
    """torch on one thread, or None (with a line saying so) when it is not installed."""
    try:
        import torch
    except ImportError:
        print("torch is not installed: course_lib times only")
        return None
    torch.set_num_threads(1)
    return torch


def alternate_ms(fns: list[Callable[[], Any]], repeats: int) -> list[list[float]]:
    """Milliseconds of each call of each function, calling them in turn ``repeats`` times."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, times in zip(fns, samples):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1e3)
    return samples


def median_ms(fns: list[Callable[[], Any]], repeats: int, warm_up: int = 5) -> list[float]:
    """Median milliseconds per call of each function, after ``warm_up`` untimed rounds."""
    alternate_ms(fns, warm_up)
    return [statistics.median(times) for times in alternate_ms(fns, repeats)]


def report(label: str, times: list[float], goal: float, width: int = 36) -> None:
    """One table row: course_lib's ms, torch's ms (when timed), their ratio and the goal."""
    if len(times) == 2:
        print(f"{label:<{width}}{times[0]:>14.3f}{times[1]:>10.3f}{times[0] / times[1]:>7.2f}x{goal:>6.1f}x")
    else:
        print(f"{label:<{width}}{times[0]:>14.3f}{'-':>10}{'-':>8}{goal:>6.1f}x")


def header(first: str, width: int = 36) -> None:
    """The table's header, matching :func:`report`'s columns."""
    print(f"{first:<{width}}{'course_lib ms':>14}{'torch ms':>10}{'ratio':>8}{'goal':>7}")
