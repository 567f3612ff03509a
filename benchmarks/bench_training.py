"""Time one training step of a small MLP: course_lib vs raw numpy (the floor) vs torch.

The model is Linear(64, 128) -> ReLU -> Linear(128, 10) with CrossEntropyLoss on a batch
of 64 float32 samples; a step is zero_grad, forward, loss, backward (the optimizer is
left out: it is the same numpy in every case). Everything runs on one thread so the
numbers compare interpreters, not thread pools. Prints the median ms/step of several
repeats and the ratios. Goals: course_lib <= 0.6x torch and <= 2.5x raw numpy.

    python benchmarks/bench_training.py [--steps 300] [--repeats 7]
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

BATCH, IN, HIDDEN, OUT = 64, 64, 128, 10


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, IN)).astype(np.float32)
    y = rng.integers(0, OUT, BATCH).astype(np.int64)
    bound1, bound2 = 1 / np.sqrt(IN), 1 / np.sqrt(HIDDEN)
    weights = [
        rng.uniform(-bound1, bound1, (HIDDEN, IN)).astype(np.float32),
        rng.uniform(-bound1, bound1, HIDDEN).astype(np.float32),
        rng.uniform(-bound2, bound2, (OUT, HIDDEN)).astype(np.float32),
        rng.uniform(-bound2, bound2, OUT).astype(np.float32),
    ]
    return x, y, weights


def library_step_fn(lib, x, y, weights):
    """A training step written once for ``lib`` = course_lib or torch: the API is the same."""
    model = lib.nn.Sequential(lib.nn.Linear(IN, HIDDEN), lib.nn.ReLU(), lib.nn.Linear(HIDDEN, OUT))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.from_numpy(w))
    loss_fn = lib.nn.CrossEntropyLoss()
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        model.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        return loss.item()

    return step


def numpy_step_fn(x, y, weights):
    """The same maths written by hand: the fastest this can be with numpy."""
    w1, b1, w2, b2 = (w.copy() for w in weights)
    rows = np.arange(BATCH)

    def step():
        h = x @ w1.T
        h += b1
        a = np.maximum(h, 0)
        z = a @ w2.T
        z += b2
        shifted = z - z.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        total = exps.sum(axis=1, keepdims=True)
        loss = -(shifted[rows, y] - np.log(total[:, 0])).mean()
        dz = exps / total
        dz[rows, y] -= 1
        dz /= BATCH
        gw2, gb2 = dz.T @ a, dz.sum(axis=0)
        da = dz @ w2
        da *= h > 0
        gw1, gb1 = da.T @ x, da.sum(axis=0)
        return float(loss), gw1, gb1, gw2, gb2

    return step


def time_steps(steps: dict, n_steps: int, repeats: int) -> dict[str, float]:
    """Median over ``repeats`` of the mean time per step, in milliseconds, for each entry.

    The contenders take turns within every repeat (round robin), so a burst of load on a
    shared machine hits all of them rather than skewing one.
    """
    for step in steps.values():
        for _ in range(max(n_steps // 10, 5)):  # warm up caches and allocators
            step()
    runs: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(n_steps):
                step()
            runs[name].append((time.perf_counter() - start) / n_steps * 1e3)
    return {name: statistics.median(values) for name, values in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    x, y, weights = make_data()

    steps = {
        "course_lib": library_step_fn(course_lib, x, y, weights),
        "numpy": numpy_step_fn(x, y, weights),
    }
    try:
        import torch
    except ImportError:
        print("torch is not installed: comparing with raw numpy only")
    else:
        torch.set_num_threads(1)
        steps["torch"] = library_step_fn(torch, x, y, weights)
    losses = {name: (fn() if name != "numpy" else fn()[0]) for name, fn in steps.items()}
    print("loss at the first step: " + ", ".join(f"{k} {v:.6f}" for k, v in losses.items()))

    wrapped = {name: (fn if name != "numpy" else (lambda f=fn: f()[0])) for name, fn in steps.items()}
    times = time_steps(wrapped, args.steps, args.repeats)
    for name, ms in times.items():
        print(f"{name:>10}: {ms:.4f} ms/step")
    print(f"course_lib / numpy = {times['course_lib'] / times['numpy']:.2f}x (goal <= 2.5x)")
    if "torch" in times:
        print(f"course_lib / torch = {times['course_lib'] / times['torch']:.2f}x (goal <= 0.6x)")


if __name__ == "__main__":
    main()
