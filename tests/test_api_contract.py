"""The contract of docs/API.md (the project's public API), checked name by name.

1. Every public name API.md lists exists where API.md says (one test row per name).
2. With torch importable, the signatures of the callables API.md promises mirror torch
   (creation functions, Tensor methods, nn layers, losses, ``F``, optimizers, schedulers)
   are compared with torch's: parameter names, order, kinds and defaults.
3. Behaviour spot checks against torch, and regression tests for the gaps this audit fixed
   (those need no torch: their expected values come from the maths).

The rule for parameters torch has and course_lib may leave out (``TORCH_ONLY``): options that
choose a device, a memory layout or placement, an output buffer, a random stream or a kernel
implementation (``foreach``/``fused``/...). They never change the numbers a CPU float
program computes, and course_lib has one device, one layout, one generator and one kernel.
torch's private parameters (a leading ``_``) may be left out too. When course_lib does
accept one of them, it must be where torch has it, with torch's default. Every other
difference is listed in ``DIFFERENCES`` with its reason; a listed difference that is no
longer a difference fails the test, so the table stays true.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import re

import numpy as np
import pytest

import course_lib

EMPTY = inspect.Parameter.empty
KIND = inspect.Parameter

# ---------------------------------------------------------------- 1. names API.md lists
API_NAMES = {
    "course_lib": [
        "Tensor", "tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "arange",
        "linspace", "randn", "rand", "randint", "from_numpy", "stack", "cat", "where", "exp",
        "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "maximum", "minimum", "clamp",
        "float32", "float64", "int64", "bool", "manual_seed", "no_grad", "save", "load",
        "nn", "optim", "gradcheck",
    ],
    "course_lib.nn": [
        "Module", "Parameter", "Sequential", "Linear", "ReLU", "Tanh", "Sigmoid", "Flatten",
        "Dropout", "MSELoss", "L1Loss", "CrossEntropyLoss", "BCEWithLogitsLoss", "NLLLoss",
        "BatchNorm1d", "LayerNorm", "functional", "utils",
    ],
    "course_lib.nn.functional": [
        "relu", "tanh", "sigmoid", "softmax", "log_softmax", "mse_loss", "cross_entropy",
        "binary_cross_entropy_with_logits", "linear", "dropout",
    ],
    "course_lib.nn.utils": ["clip_grad_norm_", "clip_grad_value_"],
    "course_lib.optim": [
        "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
        "NAdam", "RAdam", "Rprop", "ASGD", "Adafactor", "Muon", "LBFGS", "lr_scheduler",
    ],
    "course_lib.optim.swa_utils": [
        "AveragedModel", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
        "get_swa_avg_fn", "SWALR", "update_bn",
    ],
    "course_lib.optim.lr_scheduler": [
        "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
        "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
        "SequentialLR", "ChainedScheduler",
    ],
    # "Beyond torch": API.md names the modules and what they hold.
    "course_lib.viz": ["plot_schedules", "plot_losses", "plot_loss_surface", "plot_race"],
    "course_lib.data": ["DataLoader"],
    "course_lib.checks": [],
}
MODULE_ROWS = [(module, name) for module, names in API_NAMES.items() for name in names]

TENSOR_ATTRIBUTES = [  # data attributes and properties (not called)
    "shape", "dtype", "ndim", "requires_grad", "is_leaf", "grad", "grad_fn", "T",
]
TENSOR_METHODS = [
    "size", "numel", "item", "numpy", "tolist", "detach", "requires_grad_", "backward",
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__pow__", "__rpow__", "__matmul__", "__neg__", "__lt__", "__le__",
    "__gt__", "__ge__", "__eq__", "__ne__",
    "sum", "mean", "max", "min", "argmax", "var", "std",
    "reshape", "view", "flatten", "transpose", "permute", "unsqueeze", "squeeze", "__getitem__",
    "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "clamp", "pow",
    "add_", "sub_", "mul_", "div_", "zero_", "copy_", "fill_", "addcmul_", "addcdiv_", "lerp_",
    "clamp_",
]
MODULE_METHODS = [
    "forward", "__call__", "parameters", "named_parameters", "children", "modules",
    "zero_grad", "train", "eval", "state_dict", "load_state_dict", "register_buffer", "buffers",
    "named_buffers",
]
OPTIMIZER_METHODS = ["zero_grad", "step", "add_param_group", "state_dict", "load_state_dict"]
SCHEDULER_METHODS = ["step", "get_last_lr", "state_dict", "load_state_dict"]


@pytest.mark.parametrize(("module", "name"), MODULE_ROWS, ids=[f"{m}.{n}" for m, n in MODULE_ROWS])
def test_api_name_exists(module, name):
    mod = importlib.import_module(module)
    assert hasattr(mod, name), f"API.md promises {module}.{name}"


@pytest.mark.parametrize("module", sorted(API_NAMES))
def test_api_module_imports_and_is_reachable(module):
    mod = importlib.import_module(module)
    parent, _, child = module.rpartition(".")
    if parent:  # `import course_lib.nn` also makes `course_lib.nn` an attribute
        assert getattr(importlib.import_module(parent), child) is mod


@pytest.mark.parametrize("name", TENSOR_ATTRIBUTES)
def test_tensor_attribute_exists(name):
    t = course_lib.tensor([[1.0, 2.0]], requires_grad=True)
    assert hasattr(t, name)
    assert not callable(getattr(t, name)) or name == "grad_fn"


@pytest.mark.parametrize("name", TENSOR_METHODS)
def test_tensor_method_exists(name):
    assert callable(getattr(course_lib.Tensor, name, None)), f"API.md promises Tensor.{name}"


@pytest.mark.parametrize("name", MODULE_METHODS)
def test_module_method_exists(name):
    assert callable(getattr(course_lib.nn.Module, name, None))


@pytest.mark.parametrize("name", OPTIMIZER_METHODS)
def test_optimizer_method_exists(name):
    assert callable(getattr(course_lib.optim.Optimizer, name, None))


def test_optimizer_instance_attributes_exist():
    opt = course_lib.optim.SGD([course_lib.zeros(2, requires_grad=True)], lr=0.1)
    assert isinstance(opt.param_groups, list) and isinstance(opt.param_groups[0], dict)
    assert isinstance(opt.state, dict)


@pytest.mark.parametrize("name", SCHEDULER_METHODS)
def test_scheduler_method_exists(name):
    assert callable(getattr(course_lib.optim.lr_scheduler.LRScheduler, name, None))


def test_scheduler_instance_attributes_exist():
    opt = course_lib.optim.SGD([course_lib.zeros(2, requires_grad=True)], lr=0.1)
    sched = course_lib.optim.lr_scheduler.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1]
    assert opt.param_groups[0]["initial_lr"] == 0.1


def test_gradcheck_signature_is_api_md():
    params = list(inspect.signature(course_lib.gradcheck).parameters.values())
    assert [(p.name, p.default) for p in params[:5]] == [
        ("fn", EMPTY), ("inputs", EMPTY), ("eps", 1e-6), ("atol", 1e-5), ("rtol", 1e-3)
    ]


# ---------------------------------------------------------------- 2. signatures against torch
TORCH_ONLY = {
    "out", "device", "layout", "pin_memory", "memory_format", "generator", "non_blocking",
    "foreach", "fused", "capturable", "differentiable",
}

# (course_lib path, torch path). Tensor methods are compared without `self`.
SIGNATURE_ROWS = [
    *[(f"course_lib.{n}", f"torch.{n}") for n in (
        "tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "arange", "linspace",
        "randn", "rand", "randint", "from_numpy", "stack", "cat", "where", "exp", "log", "tanh",
        "sigmoid", "relu", "sqrt", "abs", "maximum", "minimum", "clamp", "manual_seed")],
    *[(f"course_lib.Tensor.{n}", f"torch.Tensor.{n}") for n in (
        "size", "numel", "item", "numpy", "tolist", "detach", "requires_grad_", "backward",
        "sum", "mean", "max", "min", "argmax", "var", "std", "reshape", "view", "flatten",
        "transpose", "permute", "unsqueeze", "squeeze", "exp", "log", "tanh", "sigmoid", "relu",
        "sqrt", "abs", "clamp", "pow", "add", "sub", "add_", "sub_", "mul_", "div_", "zero_",
        "copy_", "fill_", "addcmul_", "addcdiv_", "lerp_", "clamp_")],
    # Exported at the top level and on Tensor beyond API.md's list: they mirror torch too.
    *[(f"course_lib.{n}", f"torch.{n}") for n in (
        "sum", "mean", "max", "min", "argmax", "argmin", "var", "std", "reshape", "flatten",
        "permute", "transpose", "unsqueeze", "squeeze", "matmul", "pow", "empty", "full_like")],
    *[(f"course_lib.Tensor.{n}", f"torch.Tensor.{n}") for n in (
        "mul", "div", "matmul", "neg", "t", "dim", "clone", "float", "double", "long", "argmin",
        "maximum", "minimum", "softmax", "expand", "contiguous", "is_floating_point", "sqrt_",
        "neg_", "clip")],
    *[(f"course_lib.nn.{n}.__init__", f"torch.nn.{n}.__init__") for n in (
        "Linear", "ReLU", "Tanh", "Sigmoid", "Flatten", "Dropout", "Sequential", "MSELoss",
        "L1Loss", "CrossEntropyLoss", "BCEWithLogitsLoss", "NLLLoss", "BatchNorm1d", "LayerNorm")],
    *[(f"course_lib.nn.{n}.{m}", f"torch.nn.{n}.{m}") for n, m in (
        ("BatchNorm1d", "reset_running_stats"), ("BatchNorm1d", "reset_parameters"),
        ("LayerNorm", "reset_parameters"))],
    ("course_lib.nn.Parameter.__init__", "torch.nn.Parameter.__new__"),
    *[(f"course_lib.nn.Module.{n}", f"torch.nn.Module.{n}") for n in MODULE_METHODS[2:]],
    *[(f"course_lib.nn.functional.{n}", f"torch.nn.functional.{n}") for n in API_NAMES["course_lib.nn.functional"]],
    *[(f"course_lib.nn.functional.{n}", f"torch.nn.functional.{n}") for n in ("batch_norm", "layer_norm")],
    *[(f"course_lib.nn.utils.{n}", f"torch.nn.utils.{n}") for n in API_NAMES["course_lib.nn.utils"]],
    *[(f"course_lib.optim.{n}.__init__", f"torch.optim.{n}.__init__") for n in API_NAMES["course_lib.optim"][:-1]],
    *[(f"course_lib.optim.Optimizer.{n}", f"torch.optim.Optimizer.{n}") for n in OPTIMIZER_METHODS],
    *[(f"course_lib.optim.lr_scheduler.{n}.__init__", f"torch.optim.lr_scheduler.{n}.__init__")
      for n in API_NAMES["course_lib.optim.lr_scheduler"]],
    *[(f"course_lib.optim.lr_scheduler.LRScheduler.{n}", f"torch.optim.lr_scheduler.LRScheduler.{n}")
      for n in SCHEDULER_METHODS],
    *[(f"course_lib.optim.swa_utils.{n}", f"torch.optim.swa_utils.{n}") for n in (
        "AveragedModel.__init__", "AveragedModel.forward", "AveragedModel.update_parameters",
        "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn",
        "SWALR.__init__", "SWALR.get_lr", "SWALR.state_dict", "SWALR.load_state_dict", "update_bn")],
]

# torch's C functions have no Python signature; it is read from the first line of their
# docstring. Where that line is missing or disagrees with torch's argument parser, the
# signature is given here (test_torch_signature_overrides_match_torch checks each one).
TORCH_SIGNATURE_OVERRIDES = {
    "torch.relu": "relu(input) -> Tensor",  # no docstring
    "torch.Tensor.relu": "relu() -> Tensor",  # no docstring
    "torch.Tensor.detach": "detach() -> Tensor",  # docstring starts with prose
    "torch.Tensor.add": "add(other, *, alpha=1) -> Tensor",  # docstring shows a 2nd form
    "torch.Tensor.sub": "sub(other, *, alpha=1) -> Tensor",
    "torch.Tensor.mul_": "mul_(other) -> Tensor",  # docstring says `value`, the parser `other`
    "torch.Tensor.div_": "div_(other, *, rounding_mode=None) -> Tensor",  # ditto
    "torch.Tensor.mul": "mul(other) -> Tensor",  # ditto
    "torch.Tensor.div": "div(other, *, rounding_mode=None) -> Tensor",  # ditto
    "torch.Tensor.matmul": "matmul(other) -> Tensor",  # docstring says tensor2
    "torch.Tensor.sum": "sum(dim=None, keepdim=False, *, dtype=None) -> Tensor",  # dtype: keyword only
    # Overloaded functions: the docstring's first line is the overload without `dim`.
    "torch.sum": "sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor",
    "torch.mean": "mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor",
    "torch.argmax": "argmax(input, dim=None, keepdim=False) -> Tensor",
    "torch.argmin": "argmin(input, dim=None, keepdim=False) -> Tensor",
    "torch.max": "max(input, dim, keepdim=False) -> Tensor",
    "torch.min": "min(input, dim, keepdim=False) -> Tensor",
    "torch.squeeze": "squeeze(input, dim) -> Tensor",
}

# (course_lib path, parameter) -> why course_lib differs from torch there, on purpose.
DIFFERENCES = {
    ("course_lib.arange", "start"): "torch documents start=0 before the required end (not valid "
        "Python); course_lib writes the same two call forms as arange(end) / arange(start, end)",
    ("course_lib.arange", "end"): "see start: end=None means arange(end)",
    ("course_lib.randint", "low"): "torch documents low=0 before the required high (not valid "
        "Python); course_lib accepts randint(high, size) and randint(low, high, size) the same way",
    ("course_lib.randint", "high"): "see low",
    ("course_lib.randint", "size"): "see low: size=None lets randint(high, size) shift arguments",
    ("course_lib.where", "input"): "torch.where(condition) is a second overload; course_lib folds "
        "it into one signature with input/other defaulting to None",
    ("course_lib.where", "other"): "see input",
    ("course_lib.Tensor.var", "unbiased"): "torch also has the overload var(dim, unbiased, "
        "keepdim); course_lib folds both overloads into one signature",
    ("course_lib.Tensor.var", "correction"): "None means torch's default correction=1 (and lets "
        "`unbiased` be told apart from an explicit correction)",
    ("course_lib.Tensor.var", "keepdim"): "positional in torch's (dim, unbiased, keepdim) overload",
    ("course_lib.Tensor.std", "unbiased"): "as Tensor.var",
    ("course_lib.Tensor.std", "correction"): "as Tensor.var",
    ("course_lib.Tensor.std", "keepdim"): "as Tensor.var",
    ("course_lib.Tensor.div_", "rounding_mode"): "integer division modes ('trunc', 'floor') are "
        "not part of the course",
    ("course_lib.Tensor.div", "rounding_mode"): "as div_",
    ("course_lib.var", "unbiased"): "as Tensor.var",
    ("course_lib.var", "correction"): "as Tensor.var",
    ("course_lib.var", "keepdim"): "as Tensor.var",
    ("course_lib.std", "unbiased"): "as Tensor.var",
    ("course_lib.std", "correction"): "as Tensor.var",
    ("course_lib.std", "keepdim"): "as Tensor.var",
    ("course_lib.max", "dim"): "dim=None selects torch's max(input) overload (the largest "
        "element), a Tensor its max(input, other) overload: three overloads, one signature",
    ("course_lib.min", "dim"): "as max",
    ("course_lib.squeeze", "dim"): "dim=None selects torch's squeeze(input) overload",
    ("course_lib.reshape", "shape"): "also takes the sizes as separate arguments, as "
        "Tensor.reshape does (torch.reshape needs one tuple)",
    ("course_lib.permute", "dims"): "also takes the dims as separate arguments, as "
        "Tensor.permute does (torch.permute needs one tuple)",
    ("course_lib.nn.Tanh.__init__", "args"): "torch's activation accepts and ignores any arguments",
    ("course_lib.nn.Tanh.__init__", "kwargs"): "see args",
    ("course_lib.nn.Sigmoid.__init__", "args"): "see Tanh",
    ("course_lib.nn.Sigmoid.__init__", "kwargs"): "see Tanh",
    ("course_lib.nn.Module.named_parameters", "remove_duplicate"): "course_lib always lists a "
        "shared parameter once (torch's default)",
    ("course_lib.nn.Module.modules", "remove_duplicate"): "as named_parameters",
    ("course_lib.nn.Module.state_dict", "args"): "torch's *args is its deprecated positional "
        "form; course_lib's destination/prefix/keep_vars may also be passed by position",
    ("course_lib.nn.Module.state_dict", "destination"): "see args",
    ("course_lib.nn.Module.state_dict", "prefix"): "see args",
    ("course_lib.nn.Module.state_dict", "keep_vars"): "see args",
}


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    return parts + ([current.strip()] if current.strip() else [])


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # e.g. torch.strided: only torch-only parameters have such defaults


def parse_doc_signature(line: str, name: str) -> list[tuple[str, object, object]]:
    """``(name, kind, default)`` rows from a docstring line like ``add_(other, *, alpha=1) -> Tensor``."""
    match = re.search(rf"^\s*{re.escape(name)}\((.*?)\)\s*->", line.replace("\\*", "*"), re.M)
    if match is None:
        raise LookupError(f"no signature line for {name}")
    kind, rows = KIND.POSITIONAL_OR_KEYWORD, []
    for token in _split_top_level(match.group(1)):
        if token == "*":
            kind = KIND.KEYWORD_ONLY
            continue
        if token.startswith("**"):
            rows.append((token[2:], KIND.VAR_KEYWORD, EMPTY))
            continue
        if token.startswith("*"):
            rows.append((token[1:].split(":")[0].strip(), KIND.VAR_POSITIONAL, EMPTY))
            kind = KIND.KEYWORD_ONLY
            continue
        head, _, default = token.partition("=")
        rows.append((head.split(":")[0].strip(), kind, _literal(default.strip()) if default else EMPTY))
    return rows


def _resolve(path: str):
    root, *attrs = path.split(".")
    obj = importlib.import_module(root)
    for i, attr in enumerate(attrs):
        try:
            obj = getattr(obj, attr)
        except AttributeError:  # a submodule not imported yet
            obj = importlib.import_module(".".join([root, *attrs[: i + 1]]))
    return obj


def signature_rows(path: str) -> list[tuple[str, object, object]]:
    """The parameters of the callable at ``path`` (without self/cls) as ``(name, kind, default)``."""
    obj = _resolve(path)
    name = path.rsplit(".", 1)[-1]
    if path in TORCH_SIGNATURE_OVERRIDES:
        return parse_doc_signature(TORCH_SIGNATURE_OVERRIDES[path], name)
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):  # a C function: read its docstring
        return parse_doc_signature(obj.__doc__ or "", name)
    rows = [(p.name, p.kind, p.default) for p in params]
    is_method = ".Tensor." in path or name in ("__init__", "__new__") or path.split(".")[-2][:1].isupper()
    if is_method and rows and rows[0][0] in ("self", "cls"):
        rows = rows[1:]
    return rows


def _same_default(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - e.g. arrays; never a default here
        return False


def signature_problems(ours_path: str, ours, theirs) -> list[str]:
    """Every way ``ours`` differs from ``theirs`` that the rule and DIFFERENCES do not allow."""
    allowed = {param for (path, param) in DIFFERENCES if path == ours_path}
    our_names = {n for n, _, _ in ours}
    theirs = [r for r in theirs if r[0] not in allowed
              and not ((r[0] in TORCH_ONLY or r[0].startswith("_")) and r[0] not in our_names)]
    ours = [r for r in ours if r[0] not in allowed]
    their_names = {n for n, _, _ in theirs}
    problems = [f"missing torch parameter {n!r}" for n, _, _ in theirs if n not in our_names]
    problems += [f"extra parameter {n!r} (not in torch)" for n, _, _ in ours if n not in their_names]
    shared_ours = [r for r in ours if r[0] in their_names]
    shared_theirs = [r for r in theirs if r[0] in our_names]
    if [r[0] for r in shared_ours] != [r[0] for r in shared_theirs]:
        problems.append(f"order {[r[0] for r in shared_ours]} != torch's {[r[0] for r in shared_theirs]}")
    for (name, kind, default), (_, t_kind, t_default) in zip(shared_ours, shared_theirs):
        if kind != t_kind:
            problems.append(f"{name!r} is {kind.description}, torch's is {t_kind.description}")
        if not _same_default(default, t_default):
            problems.append(f"{name!r} defaults to {default!r}, torch's to {t_default!r}")
    return problems


def test_parse_doc_signature_reads_kinds_and_defaults():
    rows = parse_doc_signature("zeros(*size, *, out=None, dtype=None, requires_grad=False) -> Tensor", "zeros")
    assert rows == [
        ("size", KIND.VAR_POSITIONAL, EMPTY), ("out", KIND.KEYWORD_ONLY, None),
        ("dtype", KIND.KEYWORD_ONLY, None), ("requires_grad", KIND.KEYWORD_ONLY, False),
    ]
    assert parse_doc_signature("abs(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor", "abs") == [
        ("input", KIND.POSITIONAL_OR_KEYWORD, EMPTY), ("out", KIND.KEYWORD_ONLY, None)
    ]


def test_signature_problems_catches_kind_default_and_name():
    p = KIND.POSITIONAL_OR_KEYWORD
    theirs = [("other", p, EMPTY), ("alpha", KIND.KEYWORD_ONLY, 1), ("out", KIND.KEYWORD_ONLY, None)]
    assert signature_problems("x", [("other", p, EMPTY), ("alpha", KIND.KEYWORD_ONLY, 1)], theirs) == []
    assert signature_problems("x", [("other", p, EMPTY), ("alpha", p, 1)], theirs)  # kind
    assert signature_problems("x", [("other", p, EMPTY), ("alpha", KIND.KEYWORD_ONLY, 2)], theirs)  # default
    assert signature_problems("x", [("b", p, EMPTY), ("alpha", KIND.KEYWORD_ONLY, 1)], theirs)  # name


@pytest.mark.parametrize(("ours", "theirs"), SIGNATURE_ROWS, ids=[o for o, _ in SIGNATURE_ROWS])
def test_signature_matches_torch(ours, theirs):
    pytest.importorskip("torch")
    problems = signature_problems(ours, signature_rows(ours), signature_rows(theirs))
    assert not problems, f"{ours} vs {theirs}: " + "; ".join(problems)


@pytest.mark.parametrize(("path", "param"), sorted(DIFFERENCES), ids=[f"{p}:{n}" for p, n in sorted(DIFFERENCES)])
def test_documented_difference_is_real(path, param):
    """A DIFFERENCES row must name a parameter that really differs (else delete the row)."""
    pytest.importorskip("torch")
    theirs_path = dict(SIGNATURE_ROWS)[path]
    ours = {n: (k, d) for n, k, d in signature_rows(path)}
    theirs = {n: (k, d) for n, k, d in signature_rows(theirs_path)}
    assert param in ours or param in theirs, f"{param!r} is in neither signature"
    if param in ours and param in theirs:
        (k, d), (tk, td) = ours[param], theirs[param]
        order_ours = [n for n in ours if n in theirs]
        order_theirs = [n for n in theirs if n in ours]
        assert k != tk or not _same_default(d, td) or order_ours != order_theirs, (
            f"{path}:{param} now matches torch; remove it from DIFFERENCES")


def test_torch_signature_overrides_match_torch():
    """Each override's keyword names are accepted by torch's argument parser."""
    torch = pytest.importorskip("torch")
    x = torch.ones(2)
    assert torch.relu(input=-x).tolist() == [0.0, 0.0]
    assert x.clone().mul_(other=2).tolist() == [2.0, 2.0]
    assert x.clone().div_(other=2, rounding_mode=None).tolist() == [0.5, 0.5]
    assert x.add(x, alpha=2).tolist() == [3.0, 3.0] and x.sub(x, alpha=2).tolist() == [-1.0, -1.0]
    assert x.mul(other=2).tolist() == [2.0, 2.0] and x.div(other=2, rounding_mode=None).tolist() == [0.5, 0.5]
    assert x.matmul(other=x).item() == 2.0
    assert x.sum(0, False, dtype=torch.float64).dtype == torch.float64
    for fn in (torch.sum, torch.mean, torch.argmax, torch.argmin):
        fn(input=x, dim=None, keepdim=False)
    assert torch.max(input=x, dim=0, keepdim=False).indices.item() == 0
    assert torch.min(input=x, dim=0, keepdim=False).indices.item() == 0
    assert torch.squeeze(input=x, dim=0).shape == (2,)
    with pytest.raises(TypeError):
        x.clone().mul_(value=2)
    with pytest.raises(TypeError):
        x.add(x, 2)
    with pytest.raises(TypeError):
        x.sum(0, False, torch.float64)
    with pytest.raises(TypeError):
        torch.max(x, dim=None)


# ---------------------------------------------------------------- 3. behaviour against torch
SPOT_CHECKS = [
    "L.tensor([[1., 5.], [3., 0.]]).max(1)",
    "L.tensor([[1., 5.], [3., 0.]]).min(dim=0, keepdim=True)",
    "L.tensor([[1., 5.], [3., 0.]]).max()",
    "L.tensor([[1., 5.], [3., 0.]]).argmax(1, keepdim=True)",
    "L.tensor([[1., 5.], [3., 0.]]).std(0, correction=0)",
    "L.tensor([[1., 5.], [3., 0.]]).var(1, keepdim=True)",
    "L.tensor([[1., 5.], [3., 0.]]).var(unbiased=False)",
    "L.tensor([[1., 5.], [3., 0.]]).var(0, False)",
    "L.tensor([[1., 5.], [3., 0.]]).std()",
    "L.tensor([[1., 2.], [3., 4.]]).var(dim=(0, 1))",
    "L.tensor([[1., 2.], [3., 4.]]).sum(dim=(0, 1), keepdim=True)",
    "L.tensor([[1., 2.], [3., 4.]]).mean(0, dtype=L.float64)",
    "L.tensor([[1., 5.], [3., 0.]]).size(-1)",
    "tuple(L.tensor([[1., 5.], [3., 0.]]).size())",
    "L.tensor([[1., 5.], [3., 0.]]).T",
    "L.tensor([3.5]).item()",
    "L.tensor([1., 5., 3.]).clamp(min=L.tensor([2., 0., 0.]))",
    "L.tensor([1., 5., 3.]).clamp_(L.tensor(2.), L.tensor([4., 4., 4.]))",
    "L.clamp(L.tensor([-1., 3.]), min=0., max=1.)",
    "L.tensor(3.).clamp(max=2)",
    "L.ones(3).add_(L.ones(3), alpha=2)",
    "L.ones(3).sub_(L.ones(3), alpha=0.5)",
    "L.ones(3).add(L.ones(3), alpha=-3)",
    "L.ones(3).addcmul_(L.full((3,), 2.), L.full((3,), 3.), value=0.5)",
    "L.ones(3).addcdiv_(L.ones(3), L.full((3,), 4.), value=-2)",
    "L.ones(3).lerp_(L.zeros(3), 0.25)",
    "L.ones(3).lerp_(L.zeros(3), L.tensor([0., .5, 1.]))",
    "L.ones(3).mul_(2).div_(L.tensor([1., 2., 4.]))",
    "L.ones(2).copy_(L.tensor(5.))",
    "L.ones(2).fill_(L.tensor(5.))",
    "L.ones(2).zero_()",
    "L.where(L.tensor([True, False]), L.tensor([1., 2.]), 0.)",
    "L.where(L.tensor([True, False]), 1., L.tensor([1., 2.]))",
    "L.maximum(L.tensor([1., 4.]), L.tensor([3., 2.]))",
    "L.minimum(input=L.tensor([1., 4.]), other=L.tensor([3., 2.]))",
    "L.stack([L.ones(2), L.zeros(2)], dim=1)",
    "L.cat([L.ones(2, 1), L.zeros(2, 2)], dim=-1)",
    "L.arange(5)", "L.arange(0., 1., .25)", "L.arange(1, 4, dtype=L.float64)",
    "L.linspace(0, 1, 5)", "L.full((2,), 3)", "L.full((2,), 3.)", "L.zeros(2, dtype=L.int64)",
    "L.zeros_like(input=L.ones(2, dtype=L.int64))", "L.ones_like(L.ones(2), dtype=L.float64)",
    "L.tensor([[1., 2.], [3., 4.]])[L.tensor([1, 0])]",
    "L.tensor([[1., 2.], [3., 4.]])[:, 1:]",
    "L.zeros(2, 3, 4).permute(2, 0, 1).shape",
    "L.zeros(2, 3).view(-1, 2).flatten().unsqueeze(0).squeeze(0).shape",
    "L.exp(input=L.tensor([0., 1.]))",
]


def _plain(value):
    """Values comparable across libraries: lists for tensors, dtype names, tuples for Sizes."""
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return (str(value.dtype).split(".")[-1], value.tolist())
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


@pytest.mark.parametrize("expr", SPOT_CHECKS)
def test_behaviour_matches_torch(expr):
    torch = pytest.importorskip("torch")
    ours = _plain(eval(expr, {"L": course_lib}))  # noqa: S307 - fixed expressions above
    theirs = _plain(eval(expr, {"L": torch}))  # noqa: S307
    _assert_same(ours, theirs)


def _assert_same(ours, theirs) -> None:
    """Same structure, same dtype names, values equal to float32 rounding (rtol 1e-6)."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), (ours, theirs)
        if len(theirs) == 2 and isinstance(theirs[0], str):  # (dtype name, values)
            assert ours[0] == theirs[0], f"dtype {ours[0]} != torch's {theirs[0]}"
            np.testing.assert_allclose(np.array(ours[1]), np.array(theirs[1]), rtol=1e-6)
            return
        for o, t in zip(ours, theirs):
            _assert_same(o, t)
        return
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_zero_grad_set_to_none_matches_torch():
    torch = pytest.importorskip("torch")
    for lib in (course_lib, torch):
        for set_to_none in (True, False):
            model = lib.nn.Linear(2, 1)
            opt = lib.optim.SGD(model.parameters(), lr=0.1)
            model(lib.ones(3, 2)).sum().backward()
            opt.zero_grad(set_to_none=set_to_none)
            assert (model.weight.grad is None) is set_to_none
            if not set_to_none:
                assert model.weight.grad.tolist() == [[0.0, 0.0]]
            model(lib.ones(3, 2)).sum().backward()
            model.zero_grad(set_to_none=set_to_none)
            assert (model.bias.grad is None) is set_to_none


