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

import argparse

from _timing import header, median_ms, report, torch_or_none  # first: one thread for numpy

import numpy as np

import course_lib

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    torch = torch_or_none()
    header("optimizer, parameters")
    for label, (name, kwargs) in OPTIMIZERS.items():
        for shape_label, shapes in SHAPES.items():
            fns = [step_fn(lib, name, kwargs, shapes) for lib in (course_lib, torch) if lib is not None]
            report(f"{label}, {shape_label}", median_ms(fns, args.steps), goal=1.5 if len(shapes) == 1 else 1.0)


if __name__ == "__main__":
    main()
