"""Time one optimizer step of Rprop, ASGD and Adafactor: course_lib against torch.

One float32 parameter of 1,000,000 elements (a vector: Adafactor keeps its full variance),
and for Adafactor also a 1,000 x 1,000 matrix (its factored row and column variance).
Gradients are fixed; only ``optimizer.step()`` is timed, on one thread, course_lib's and
torch's steps alternating so that a busy machine slows both alike (the helpers of
``_timing.py``). Prints the median ms/step of each and the ratio course_lib / torch
(goal: <= 1.5x torch), and the ratio of the fastest steps, which a machine shared with other
jobs disturbs least.

    python benchmarks/bench_optim_extra.py [--steps 100]
"""
from __future__ import annotations

import argparse
import statistics

from _timing import alternate_ms, header, torch_or_none  # first: one thread for numpy
from bench_optim import step_fn

import course_lib

GOAL = 1.5
# (label, optimizer, kwargs, parameter shapes)
CASES = [
    ("Rprop", "Rprop", {}, "1 x 1,000,000", [(1_000_000,)]),
    ("ASGD", "ASGD", {}, "1 x 1,000,000", [(1_000_000,)]),
    ("ASGD(t0=0)", "ASGD", {"t0": 0}, "1 x 1,000,000", [(1_000_000,)]),  # averaging every step
    ("Adafactor", "Adafactor", {}, "1 x 1,000,000", [(1_000_000,)]),
    ("Adafactor", "Adafactor", {}, "1000 x 1000", [(1_000, 1_000)]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    torch = torch_or_none()
    header("optimizer, parameters")
    for label, name, kwargs, shape_label, shapes in CASES:
        fns = [step_fn(lib, name, kwargs, shapes) for lib in (course_lib, torch) if lib is not None]
        alternate_ms(fns, 5)  # warm up caches and allocators
        samples = alternate_ms(fns, args.steps)
        times = [statistics.median(s) for s in samples]
        row = f"{label + ', ' + shape_label:<36}{times[0]:>14.3f}"
        if torch is None:
            print(row + f"{'-':>10}{'-':>8}{GOAL:>6.1f}x")
            continue
        fastest = min(samples[0]) / min(samples[1])
        print(row + f"{times[1]:>10.3f}{times[0] / times[1]:>7.2f}x{GOAL:>6.1f}x   fastest steps: {fastest:.2f}x")


if __name__ == "__main__":
    main()