def test_backward_inputs_matches_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (course_lib, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        (a * b).sum().backward(inputs=[a], retain_graph=True)
        results.append((a.grad.tolist(), b.grad))
    assert results[0] == results[1]


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_regression_loss_matches_torch(fn, reduction):
    torch = pytest.importorskip("torch")
    x, y, w = [[1.0, 2.0], [3.0, -1.0]], [[0.0, 2.5], [1.0, 1.0]], [[1.0, 2.0], [0.5, 3.0]]
    results = []
    for lib in (course_lib, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        loss = getattr(lib.nn.functional, fn)(xt, lib.tensor(y), reduction=reduction, weight=wt)
        loss.sum().backward()
        results.append([loss.tolist(), xt.grad.tolist(), wt.grad.tolist()])
    np.testing.assert_allclose(np.array(results[0][0]), np.array(results[1][0]), rtol=1e-6)
    for ours, theirs in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


# ---------------------------------------------------------------- regression tests (no torch)
def test_clamp__accepts_tensor_bounds():
    t = course_lib.tensor([1.0, 5.0, 3.0])
    t.clamp_(course_lib.tensor(2.0), course_lib.tensor([4.0, 4.0, 2.5]))
    assert t.tolist() == np.clip([1.0, 5.0, 3.0], 2.0, [4.0, 4.0, 2.5]).tolist()


def test_clamp__without_bounds_raises():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        course_lib.ones(2).clamp_()


@pytest.mark.parametrize("call", [
    lambda cl: cl.tensor([1.0], cl.float64),
    lambda cl: cl.full((2,), 1.0, cl.float64),
    lambda cl: cl.arange(0, 3, 1, cl.float64),
    lambda cl: cl.linspace(0, 1, 3, cl.float64),
    lambda cl: cl.zeros_like(cl.ones(2), cl.float64),
    lambda cl: cl.ones_like(cl.ones(2), cl.float64),
    lambda cl: cl.randint(0, 3, (2,), cl.int32),
    lambda cl: cl.ones(2).mean(0, False, cl.float64),
    lambda cl: cl.ones(2).sum(0, False, cl.float64),
    lambda cl: cl.sum(cl.ones(2), 0, False, cl.float64),
], ids=["tensor", "full", "arange", "linspace", "zeros_like", "ones_like", "randint", "mean", "sum",
        "top-level-sum"])
def test_dtype_is_keyword_only_as_in_torch(call):
    with pytest.raises(TypeError):
        call(course_lib)


@pytest.mark.parametrize("call", [
    lambda t: t.add_(t, 2), lambda t: t.sub_(t, 2), lambda t: t.add(t, 2), lambda t: t.sub(t, 2),
    lambda t: t.addcmul_(t, t, 2), lambda t: t.addcdiv_(t, t, 2),
], ids=["add_", "sub_", "add", "sub", "addcmul_", "addcdiv_"])
def test_alpha_and_value_are_keyword_only_as_in_torch(call):
    with pytest.raises(TypeError):
        call(course_lib.ones(2))


def test_elementwise_functions_take_torch_keyword_names():
    x = course_lib.tensor([-1.0, 4.0])
    assert course_lib.abs(input=x).tolist() == [1.0, 4.0]
    assert course_lib.relu(input=x).tolist() == [0.0, 4.0]
    assert course_lib.clamp(input=x, min=0.0).tolist() == [0.0, 4.0]
    assert course_lib.maximum(input=x, other=course_lib.zeros(2)).tolist() == [0.0, 4.0]
    assert course_lib.minimum(input=x, other=course_lib.zeros(2)).tolist() == [-1.0, 0.0]
    assert course_lib.zeros_like(input=x).tolist() == [0.0, 0.0]
    assert course_lib.from_numpy(ndarray=np.ones(1)).tolist() == [1.0]
    assert course_lib.sum(input=x, dim=0).item() == 3.0
    assert course_lib.argmax(input=x).item() == 1
    assert course_lib.pow(input=x, exponent=2).tolist() == [1.0, 16.0]
    assert course_lib.matmul(input=x, other=x).item() == 17.0
    assert course_lib.transpose(input=x.reshape(1, 2), dim0=0, dim1=1).shape == (2, 1)
    assert course_lib.ones(2, 1).expand(2, 3).shape == (2, 3)


def test_dataloader_options_after_shuffle_are_keyword_only():
    """torch's DataLoader has sampler, num_workers, ... before drop_last: only keywords port."""
    dataset = course_lib.data.TensorDataset(course_lib.arange(5.0))
    with pytest.raises(TypeError):
        course_lib.data.DataLoader(dataset, 2, False, True)
    assert len(list(course_lib.data.DataLoader(dataset, 2, False, drop_last=True))) == 2


def test_dataloader_leading_parameters_match_torch():
    pytest.importorskip("torch")
    ours = signature_rows("course_lib.data.DataLoader.__init__")
    theirs = signature_rows("torch.utils.data.DataLoader.__init__")
    assert [r[0] for r in ours[:3]] == [r[0] for r in theirs[:3]] == ["dataset", "batch_size", "shuffle"]
    assert all(kind == KIND.KEYWORD_ONLY for _, kind, _ in ours[3:])


def test_optimizer_groups_and_state_use_torchs_keys():
    """param_groups hold every option under torch's names; state uses torch's buffer names."""
    torch = pytest.importorskip("torch")
    for name in API_NAMES["course_lib.optim"][1:-1]:
        found = []
        for lib in (course_lib, torch):
            p = lib.tensor([[1.0, -2.0]] if name == "Muon" else [1.0, -2.0], requires_grad=True)
            opt = getattr(lib.optim, name)([p], lr=0.1)

            def closure():  # LBFGS needs one; the others run it once before their update
                opt.zero_grad()
                loss = (p * p).sum()
                loss.backward()
                return loss

            opt.step(closure)
            sd = opt.state_dict()
            found.append((sorted(opt.param_groups[0]), sorted(opt.state[p]), sorted(sd["state"]),
                          sorted(sd["param_groups"][0]), sd["param_groups"][0]["params"]))
        assert found[0] == found[1], name


def test_swa_utils_state_and_group_keys_match_torch():
    """SWALR's state_dict and the keys it adds to param_groups; AveragedModel's state_dict."""
    torch = pytest.importorskip("torch")
    found = []
    for lib in (course_lib, torch):
        model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
        averaged = lib.optim.swa_utils.AveragedModel(model, use_buffers=True)
        averaged.update_parameters(model)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        sched = lib.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
        found.append((list(averaged.state_dict()), str(averaged.n_averaged.dtype).split(".")[-1],
                      sorted(sched.state_dict()), sorted(opt.param_groups[0])))
    assert found[0] == found[1]


def test_module_traversal_matches_torch():
    torch = pytest.importorskip("torch")
    found = []
    for lib in (course_lib, torch):
        nn = lib.nn
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Flatten(),
                              nn.Linear(4, 2, bias=False), nn.Tanh(), nn.Sigmoid())
        found.append((
            [n for n, _ in model.named_parameters()], list(model.state_dict()),
            len(list(model.children())), len(list(model.modules())),
            model.eval().training, model[2].training, model.train().training, repr(model),
            str(model.load_state_dict(model.state_dict())),
        ))
    assert found[0] == found[1]


def test_randint_requires_grad_keyword():
    t = course_lib.randint(0, 3, (2,), dtype=course_lib.float32, requires_grad=True)
    assert t.requires_grad and t.dtype == course_lib.float32


def test_numpy_force_shares_memory_of_a_tensor_that_requires_grad():
    t = course_lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    array = t.numpy(force=True)
    array[0] = 5.0
    assert t.tolist() == [5.0, 1.0]


def test_backward_inputs_accumulates_only_into_inputs():
    a = course_lib.tensor([1.0, 2.0], requires_grad=True)
    b = course_lib.tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=a)
    assert a.grad.tolist() == [3.0, 4.0] and b.grad is None  # d(a.b)/da = b


