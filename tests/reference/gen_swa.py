"""Reference numbers for ``course_lib.optim.swa_utils``, made with torch 2.13.

Run from the repository root (needs torch; writes ``tests/reference/swa.json``)::

    python tests/reference/gen_swa.py

The case tables and the ``run_*`` functions live here and are imported by
``tests/test_swa_utils_reference.py``, so the test replays exactly what made the data, with
``course_lib`` (and with torch too, when it is installed). Every ``run_*`` takes the library
(``torch`` or ``course_lib``) as its first argument and returns plain data.

Three kinds of case:

* ``SWALR_CASES``: an SGD optimizer (one ``lr`` per group), optionally another scheduler
  stepped for the first ``before`` iterations (torch's documented "switch to SWALR late in
  training" pattern), then ``SWALR``; ``optimizer.step()`` then one scheduler's ``step()``
  per iteration. Recorded: every group's ``lr`` at construction and after every step, and
  SWALR's ``state_dict()`` at the end.
* ``AVERAGED_CASES``: a small MLP (``Linear(3, 5) - Tanh - Linear(5, 2)``, with a
  ``BatchNorm1d(5)`` after the first layer in the ``bn`` cases) trained by SGD with momentum
  on a fixed regression batch; from step ``start`` on, ``averaged.update_parameters(model)``
  after every step. Recorded per update: the averaged model's ``state_dict`` (parameters, and
  buffers with ``n_averaged``) and the model's; at the end, the averaged model's output.
* ``UPDATE_BN_CASES``: a model with BatchNorm layers (one with ``momentum=0.3``), trained a
  few steps so its statistics are not the initial ones, then ``update_bn`` over a loader of
  batches (plain tensors or ``(input, target)`` tuples), optionally through an
  ``AveragedModel``. Recorded: the state_dict after ``update_bn``, every BatchNorm's
  ``momentum`` and the model's ``training`` flag, and the output in eval mode.

Initial weights and data come from numpy (``np.random.RandomState``), so both libraries
start from the same numbers.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).with_name("swa.json")

# ---------------------------------------------------------------- SWALR
SWALR_STEPS = 25


def _swalr(case_id: str, lrs: list, swa_lr: Any, **kwargs: Any) -> dict:
    before = kwargs.pop("before", None)
    return {"id": case_id, "lrs": lrs, "swa_lr": swa_lr, "kwargs": kwargs, "before": before}


SWALR_CASES = [
    _swalr("cos-default", [0.1], 0.05),
    _swalr("linear-10", [0.1], 0.05, anneal_strategy="linear"),
    _swalr("cos-3", [0.5], 0.01, anneal_epochs=3),
    _swalr("linear-7-up", [0.01], 0.2, anneal_epochs=7, anneal_strategy="linear"),
    _swalr("cos-0", [0.1], 0.02, anneal_epochs=0),
    _swalr("linear-0", [0.1], 0.02, anneal_epochs=0, anneal_strategy="linear"),
    _swalr("cos-1", [0.3], 0.03, anneal_epochs=1),
    _swalr("cos-20", [0.1], 0.001, anneal_epochs=20),
    _swalr("two-groups-one-swa_lr", [0.1, 0.02], 0.05, anneal_epochs=5),
    _swalr("two-groups-list", [0.1, 0.02], [0.05, 0.001], anneal_epochs=6,
           anneal_strategy="linear"),
    _swalr("two-groups-tuple-cos", [0.4, 0.2], (0.01, 0.3), anneal_epochs=4),
    _swalr("after-cosine", [0.1], 0.05, anneal_epochs=5,
           before=["CosineAnnealingLR", {"T_max": 20}, 8]),
    _swalr("after-multiplicative-groups", [0.1, 0.05], [0.02, 0.04], anneal_epochs=10,
           anneal_strategy="linear", before=["MultiplicativeLR", {"lr_lambda": "0.9"}, 6]),
]


def run_swalr(lib: Any, case: dict) -> dict:
    """Record every group's lr at construction and after each step, and the final state."""
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in case["lrs"]]
    optimizer = lib.optim.SGD(groups, lr=case["lrs"][0])
    before = None
    if case["before"] is not None:
        name, kwargs, _ = case["before"]
        kwargs = dict(kwargs)
        if kwargs.get("lr_lambda") == "0.9":
            kwargs["lr_lambda"] = lambda epoch: 0.9
        before = getattr(lib.optim.lr_scheduler, name)(optimizer, **kwargs)
    swa = lib.optim.swa_utils.SWALR(optimizer, case["swa_lr"], **case["kwargs"])
    n_before = case["before"][2] if case["before"] is not None else 0
    lrs = [[g["lr"] for g in optimizer.param_groups]]
    for i in range(SWALR_STEPS):
        optimizer.step()
        (before if i < n_before else swa).step()
        lrs.append([g["lr"] for g in optimizer.param_groups])
    state = {k: list(v) if isinstance(v, tuple) else v for k, v in swa.state_dict().items()}
    return {"lr": lrs, "state_dict": state,
            "swa_lr": [g["swa_lr"] for g in optimizer.param_groups]}


