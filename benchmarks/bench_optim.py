"""Time one optimizer step: course_lib against torch, for Adam and SGD with momentum.

Two shapes of model, both float32: one parameter of 1,000,000 elements (where the cost is
the numpy passes over memory) and 100 parameters of 1,000 elements (where it is Python
overhead per parameter). Gradients are fixed; only ``optimizer.step()`` is timed. Everything
runs on one thread. course_lib's and torch's steps alternate, one call each, so that a busy
machine slows both alike; prints the median ms/step of each and the ratio course_lib / torch.
Goals (issue: the library is the answer key): one big tensor <= 1.5x torch, many small
<= 1.0x torch, with update rules written as plain pure numpy functions.

    python benchmarks/bench_optim.py [--steps 200]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy (and torch) start their thread pools

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import course_lib  # noqa: E402

SHAPES = {"1 x 1,000,000": [(1_000_000,)], "100 x 1,000": [(1_000,)] * 100}
OPTIMIZERS = {
    "Adam": ("Adam", {"lr": 1e-3}),
    "SGD(momentum=0.9)": ("SGD", {"lr": 1e-3, "momentum": 0.9}),
}


def make_arrays(shapes, seed: int = 0):
    """Initial parameters and fixed gradients, float32."""
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) * 1e-2 for s in shapes]
    return params, grads


def step_fn(lib, optimizer_name, kwargs, shapes):
    """An ``optimizer.step`` of ``lib`` (torch or course_lib) with gradients in place."""
    params, grads = make_arrays(shapes)
    tensors = [lib.tensor(p, requires_grad=True) for p in params]
    for t, g in zip(tensors, grads):
        t.grad = lib.from_numpy(g)
    optimizer = getattr(lib.optim, optimizer_name)(tensors, **kwargs)
    optimizer.step()  # create the state outside the timing
    return optimizer.step


def median_ms(fns: list, steps: int) -> list[float]:
    """Median ms per call of each function, calling them in turn ``steps`` times."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(steps):
        for fn, times in zip(fns, samples):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1e3)
    return [statistics.median(times) for times in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch is not installed: course_lib times only")

    print(f"{'optimizer':<20}{'parameters':<16}{'course_lib ms':>14}{'torch ms':>10}{'ratio':>8}{'goal':>7}")
    for label, (name, kwargs) in OPTIMIZERS.items():
        for shape_label, shapes in SHAPES.items():
            goal = 1.5 if len(shapes) == 1 else 1.0
            fns = [step_fn(course_lib, name, kwargs, shapes)]
            if torch is not None:
                fns.append(step_fn(torch, name, kwargs, shapes))
            median_ms(fns, 5)  # warm up caches and allocators
            times = median_ms(fns, args.steps)
            if torch is not None:
                ratio = times[0] / times[1]
                print(f"{label:<20}{shape_label:<16}{times[0]:>14.3f}{times[1]:>10.3f}{ratio:>7.2f}x{goal:>6.1f}x")
            else:
                print(f"{label:<20}{shape_label:<16}{times[0]:>14.3f}{'-':>10}{'-':>8}{goal:>6.1f}x")


if __name__ == "__main__":
    main()