def test_backward_inputs_empty_raises():
    a = course_lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (a * 2).sum().backward(inputs=[])


def test_backward_create_graph_is_not_supported():
    a = course_lib.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph"):
        (a * 2).sum().backward(create_graph=True)


def test_backward_retain_graph_is_accepted():
    a = course_lib.ones(2, requires_grad=True)
    loss = (a * 2).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert a.grad.tolist() == [4.0, 4.0]  # accumulated twice


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss"])
def test_weighted_regression_loss_is_weighted_mean(fn):
    F = course_lib.nn.functional
    x, y, w = np.array([1.0, 2.0, 4.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 2.0, 0.5])
    error = (x - y) ** 2 if fn == "mse_loss" else np.abs(x - y)
    loss = getattr(F, fn)(course_lib.tensor(x), course_lib.tensor(y), weight=course_lib.tensor(w))
    np.testing.assert_allclose(loss.item(), np.sum(w * error) / np.sum(w))
    total = getattr(F, fn)(course_lib.tensor(x), course_lib.tensor(y), reduction="sum", weight=course_lib.tensor(w))
    np.testing.assert_allclose(total.item(), np.sum(w * error))
    with pytest.raises(ValueError, match="same size"):
        getattr(F, fn)(course_lib.tensor(x), course_lib.tensor(y), weight=course_lib.ones(2))