# ---------------------------------------------------------------- AveragedModel
TRAIN_STEPS = 10
N_IN, N_HIDDEN, N_OUT, BATCH = 3, 5, 2, 8


def _avg(case_id: str, dtype: str, avg: str, **extra: Any) -> dict:
    return {"id": f"{case_id}-{dtype}", "dtype": dtype, "avg": avg,
            "bn": extra.get("bn", False), "use_buffers": extra.get("use_buffers", False),
            "start": extra.get("start", 2)}


AVERAGED_CASES = [
    case
    for dtype in ("float32", "float64")
    for case in (
        _avg("swa-default", dtype, "default"),
        _avg("swa-avg_fn", dtype, "swa_avg_fn"),
        _avg("swa-multi", dtype, "swa_multi", start=0),
        _avg("ema-avg_fn", dtype, "ema_avg_fn:0.9"),
        _avg("ema-multi", dtype, "ema_multi:0.8", start=5),
        _avg("ema-multi-default-decay", dtype, "ema_multi"),
        _avg("bn-swa-default", dtype, "default", bn=True),
        _avg("bn-swa-default-buffers", dtype, "default", bn=True, use_buffers=True),
        _avg("bn-ema-multi-buffers", dtype, "ema_multi:0.7", bn=True, use_buffers=True),
        _avg("bn-ema-avg_fn-buffers", dtype, "ema_avg_fn:0.6", bn=True, use_buffers=True),
    )
]


def make_model(lib: Any, dtype: str, bn: bool, seed: int = 0, momentum: Any = 0.1) -> Any:
    """The MLP with weights drawn by numpy (uniform in +-1/sqrt(fan_in), as torch's init)."""
    nn = lib.nn
    layers = [nn.Linear(N_IN, N_HIDDEN)]
    if bn:
        layers.append(nn.BatchNorm1d(N_HIDDEN, momentum=momentum))
    layers += [nn.Tanh(), nn.Linear(N_HIDDEN, N_OUT)]
    model = nn.Sequential(*layers)
    if dtype == "float64":
        model.double()
    rng = np.random.RandomState(seed)
    values = {}
    for name, p in model.named_parameters():
        fan_in = N_IN if name.startswith("0.") else N_HIDDEN
        if ".weight" in name and bn and name.startswith("1."):
            values[name] = rng.uniform(0.5, 1.5, size=tuple(p.shape))  # BatchNorm's scale
        else:
            values[name] = rng.uniform(-1, 1, size=tuple(p.shape)) / np.sqrt(fan_in)
    state = {k: lib.tensor(v, dtype=getattr(lib, dtype)) for k, v in values.items()}
    model.load_state_dict(state, strict=False)
    return model


def make_batch(lib: Any, dtype: str, seed: int = 1, n: int = BATCH) -> tuple:
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, N_IN))
    y = np.stack([np.sin(x[:, 0]) + x[:, 1], x[:, 2] * x[:, 0]], axis=1)
    return lib.tensor(x, dtype=getattr(lib, dtype)), lib.tensor(y, dtype=getattr(lib, dtype))


def make_averaged(lib: Any, model: Any, avg: str, use_buffers: bool) -> Any:
    """``AveragedModel`` with the rule named by ``avg`` (``"name"`` or ``"name:decay"``)."""
    swa_utils = lib.optim.swa_utils
    name, _, decay = avg.partition(":")
    args = (float(decay),) if decay else ()
    kwargs = {
        "default": {},
        "swa_avg_fn": {"avg_fn": swa_utils.get_swa_avg_fn()},
        "swa_multi": {"multi_avg_fn": swa_utils.get_swa_multi_avg_fn()},
        "ema_avg_fn": {"avg_fn": swa_utils.get_ema_avg_fn(*args) if name == "ema_avg_fn" else None},
        "ema_multi": {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(*args) if name == "ema_multi" else None},
    }[name]
    return swa_utils.AveragedModel(model, use_buffers=use_buffers, **kwargs)


