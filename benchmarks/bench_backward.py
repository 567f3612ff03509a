"""Does backward scale linearly? Time it on chains of 10,000 and 100,000 scalar ops.

Two chains of 0-d float64 tensors, each op's output feeding the next:

- ``constant``: ``y = y * 1.0001`` (one leaf at the start of the chain);
- ``weights``:  ``y = y * w_i`` with a fresh leaf ``w_i`` per op, so the backward pass
  also makes one ``.grad`` tensor per op (like the parameters of a deep model).

For each chain and length the graph is recorded, then ``backward()`` alone is timed in
CPU time of this process (``time.process_time``: other processes on a shared machine do
not count); the median of several repeats is kept, the two lengths taking turns. Goal: t(100k) / t(10k) <= 12, for both chains. The time to record the
graph is printed too (it is the user's forward pass, not backward's).

    python benchmarks/bench_backward.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

import course_lib

SHORT, LONG = 10_000, 100_000


def record_chain(kind: str, n: int):
    """The leaves and the output of a chain of ``n`` multiplications."""
    if kind == "constant":
        leaves = [course_lib.tensor(1.0, dtype=course_lib.float64, requires_grad=True)]
        y = leaves[0]
        for _ in range(n):
            y = y * 1.0001
    else:
        leaves = [course_lib.tensor(1.0001, dtype=course_lib.float64, requires_grad=True)
                  for _ in range(n)]
        y = leaves[0]
        for w in leaves[1:]:
            y = y * w
    return leaves, y


def time_once(kind: str, n: int) -> tuple[float, float]:
    """Seconds to record the chain and seconds for its ``backward()``."""
    start = time.process_time()
    leaves, y = record_chain(kind, n)
    recorded = time.process_time()
    y.backward()
    done = time.process_time()
    if leaves[0].grad is None:
        raise RuntimeError("backward did not reach the first leaf")
    # No gc.collect() here: the graph has no cycles, so dropping it frees it, and the
    # collector's counters carry over from run to run as in a real program.
    del leaves, y
    return recorded - start, done - recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for kind in ("constant", "weights"):
        runs: dict[int, list[tuple[float, float]]] = {SHORT: [], LONG: []}
        time_once(kind, SHORT)  # warm up
        for _ in range(args.repeats):
            for n in (SHORT, LONG):
                runs[n].append(time_once(kind, n))
        record = {n: statistics.median(r for r, _ in rs) for n, rs in runs.items()}
        backward = {n: statistics.median(b for _, b in rs) for n, rs in runs.items()}
        for n in (SHORT, LONG):
            print(f"{kind:>8} chain of {n:>7,} ops: record {record[n] * 1e3:7.1f} ms, "
                  f"backward {backward[n] * 1e3:7.1f} ms")
        print(f"{kind:>8}: backward t(100k) / t(10k) = {backward[LONG] / backward[SHORT]:.1f} "
              f"(goal <= 12); record {record[LONG] / record[SHORT]:.1f}")


if __name__ == "__main__":
    main()
