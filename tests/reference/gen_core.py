"""Reference values for course_lib's tensor ops, autograd and nn, made with torch 2.13.

Run from the repository root (needs torch; writes ``tests/reference/core_reference.json``)::

    python tests/reference/gen_core.py

The case table lives here and is imported by ``tests/test_ops_reference.py``, so the test
replays exactly what made the data, with ``course_lib`` (and live with torch when it is
installed). A case is ``name -> (fn, inputs)``: ``fn(lib, *tensors)`` is written once
against the torch API and runs unchanged with ``lib = course_lib`` or ``lib = torch``;
``inputs`` are ``(shape or data, kind)`` specs drawn from a fixed numpy seed, where kind
is ``"x"`` (float64, requires grad), ``"pos"`` (positive, requires grad), ``"const"``
(float64 without grad) or ``"int:C"`` (int64 class indices below C), or literal data.
Recorded: the inputs, the output, torch's ``grad_fn`` name, a fixed ``grad_output`` and
the gradient of every input that requires grad.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("core_reference.json")
SEED = 20240613


def F(lib):
    """``lib.nn.functional``."""
    return lib.nn.functional


# name -> (fn(lib, *tensors), [input specs])
CASES = {
    # arithmetic and broadcasting
    "add_broadcast": (lambda lib, a, b: a + b, [((3, 1), "x"), ((1, 4), "x")]),
    "sub_broadcast": (lambda lib, a, b: a - b, [((2, 3), "x"), ((3,), "x")]),
    "rsub_number": (lambda lib, a: 2.5 - a, [((2, 3), "x")]),
    "mul_broadcast": (lambda lib, a, b: a * b, [((2, 1, 3), "x"), ((4, 1), "x")]),
    "div_broadcast": (lambda lib, a, b: a / b, [((2, 3), "x"), ((3,), "pos")]),
    "rdiv_number": (lambda lib, a: 3.0 / a, [((4,), "pos")]),
    "neg": (lambda lib, a: -a, [((3,), "x")]),
    "pow_number": (lambda lib, a: a**3, [((2, 3), "x")]),
    "pow_half": (lambda lib, a: a**0.5, [((4,), "pos")]),
    "pow_tensor": (lambda lib, a, b: a**b, [((2, 3), "pos"), ((3,), "x")]),
    "rpow_number": (lambda lib, a: 2.0**a, [((5,), "x")]),
    "matmul_mm": (lambda lib, a, b: a @ b, [((3, 4), "x"), ((4, 2), "x")]),
    "matmul_mv": (lambda lib, a, b: a @ b, [((3, 4), "x"), ((4,), "x")]),
    "matmul_dot": (lambda lib, a, b: a @ b, [((4,), "x"), ((4,), "x")]),
    "matmul_batched": (lambda lib, a, b: a @ b, [((2, 3, 4), "x"), ((4, 2), "x")]),
    # reductions
    "sum_all": (lambda lib, a: a.sum(), [((3, 4), "x")]),
    "sum_dim_keepdim": (lambda lib, a: a.sum(1, keepdim=True), [((3, 4), "x")]),
    "sum_dims": (lambda lib, a: a.sum((0, 2)), [((2, 3, 4), "x")]),
    "mean_all": (lambda lib, a: a.mean(), [((3, 4), "x")]),
    "mean_dim": (lambda lib, a: a.mean(-1), [((2, 3, 4), "x")]),
    "max_all": (lambda lib, a: a.max(), [((3, 4), "x")]),
    "max_dim_values": (lambda lib, a: a.max(1).values, [((3, 4), "x")]),
    "max_dim_indices": (lambda lib, a: a.max(1).indices, [((3, 4), "const")]),
    "min_dim_keepdim": (lambda lib, a: lib.min(a, 0, keepdim=True)[0], [((3, 4), "x")]),
    "argmax_all": (lambda lib, a: a.argmax(), [((3, 4), "const")]),
    "argmax_dim": (lambda lib, a: lib.argmax(a, dim=0), [((3, 4), "const")]),
    "var_default": (lambda lib, a: a.var(), [((3, 4), "x")]),
    "var_dim_biased": (lambda lib, a: a.var(1, unbiased=False), [((3, 4), "x")]),
    "var_correction0_keepdim": (lambda lib, a: a.var(0, keepdim=True, correction=0), [((3, 4), "x")]),
    "std_default": (lambda lib, a: a.std(), [((3, 4), "x")]),
    "std_dim": (lambda lib, a: lib.std(a, dim=1), [((3, 4), "x")]),
    # shape
    "reshape": (lambda lib, a: a.reshape(4, -1) * lib.arange(3.0, dtype=lib.float64), [((2, 6), "x")]),
    "view": (lambda lib, a: a.view(-1) * lib.arange(6.0, dtype=lib.float64), [((2, 3), "x")]),
    "flatten": (lambda lib, a: a.flatten(1), [((2, 3, 2), "x")]),
    "transpose": (lambda lib, a: a.transpose(0, 2), [((2, 3, 4), "x")]),
    "T": (lambda lib, a: a.T, [((2, 3), "x")]),
    "permute": (lambda lib, a: a.permute(2, 0, 1), [((2, 3, 4), "x")]),
    "unsqueeze": (lambda lib, a: a.unsqueeze(1), [((2, 3), "x")]),
    "squeeze_all": (lambda lib, a: a.squeeze(), [((2, 1, 3, 1), "x")]),
    "squeeze_dim": (lambda lib, a: a.squeeze(1), [((2, 1, 3), "x")]),
    # indexing
    "index_int": (lambda lib, a: a[1], [((3, 4), "x")]),
    "index_slice": (lambda lib, a: a[:, 1:3], [((3, 4), "x")]),
    "index_repeated": (lambda lib, a: a[lib.tensor([0, 2, 0, 0])], [((3, 4), "x")]),
    "index_repeated_pairs": (lambda lib, a: a[lib.tensor([1, 1, 0]), lib.tensor([2, 2, 3])], [((3, 4), "x")]),
    "index_list_then_int": (lambda lib, a: a[[2, 2], 1], [((3, 4), "x")]),
    "index_mask": (lambda lib, a: a[a > 0], [((3, 4), "x")]),
    # elementwise
    "exp": (lambda lib, a: a.exp(), [((2, 3), "x")]),
    "log": (lambda lib, a: lib.log(a), [((2, 3), "pos")]),
    "tanh": (lambda lib, a: lib.tanh(a), [((2, 3), "x")]),
    "sigmoid": (lambda lib, a: lib.sigmoid(a), [((2, 3), "x")]),
    "sigmoid_extreme": (lambda lib, a: a.sigmoid(), [([-800.0, -40.0, 0.0, 40.0, 800.0], "x")]),
    "relu": (lambda lib, a: lib.relu(a), [((2, 3), "x")]),
    "sqrt": (lambda lib, a: lib.sqrt(a), [((2, 3), "pos")]),
    "abs": (lambda lib, a: lib.abs(a), [((2, 3), "x")]),
    "clamp_both": (lambda lib, a: lib.clamp(a, -0.5, 0.5), [((3, 4), "x")]),
    "clamp_min": (lambda lib, a: a.clamp(min=0.0), [((3, 4), "x")]),
    "maximum_broadcast": (lambda lib, a, b: lib.maximum(a, b), [((3, 4), "x"), ((4,), "x")]),
    "minimum": (lambda lib, a, b: lib.minimum(a, b), [((3, 4), "x"), ((3, 4), "x")]),
    "where_broadcast": (lambda lib, a, b: lib.where(a > 0, a, b), [((3, 4), "x"), ((4,), "x")]),
    # joining
    "stack_dim1": (lambda lib, a, b: lib.stack([a, b], dim=1), [((2, 3), "x"), ((2, 3), "x")]),
    "cat_dim1": (lambda lib, a, b: lib.cat([a, b], dim=1), [((2, 3), "x"), ((2, 1), "x")]),
    # nn.functional
    "softmax_dim1": (lambda lib, a: F(lib).softmax(a, dim=1), [((3, 4), "x")]),
    "log_softmax_dim0": (lambda lib, a: F(lib).log_softmax(a, dim=0), [((3, 4), "x")]),
    "log_softmax_large": (lambda lib, a: F(lib).log_softmax(a * 1000, dim=-1), [((2, 5), "x")]),
    "linear_2d": (lambda lib, x, w, b: F(lib).linear(x, w, b), [((4, 3), "x"), ((2, 3), "x"), ((2,), "x")]),
    "linear_1d": (lambda lib, x, w, b: F(lib).linear(x, w, b), [((3,), "x"), ((2, 3), "x"), ((2,), "x")]),
    "linear_no_bias": (lambda lib, x, w: F(lib).linear(x, w), [((4, 3), "x"), ((2, 3), "x")]),
    "linear_3d": (lambda lib, x, w, b: F(lib).linear(x, w, b), [((2, 4, 3), "x"), ((2, 3), "x"), ((2,), "x")]),
    # losses: cross-entropy with class indices
    "ce_index_mean": (lambda lib, x, t: F(lib).cross_entropy(x, t), [((4, 3), "x"), ((4,), "int:3")]),
    "ce_index_sum": (lambda lib, x, t: F(lib).cross_entropy(x, t, reduction="sum"), [((4, 3), "x"), ((4,), "int:3")]),
    "ce_index_none": (lambda lib, x, t: F(lib).cross_entropy(x, t, reduction="none"), [((4, 3), "x"), ((4,), "int:3")]),
    "ce_index_unbatched": (lambda lib, x, t: F(lib).cross_entropy(x, t), [((5,), "x"), (3, "int")]),
    "ce_index_weight": (
        lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w),
        [((5, 3), "x"), ((5,), "int:3"), ([0.2, 1.0, 3.0], "const")],
    ),
    "ce_index_ignore": (
        lambda lib, x, t: F(lib).cross_entropy(x, t, ignore_index=1),
        [((4, 3), "x"), ([1, 0, 2, 1], "int")],
    ),
    "ce_index_ignore_none": (
        lambda lib, x, t: F(lib).cross_entropy(x, t, ignore_index=1, reduction="none"),
        [((4, 3), "x"), ([1, 0, 2, 1], "int")],
    ),
    "ce_index_smoothing": (
        lambda lib, x, t: F(lib).cross_entropy(x, t, label_smoothing=0.2),
        [((4, 3), "x"), ((4,), "int:3")],
    ),
    "ce_index_weight_smoothing_ignore": (
        lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w, label_smoothing=0.1, ignore_index=0),
        [((5, 3), "x"), ([0, 1, 2, 2, 1], "int"), ([0.5, 2.0, 1.5], "const")],
    ),
    "ce_index_spatial": (
        lambda lib, x, t: F(lib).cross_entropy(x, t, reduction="sum"),
        [((2, 3, 4), "x"), ((2, 4), "int:3")],
    ),
    "ce_index_module_large_logits": (
        lambda lib, x, t: lib.nn.CrossEntropyLoss()(x * 500, t),
        [((4, 3), "x"), ((4,), "int:3")],
    ),
    # losses: cross-entropy with class probabilities (unnormalised, as torch allows)
    "ce_probs_mean": (lambda lib, x, p: F(lib).cross_entropy(x, p), [((4, 3), "x"), ((4, 3), "pos")]),
    "ce_probs_sum": (lambda lib, x, p: F(lib).cross_entropy(x, p, reduction="sum"), [((4, 3), "x"), ((4, 3), "pos")]),
    "ce_probs_none": (lambda lib, x, p: F(lib).cross_entropy(x, p, reduction="none"), [((4, 3), "x"), ((4, 3), "pos")]),
    "ce_probs_unbatched": (lambda lib, x, p: F(lib).cross_entropy(x, p), [((3,), "x"), ([1.0, 2.0, 0.5], "x")]),
    "ce_probs_weight_smoothing": (
        lambda lib, x, p, w: F(lib).cross_entropy(x, p, weight=w, label_smoothing=0.3),
        [((4, 3), "x"), ((4, 3), "pos"), ([0.2, 1.0, 3.0], "const")],
    ),
    # other losses
    "nll_mean": (lambda lib, x, t: F(lib).nll_loss(x, t), [((4, 3), "x"), ((4,), "int:3")]),
    "nll_sum": (lambda lib, x, t: lib.nn.NLLLoss(reduction="sum")(x, t), [((4, 3), "x"), ((4,), "int:3")]),
    "nll_none": (lambda lib, x, t: F(lib).nll_loss(x, t, reduction="none"), [((4, 3), "x"), ((4,), "int:3")]),
    "nll_weight_ignore": (
        lambda lib, x, t, w: F(lib).nll_loss(x, t, weight=w, ignore_index=2),
        [((5, 3), "x"), ([0, 2, 1, 1, 0], "int"), ([0.3, 1.0, 2.0], "const")],
    ),
    "mse_mean": (lambda lib, a, b: F(lib).mse_loss(a, b), [((3, 4), "x"), ((3, 4), "x")]),
    "mse_sum": (lambda lib, a, b: lib.nn.MSELoss(reduction="sum")(a, b), [((3, 4), "x"), ((3, 4), "x")]),
    "mse_none": (lambda lib, a, b: F(lib).mse_loss(a, b, reduction="none"), [((3, 4), "x"), ((3, 4), "x")]),
    "l1_mean": (lambda lib, a, b: F(lib).l1_loss(a, b), [((3, 4), "x"), ((3, 4), "x")]),
    "l1_sum": (lambda lib, a, b: lib.nn.L1Loss(reduction="sum")(a, b), [((3, 4), "x"), ((3, 4), "x")]),
    "l1_none": (lambda lib, a, b: F(lib).l1_loss(a, b, reduction="none"), [((3, 4), "x"), ((3, 4), "x")]),
    "bce_logits_mean": (
        lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y),
        [((3, 4), "x"), ((3, 4), "prob")],
    ),
    "bce_logits_sum_extreme": (
        lambda lib, x, y: lib.nn.BCEWithLogitsLoss(reduction="sum")(x * 100, y),
        [((3, 4), "x"), ((3, 4), "prob")],
    ),
    "bce_logits_none": (
        lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y, reduction="none"),
        [((3, 4), "x"), ((3, 4), "prob")],
    ),
    "bce_logits_weight_pos_weight": (
        lambda lib, x, y, w, pw: F(lib).binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw),
        [((3, 4), "x"), ((3, 4), "prob"), ((3, 1), "pos_const"), ((4,), "pos_const")],
    ),
}


def make_inputs(specs, rng: np.random.Generator) -> list[dict]:
    """Draw the inputs of one case: ``{"data", "dtype", "requires_grad"}`` each."""
    out = []
    for spec, kind in specs:
        if kind.startswith("int"):
            if ":" in kind:
                data = rng.integers(0, int(kind.split(":")[1]), spec).tolist()
            else:
                data = spec
            out.append({"data": data, "dtype": "int64", "requires_grad": False})
            continue
        if isinstance(spec, tuple):
            values = rng.standard_normal(spec)
            if kind in ("pos", "pos_const"):
                values = rng.uniform(0.5, 2.0, spec)
            elif kind == "prob":
                values = rng.uniform(0.0, 1.0, spec)
            data = values.tolist()
        else:
            data = spec
        out.append({"data": data, "dtype": "float64", "requires_grad": kind in ("x", "pos")})
    return out


def run_case(lib, fn, inputs: list[dict], grad_output=None):
    """Run one case with ``lib``: ``(output, grad_fn name, grads, tensors)``.

    ``grad_output`` (a nested list) is used for backward; without it, the output is only
    computed (the generator then draws one of the output's shape).
    """
    dtypes = {"float64": lib.float64, "int64": lib.int64}
    tensors = [
        lib.tensor(spec["data"], dtype=dtypes[spec["dtype"]], requires_grad=spec["requires_grad"])
        for spec in inputs
    ]
    out = fn(lib, *tensors)
    name = out.grad_fn.name() if callable(getattr(out.grad_fn, "name", None)) else (
        out.grad_fn.name if out.grad_fn is not None else None
    )
    grads = None
    if grad_output is not None and out.requires_grad:
        out.backward(lib.tensor(grad_output, dtype=out.dtype))
        grads = [t.grad.tolist() if t.grad is not None else None for t in tensors]
    return out, name, grads, tensors


def run_seed_example(lib, weight, bias, x):
    """``loss_fn(model(x), target)`` with the given float32 weights; returns loss and grads."""
    model = lib.nn.Linear(5, 2)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(weight))
        model.bias.copy_(lib.tensor(bias))
    loss_fn = lib.nn.CrossEntropyLoss()
    target = lib.tensor([1.0, 2.0])
    loss = loss_fn(model(lib.tensor(x)), target)
    loss.backward()
    return loss, model


def run_clip_grad_norm(lib, grads, max_norm, norm_type):
    """Parameters with the given grads clipped by ``clip_grad_norm_``: (total norm, new grads)."""
    params = []
    for g in grads:
        p = lib.nn.Parameter(lib.zeros(len(g), dtype=lib.float64))
        p.grad = lib.tensor(g, dtype=lib.float64)
        params.append(p)
    total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return total.item(), [p.grad.tolist() for p in params]


CLIP_CASES = [
    ("clip_norm2_active", [[3.0, 4.0], [1.0, -2.0, 2.0]], 1.0, 2.0),
    ("clip_norm2_inactive", [[0.1, 0.2], [0.05]], 5.0, 2.0),
    ("clip_norm_inf", [[3.0, -7.0], [1.0, 2.0, 2.0]], 2.0, float("inf")),
    ("clip_norm1", [[3.0, -7.0], [1.0, 2.0, 2.0]], 4.0, 1.0),
]


def main() -> None:
    import torch

    torch.set_default_dtype(torch.float32)
    rng = np.random.default_rng(SEED)
    data: dict = {"torch_version": torch.__version__, "cases": {}, "clip_grad_norm": {}, "seed_example": {}}
    for name, (fn, specs) in CASES.items():
        inputs = make_inputs(specs, rng)
        out, _, _, _ = run_case(torch, fn, inputs)
        grad_output = rng.standard_normal(tuple(out.shape)).tolist() if out.requires_grad else None
        out, grad_fn, grads, _ = run_case(torch, fn, inputs, grad_output)
        data["cases"][name] = {
            "inputs": inputs,
            "output": out.detach().tolist(),
            "output_dtype": str(out.dtype).replace("torch.", ""),
            "grad_fn": grad_fn,
            "grad_output": grad_output,
            "grads": grads,
        }
    for name, grads, max_norm, norm_type in CLIP_CASES:
        total, clipped = run_clip_grad_norm(torch, grads, max_norm, norm_type)
        data["clip_grad_norm"][name] = {"total_norm": total, "grads": clipped}
    weight = rng.uniform(-0.4, 0.4, (2, 5)).astype(np.float32)
    bias = rng.uniform(-0.4, 0.4, 2).astype(np.float32)
    x = rng.standard_normal(5).astype(np.float32)
    loss, model = run_seed_example(torch, weight, bias, x)
    data["seed_example"] = {
        "weight": weight.tolist(),
        "bias": bias.tolist(),
        "x": x.tolist(),
        "loss": loss.item(),
        "weight_grad": model.weight.grad.tolist(),
        "bias_grad": model.bias.grad.tolist(),
    }
    OUT.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT} ({len(data['cases'])} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