def plain_state(module: Any) -> dict:
    """``{name: flat list of numbers}`` of a module's state_dict."""
    return {k: np.asarray(v.detach().tolist()).reshape(-1).tolist() for k, v in module.state_dict().items()}


def run_averaged(lib: Any, case: dict, replay: list | None = None) -> dict:
    """Train, averaging from step ``start`` on; record both state_dicts per update.

    With ``replay`` (a list of model state_dicts recorded by torch, one per update), the
    model's weights are not trained but loaded from it before each update, so only the
    averaging is compared.
    """
    model = make_model(lib, case["dtype"], case["bn"])
    averaged = make_averaged(lib, model, case["avg"], case["use_buffers"])
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = make_batch(lib, case["dtype"])
    records = []
    for step in range(TRAIN_STEPS):
        optimizer.zero_grad()
        loss = lib.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        if step < case["start"]:
            continue
        if replay is not None:
            own = model.state_dict()
            model.load_state_dict({k: lib.tensor(np.reshape(v, tuple(own[k].shape)), dtype=own[k].dtype)
                                   for k, v in replay[len(records)].items()})
        averaged.update_parameters(model)
        records.append({"averaged": plain_state(averaged), "model": plain_state(model)})
    averaged.eval()
    with lib.no_grad():
        out = averaged(x).tolist()
    return {"records": records, "output": out}


# ---------------------------------------------------------------- update_bn
def _bn_case(case_id: str, dtype: str, **extra: Any) -> dict:
    return {"id": f"{case_id}-{dtype}", "dtype": dtype, "tuples": extra.get("tuples", True),
            "averaged": extra.get("averaged", False), "eval_before": extra.get("eval_before", False),
            "momentum": extra.get("momentum", 0.1), "batches": extra.get("batches", 4)}


UPDATE_BN_CASES = [
    case
    for dtype in ("float32", "float64")
    for case in (
        _bn_case("tuples", dtype),
        _bn_case("tensors-eval", dtype, tuples=False, eval_before=True),
        _bn_case("momentum-0.3", dtype, momentum=0.3, batches=3),
        _bn_case("averaged", dtype, averaged=True),
        _bn_case("one-batch", dtype, batches=1, tuples=False),
    )
]


def run_update_bn(lib: Any, case: dict) -> dict:
    """Train 5 steps, then ``update_bn`` over ``batches`` batches of 6; record the result."""
    model = make_model(lib, case["dtype"], bn=True, momentum=case["momentum"])
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    x, y = make_batch(lib, case["dtype"])
    target = model
    if case["averaged"]:
        target = lib.optim.swa_utils.AveragedModel(model)
    for _ in range(5):
        optimizer.zero_grad()
        lib.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        if case["averaged"]:
            target.update_parameters(model)
    loader = []
    for i in range(case["batches"]):
        bx, by = make_batch(lib, case["dtype"], seed=10 + i, n=6)
        loader.append((bx, by) if case["tuples"] else bx)
    if case["eval_before"]:
        target.eval()
    lib.optim.swa_utils.update_bn(loader, target)
    norms = [m for m in target.modules() if type(m).__name__ == "BatchNorm1d"]
    result = {"state": plain_state(target), "momentum": [m.momentum for m in norms],
              "training": target.training}
    target.eval()
    with lib.no_grad():
        result["output"] = target(x).tolist()
    return result


# ---------------------------------------------------------------- main
def main() -> None:
    import torch

    torch.set_num_threads(1)
    data: dict[str, Any] = {"torch_version": torch.__version__, "swalr": {}, "averaged": {},
                            "update_bn": {}}
    for case in SWALR_CASES:
        data["swalr"][case["id"]] = run_swalr(torch, case)
    for case in AVERAGED_CASES:
        data["averaged"][case["id"]] = run_averaged(torch, case)
    for case in UPDATE_BN_CASES:
        data["update_bn"][case["id"]] = run_update_bn(torch, case)
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
