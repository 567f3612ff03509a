"""Time one optimizer step of Rprop, ASGD and Adafactor: course_lib against torch.

One float32 parameter of 1,000,000 elements (a vector: Adafactor keeps its full variance),
and for Adafactor also a 1,000 x 1,000 matrix (its factored row and column variance).
Gradients are fixed; only ``optimizer.step()`` is timed, on one thread, course_lib's and
torch's steps alternating so that a busy machine slows both alike (the helpers of
``bench_optim.py``). Prints the median ms/step of each and the ratio course_lib / torch
(goal: <= 1.5x torch), and the ratio of the fastest steps, which a machine shared with other
jobs disturbs least.

    python benchmarks/bench_optim_extra.py [--steps 100]
"""
from __future__ import annotations

import importlib.util
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy (and torch) start their thread pools

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import course_lib  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_optim", Path(__file__).with_name("bench_optim.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

GOAL = 1.5
# (label, optimizer, kwargs, parameter shapes)
CASES = [
    ("Rprop", "Rprop", {}, "1 x 1,000,000", [(1_000_000,)]),
    ("ASGD", "ASGD", {}, "1 x 1,000,000", [(1_000_000,)]),
    ("ASGD(t0=0)", "ASGD", {"t0": 0}, "1 x 1,000,000", [(1_000_000,)]),  # averaging every step
    ("Adafactor", "Adafactor", {}, "1 x 1,000,000", [(1_000_000,)]),
    ("Adafactor", "Adafactor", {}, "1000 x 1000", [(1_000, 1_000)]),
]


def samples_ms(fns: list, steps: int) -> list[list[float]]:
    """ms of each call of each function, calling them in turn ``steps`` times."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(steps):
        for fn, times in zip(fns, samples):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1e3)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch is not installed: course_lib times only")

    print(f"{'optimizer':<16}{'parameters':<16}{'course_lib ms':>14}{'torch ms':>10}{'ratio':>8}{'goal':>7}"
          f"{'min ratio':>11}")
    for label, name, kwargs, shape_label, shapes in CASES:
        fns = [bench.step_fn(course_lib, name, kwargs, shapes)]
        if torch is not None:
            fns.append(bench.step_fn(torch, name, kwargs, shapes))
        bench.median_ms(fns, 5)  # warm up caches and allocators
        samples = samples_ms(fns, args.steps)
        times = [statistics.median(s) for s in samples]
        if torch is not None:
            ratio = times[0] / times[1]
            fastest = min(samples[0]) / min(samples[1])
            print(f"{label:<16}{shape_label:<16}{times[0]:>14.3f}{times[1]:>10.3f}{ratio:>7.2f}x{GOAL:>6.1f}x"
                  f"{fastest:>10.2f}x")
        else:
            print(f"{label:<16}{shape_label:<16}{times[0]:>14.3f}{'-':>10}{'-':>8}{GOAL:>6.1f}x")


if __name__ == "__main__":
    main()
