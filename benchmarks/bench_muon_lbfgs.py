"""Time Muon and L-BFGS: course_lib against torch, one thread, in the same run.

* Muon: one ``step()`` on a 512 x 512 float32 weight with a fixed gradient (five
  Newton-Schulz iterations: 15 matrix products of 512 x 512). torch runs them in bfloat16 on
  its own kernels; course_lib emulates bfloat16 with float32 matrix products and rounding
  (see course_lib/optim/muon.py). Goal: <= 1.5x torch.
* L-BFGS: milliseconds per iteration (``n_iter`` of the state) of ``step(closure)`` on a
  logistic regression, closure included (each library's own autograd): the test suite's
  40 x 4 problem (Python overhead) and a 2,000 x 100 one (the arithmetic), without and with
  the strong Wolfe line search. Each repeat starts from the same point with a fresh
  optimizer. Goal: <= 1.5x torch.

course_lib's and torch's calls alternate, one each, so that a busy machine slows both alike;
prints the median of each and the ratio course_lib / torch.

    python benchmarks/bench_muon_lbfgs.py [--repeats 30]
"""
from __future__ import annotations

import argparse
import statistics

from _timing import alternate_ms, header, report, torch_or_none  # first: one thread for numpy

import numpy as np

import course_lib


def muon_step(lib):
    """A Muon ``step`` of ``lib`` on a 512 x 512 weight, with its gradient in place."""
    rng = np.random.default_rng(0)
    W = lib.tensor(rng.standard_normal((512, 512)).astype(np.float32), requires_grad=True)
    W.grad = lib.from_numpy(rng.standard_normal((512, 512)).astype(np.float32) * 1e-2)
    optimizer = lib.optim.Muon([W], lr=0.02)
    optimizer.step()  # create the state outside the timing
    return optimizer.step


def logistic_data(n: int, d: int):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ rng.standard_normal(d))))).astype(np.float64)
    return X, y


def lbfgs_run(lib, X_np, y_np, line_search_fn):
    """One ``step(closure)`` from the same start; returns the number of iterations it made."""
    X, y = lib.tensor(X_np), lib.tensor(y_np)
    w = lib.tensor(np.zeros(X_np.shape[1]), requires_grad=True)
    b = lib.tensor(np.zeros(1), requires_grad=True)
    optimizer = lib.optim.LBFGS([w, b], max_iter=20, tolerance_grad=1e-12, tolerance_change=1e-15,
                                line_search_fn=line_search_fn)

    def closure():
        optimizer.zero_grad()
        loss = lib.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return optimizer.state[w]["n_iter"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch = torch_or_none()
    libs = [course_lib] + ([torch] if torch is not None else [])

    header("case", width=44)

    fns = [muon_step(lib) for lib in libs]
    alternate_ms(fns, 2)  # warm up
    report("Muon step, 512 x 512 (ms/step)", [statistics.median(s) for s in alternate_ms(fns, args.repeats)], 1.5, 44)

    for n, d in ((40, 4), (2000, 100)):
        X, y = logistic_data(n, d)
        for line_search_fn in (None, "strong_wolfe"):
            iterations = [lbfgs_run(lib, X, y, line_search_fn) for lib in libs]
            fns = [lambda lib=lib: lbfgs_run(lib, X, y, line_search_fn) for lib in libs]
            alternate_ms(fns, 2)
            per_iter = [statistics.median(s) / it for s, it in zip(alternate_ms(fns, args.repeats), iterations)]
            label = f"L-BFGS {n} x {d}, {line_search_fn or 'no line search'} (ms/iter)"
            report(label, per_iter, 1.5, 44)
            if len(set(iterations)) > 1:
                print(f"    iterations per step differ: {iterations}")


if __name__ == "__main__":
    main()
