"""Checkers for lesson 11 (optimizers are chains of pure gradient transforms).

Each ``check_*`` builds the student's transform, runs it next to the reference in
:mod:`course_lib.optim.chain` on a few cases (edge cases included), prints one line when
everything agrees, and otherwise raises :class:`~course_lib.checks._core.ExerciseError`
naming the step, the expected and the returned updates and the likely mistake. Likely
mistakes are found by computing the usual wrong answers (bias correction with the step
starting at 0, eps inside the square root, links in the wrong order, weight decay after
the learning rate, ...) and seeing which one the student's result equals.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Sequence

import numpy as np

from ..optim import chain as ch
from ..tensor import Tensor
from ._core import ExerciseError, allclose, call_student, describe_difference, format_value, report_success

__all__ = ["check_scale", "check_add_decayed_weights", "check_scale_by_adam", "check_chain", "check_adamw"]

_TOL = {"rtol": 1e-9, "atol": 1e-12}  # float64 throughout: only rounding may differ


# ---------------------------------------------------------------------------- helpers
def _parts(transform: Any, made_by: str) -> tuple[Callable, Callable]:
    """``(init, update)`` of what the student's factory returned, or a clear error."""
    init, update = getattr(transform, "init", None), getattr(transform, "update", None)
    if init is None and isinstance(transform, tuple) and len(transform) == 2:
        init, update = transform
    if not (callable(init) and callable(update)):
        raise ExerciseError(
            f"{made_by} returned {format_value(transform)} ({type(transform).__name__}), not a transform.\n"
            "  likely mistake: return ch.GradientTransformation(init, update), the two inner functions "
            "themselves (not their results)."
        )
    return init, update


def _call(fn: Callable, what: str, *args: Any, **kwargs: Any) -> Any:
    """Run student code: a stub becomes the friendly message, a crash says where it happened."""
    try:
        return call_student(fn, *args, **kwargs)
    except ExerciseError:
        raise
    except Exception as error:
        error.add_note(f"(while checking: {what})")
        raise


def _split(result: Any, what: str) -> tuple[list, Any]:
    """``(updates, state)`` from what ``update`` returned, or say what the contract is."""
    if not (isinstance(result, tuple) and len(result) == 2):
        raise ExerciseError(
            f"{what} returned {format_value(result)}, not a pair (updates, state).\n"
            "  likely mistake: update must return both the new updates and the new state: "
            "`return new_updates, state`."
        )
    return result


def _same(a: Any, b: Any) -> bool:
    """Exact equality of (lists of) arrays, for the purity checks."""
    try:
        return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    except (TypeError, ValueError):
        return False


def _first_match(got: Any, wrong: Sequence[tuple[str, Any]]) -> str | None:
    """The explanation of the first usual wrong answer ``got`` equals, else a nan/inf hint."""
    for explanation, value in wrong:
        if value is not None and allclose(got, value, **_TOL):
            return explanation
    try:
        if any(not np.all(np.isfinite(np.asarray(g, dtype=float))) for g in got):
            return "your updates hold nan or inf: look for a division by zero."
    except (TypeError, ValueError):
        pass
    return None


def _fail(headline: str, inputs: str, got: Any, expected: Any, hint: str | None) -> None:
    """Raise the standard message: inputs, yours, expected, difference, likely mistake."""
    lines = [headline, f"  inputs:      {inputs}", f"  your result: {format_value(got)}",
             f"  expected:    {format_value(expected)}",
             f"  difference:  {describe_difference(got, expected, **_TOL)}"]
    if hint:
        lines.append(f"  likely mistake: {hint}")
    raise ExerciseError("\n".join(lines))


def _run(transform: Any, made_by: str, params: list, grads_seq: Sequence[list]) -> tuple[list, list]:
    """Run ``transform`` over ``grads_seq`` with fixed ``params``: (updates per step, states).

    Checks purity on the way: ``update`` must not change the updates, the params or the
    state it was given.
    """
    init, update = _parts(transform, made_by)
    state = _call(init, f"{made_by}.init(params)", copy.deepcopy(params))
    outputs, states = [], []
    for k, grads in enumerate(grads_seq, start=1):
        g_in, p_in, s_in = copy.deepcopy(grads), copy.deepcopy(params), copy.deepcopy(state)
        result = _call(update, f"{made_by}.update at step {k}", g_in, state, p_in)
        updates, new_state = _split(result, f"{made_by}'s update at step {k}")
        if not _same(g_in, grads) or not _same(p_in, params):
            raise ExerciseError(
                f"{made_by}'s update changed its input arrays in place at step {k}.\n"
                "  likely mistake: a transform must be pure: build new arrays (`step_size * u`, "
                "`u + wd * p`) instead of `u *= ...` or `u += ...`; the caller still needs its gradients."
            )
        if not _same_state(state, s_in):
            raise ExerciseError(
                f"{made_by}'s update changed the state it was given at step {k}.\n"
                "  likely mistake: return a NEW state (new lists of new arrays); updating the old "
                "moments in place (`m *= b1`) breaks purity: the caller may still use the old state."
            )
        outputs.append(updates)
        states.append(new_state)
        state = new_state
    return outputs, states


def _same_state(a: Any, b: Any) -> bool:
    """Exact equality of two states (nested tuples/lists of arrays and numbers)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _problem(rng: np.random.Generator) -> tuple[list, list]:
    """Params of two shapes and four gradient steps, one coordinate always zero."""
    params = [rng.normal(size=(2, 3)), rng.normal(size=(3,))]
    grads_seq = []
    for k in range(4):
        g = [rng.normal(size=(2, 3)) * 10.0 ** (k - 2), rng.normal(size=(3,))]
        g[1][0] = 0.0
        grads_seq.append(g)
    return params, grads_seq


def _compare_steps(name: str, inputs: str, got: list, expected: list, wrong: Callable[[int], list]) -> None:
    """Compare step by step; on the first difference, diagnose with ``wrong(step_index)``."""
    for k, (g, e) in enumerate(zip(got, expected)):
        if describe_difference(g, e, **_TOL) is not None:
            _fail(f"{name} gives wrong updates at step {k + 1}.", inputs, g, e, _first_match(g, wrong(k)))


# ---------------------------------------------------------------------------- scale
def check_scale(scale: Callable[[float], Any]) -> None:
    """Check the student's ``scale(step_size)``: ``u -> step_size * u``, pure, no state."""
    params, grads_seq = _problem(np.random.default_rng(11))
    cases = [-0.1, 2.0, 0.0]
    for step_size in cases:
        transform = _call(scale, f"scale({step_size})", step_size)
        got, _ = _run(transform, f"scale({step_size})", params, grads_seq[:2])
        expected, _ = _run(ch.scale(step_size), "reference", params, grads_seq[:2])

        def wrong(k, s=step_size):
            g = grads_seq[k]
            return [
                ("the step size is ignored: multiply each update by step_size.", g),
                ("the sign is flipped: scale(step_size) multiplies by step_size as given; "
                 "the minus sign of descent is part of the argument, scale(-lr).", [-s * u for u in g]),
                ("you divided by step_size; multiply instead.", [u / s for u in g] if s else None),
            ]

        _compare_steps("scale", f"step_size = {step_size}, updates = {format_value(grads_seq[0])}", got, expected, wrong)
    transform = _call(scale, "scale(0.5)", 0.5)
    empty, _ = _run(transform, "scale(0.5)", [], [[]])
    if list(empty[0]) != []:
        raise ExerciseError(f"scale(0.5) on an empty list of updates gave {format_value(empty[0])}, expected [].")
    report_success("scale", len(cases) + 1)


# ---------------------------------------------------------------------------- weight decay
def check_add_decayed_weights(add_decayed_weights: Callable[[float], Any]) -> None:
    """Check ``add_decayed_weights(weight_decay)``: ``u -> u + weight_decay * p``, pure."""
    params, grads_seq = _problem(np.random.default_rng(12))
    cases = [0.1, 0.0, 2.5]
    for wd in cases:
        made_by = f"add_decayed_weights({wd})"
        got, _ = _run(_call(add_decayed_weights, made_by, wd), made_by, params, grads_seq[:2])
        expected, _ = _run(ch.add_decayed_weights(wd), "reference", params, grads_seq[:2])

        def wrong(k, wd=wd):
            g = grads_seq[k]
            return [
                ("the decay uses the update instead of the parameter: add weight_decay * p, not "
                 "weight_decay * u.", [u + wd * u for u in g]),
                ("the sign is wrong: add + weight_decay * p (the minus comes later, with -lr).",
                 [u - wd * p for u, p in zip(g, params)]),
                ("the update itself is dropped: return u + weight_decay * p, not only the decay term.",
                 [wd * p for p in params]),
                ("weight_decay is ignored.", g),
                ("this multiplies the update by (1 - weight_decay); the transform ADDS the decay "
                 "term: u + weight_decay * p.", [u * (1 - wd) for u in g]),
            ]

        inputs = f"weight_decay = {wd}, updates = {format_value(grads_seq[0])}, params = {format_value(params)}"
        _compare_steps("add_decayed_weights", inputs, got, expected, wrong)
    report_success("add_decayed_weights", len(cases))


# ---------------------------------------------------------------------------- Adam
def _adam_variant(grads_seq: Sequence[list], b1: float, b2: float, eps: float, kind: str) -> list:
    """Updates of a usual wrong ``scale_by_adam`` (``kind``) over ``grads_seq``."""
    m = [np.zeros_like(g) for g in grads_seq[0]]
    v = [np.zeros_like(g) for g in grads_seq[0]]
    outputs = []
    with np.errstate(all="ignore"):
        for k, grads in enumerate(grads_seq):
            t = {"t0": k, "frozen": 1}.get(kind, k + 1)
            m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads)]
            if kind == "v_not_squared":
                v = [b2 * vi + (1 - b2) * np.abs(g) for vi, g in zip(v, grads)]
            else:
                v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v, grads)]
            bc1, bc2 = 1 - b1**t, 1 - b2**t
            if kind == "no_bias_correction":
                out = [mi / (np.sqrt(vi) + eps) for mi, vi in zip(m, v)]
            elif kind == "eps_inside_sqrt":
                out = [(mi / bc1) / np.sqrt(vi / bc2 + eps) for mi, vi in zip(m, v)]
            elif kind == "eps_before_correction":
                out = [(mi / bc1) / ((np.sqrt(vi) + eps) / np.sqrt(bc2)) for mi, vi in zip(m, v)]
            elif kind == "no_sqrt":
                out = [(mi / bc1) / (vi / bc2 + eps) for mi, vi in zip(m, v)]
            else:
                out = [(mi / bc1) / (np.sqrt(vi / bc2) + eps) for mi, vi in zip(m, v)]
            if kind in ("stored_hat", "stored_m_hat"):  # the corrected moments kept as state
                m = [mi / bc1 for mi in m]
                if kind == "stored_hat":
                    v = [vi / bc2 for vi in v]
            outputs.append(out)
    return outputs


_ADAM_MISTAKES = {
    "t0": "bias correction with the step starting at 0: on the first update t must be 1 "
          "(t = count + 1), otherwise 1 - b1**0 = 0 and you divide by zero.",
    "frozen": "the count never advances: return the state with count + 1, so the bias "
              "correction uses t = 1, 2, 3, ...",
    "no_bias_correction": "no bias correction: divide m by (1 - b1**t) and v by (1 - b2**t).",
    "eps_inside_sqrt": "eps is inside the square root: use m_hat / (sqrt(v_hat) + eps).",
    "eps_before_correction": "eps is added before the bias correction of v (the paper's 'efficient' "
                             "form); torch and optax add it after: sqrt(v / (1 - b2**t)) + eps.",
    "no_sqrt": "the square root of v_hat is missing: divide by sqrt(v_hat) + eps.",
    "v_not_squared": "v averages |g| instead of g * g.",
    "stored_hat": "the state holds the bias-corrected moments: keep the raw m and v in the state "
                  "and bias-correct copies (m_hat, v_hat) for the output only.",
    "stored_m_hat": "the state holds the bias-corrected m: keep the raw m in the state and "
                    "bias-correct a copy (m_hat) for the output only.",
}


def check_scale_by_adam(scale_by_adam: Callable[..., Any]) -> None:
    """Check ``scale_by_adam(b1, b2, eps)`` over four updates, incl. a zero gradient.

    Compares every step's updates (and the state's ``count``, ``mu``, ``nu`` when present)
    with :func:`course_lib.optim.chain.scale_by_adam`.
    """
    params, grads_seq = _problem(np.random.default_rng(13))
    cases = [(0.9, 0.999, 1e-8), (0.5, 0.9, 0.1)]  # a large eps shows where eps sits
    for b1, b2, eps in cases:
        made_by = f"scale_by_adam(b1={b1}, b2={b2}, eps={eps})"
        got, states = _run(_call(scale_by_adam, made_by, b1=b1, b2=b2, eps=eps), made_by, params, grads_seq)
        expected, ref_states = _run(ch.scale_by_adam(b1, b2, eps), "reference", params, grads_seq)
        variants = {kind: _adam_variant(grads_seq, b1, b2, eps, kind) for kind in _ADAM_MISTAKES}

        def wrong(k, variants=variants):
            # a step that starts at 0 shows at the first update (division by zero); later
            # updates of that variant equal the "count never advances" one
            return [(_ADAM_MISTAKES[kind], outs[k]) for kind, outs in variants.items() if kind != "t0" or k == 0]

        inputs = f"{made_by}, gradients at step 1 = {format_value(grads_seq[0])}"
        _compare_steps("scale_by_adam", inputs, got, expected, wrong)
        for k, (state, ref) in enumerate(zip(states, ref_states), start=1):
            count = getattr(state, "count", None)
            if count is not None and count != ref.count:
                raise ExerciseError(
                    f"after update {k} your state's count is {format_value(count)}, expected {ref.count}.\n"
                    "  likely mistake: store the incremented count t = count + 1 in the new state, "
                    "as torch stores state['step'] after incrementing it."
                )
            for field in ("mu", "nu"):
                value = getattr(state, field, None)
                if value is not None and not allclose(value, getattr(ref, field), **_TOL):
                    raise ExerciseError(
                        f"after update {k} your state's {field} is {format_value(value)}, expected "
                        f"{format_value(getattr(ref, field))}.\n  likely mistake: keep the raw moments "
                        "m and v in the state (not the bias-corrected m_hat, v_hat)."
                    )
    report_success("scale_by_adam", len(cases))


# ---------------------------------------------------------------------------- chain
def check_chain(chain: Callable[..., Any]) -> None:
    """Check ``chain(*transforms)``: links applied in order, each with its own state."""
    params, grads_seq = _problem(np.random.default_rng(14))
    cases = {
        "no links (the identity)": [],
        "one link": [ch.scale(2.0)],
        "decay then scale": [ch.add_decayed_weights(0.1), ch.scale(-0.5)],
        "adam then scale": [ch.scale_by_adam(), ch.scale(-0.1)],
        "three links": [ch.add_decayed_weights(0.01), ch.scale_by_adam(0.5, 0.9, 0.1), ch.scale_by_learning_rate(0.3)],
    }
    for label, links in cases.items():
        made_by = f"chain(<{label}>)"
        got, states = _run(_call(chain, made_by, *links), made_by, params, grads_seq)
        expected, _ = _run(ch.chain(*links), "reference", params, grads_seq)
        wrong_answers = {
            "the links run in reverse order: the first transform given must see the gradients first.":
                _run(ch.chain(*reversed(links)), "reference", params, grads_seq)[0],
            "every link gets the original gradients: feed each link's output into the next one.":
                _run(links[-1], "reference", params, grads_seq)[0] if links else None,
            "the state is not passed on: return the tuple of the links' NEW states, so "
            "that the next update continues from them.":
                [_run(ch.chain(*links), "reference", params, [g])[0][0] for g in grads_seq],
        }

        def wrong(k, wrong_answers=wrong_answers):
            return [(text, None if outs is None else outs[k]) for text, outs in wrong_answers.items()]

        _compare_steps("chain", f"links: {label}, gradients at step 1 = {format_value(grads_seq[0])}",
                       got, expected, wrong)
        if not (isinstance(states[-1], (tuple, list)) and len(states[-1]) == len(links)):
            raise ExerciseError(
                f"chain(<{label}>)'s state is {format_value(states[-1])}, expected a tuple of "
                f"{len(links)} states, one per link.\n  likely mistake: init must return "
                "tuple(t.init(params) for t in transforms)."
            )
    report_success("chain", len(cases))


# ---------------------------------------------------------------------------- AdamW
def _quadratic_run(step: Callable[[list, list], list], params: list, steps: int) -> list:
    """Params after each of ``steps`` updates on f(p) = sum(a * (p - c)**2) / 2."""
    rng = np.random.default_rng(15)
    curvature = [rng.uniform(0.1, 10.0, size=p.shape) for p in params]
    centre = [rng.normal(size=p.shape) for p in params]
    path = []
    for _ in range(steps):
        grads = [a * (p - c) for a, p, c in zip(curvature, params, centre)]
        params = step(params, grads)
        path.append(params)
    return path


def _class_path(make_optimizer: Callable, params: list, steps: int) -> list:
    """The same run with a course_lib optimizer class (float64 tensors, grads set by hand)."""
    tensors = [Tensor(np.array(p, copy=True), requires_grad=True) for p in params]
    optimizer = make_optimizer(tensors)

    def step(_, grads):
        for t, g in zip(tensors, grads):
            t.grad = Tensor(np.array(g, copy=True))
        optimizer.step()
        return [t._data.copy() for t in tensors]

    return _quadratic_run(step, params, steps)


def _chain_path(transform: Any, made_by: str, params: list, steps: int) -> list:
    """The run with a chain: init, then update and apply_updates at every step."""
    init, update = _parts(transform, made_by)
    state = [_call(init, f"{made_by}.init(params)", copy.deepcopy(params))]

    def step(current, grads):
        result = _call(update, f"{made_by}.update", grads, state[0], current)
        updates, state[0] = _split(result, f"{made_by}'s update")
        return ch.apply_updates(current, updates)

    return _quadratic_run(step, params, steps)


def check_adamw(adamw: Callable[..., Any], steps: int = 50) -> None:
    """Check the student's ``adamw(...)`` chain against ``course_lib.optim.AdamW`` for 50 steps."""
    from ..optim.adamw import AdamW

    rng = np.random.default_rng(16)
    params = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    cases = [dict(learning_rate=0.05, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.5),
             dict(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-3, weight_decay=0.1), {}]
    for options in cases:
        o = {"learning_rate": 1e-3, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "weight_decay": 1e-2, **options}
        lr, wd = o["learning_rate"], o["weight_decay"]
        made_by = "adamw(" + ", ".join(f"{k}={v}" for k, v in options.items()) + ")"
        expected = _class_path(lambda ps: AdamW(ps, lr=lr, betas=(o["b1"], o["b2"]), eps=o["eps"], weight_decay=wd),
                               params, steps)
        got = _chain_path(_call(adamw, made_by, **options), made_by, params, steps)
        adam_dir = ch.scale_by_adam(o["b1"], o["b2"], o["eps"])
        wrong_chains = {
            "the decay sits before scale_by_adam: that is Adam's L2 penalty (Adam(weight_decay=...)); "
            "AdamW adds it after the Adam rescaling, before the learning rate.":
                ch.chain(ch.add_decayed_weights(wd), adam_dir, ch.scale(-lr)),
            "the decay is added after the learning rate: it must be multiplied by -lr too "
            "(p <- p (1 - lr wd)), so put add_decayed_weights before scale_by_learning_rate.":
                ch.chain(adam_dir, ch.scale(-lr), ch.add_decayed_weights(wd)),
            "the learning rate has the wrong sign: the last link is scale(-lr) "
            "(or scale_by_learning_rate(lr), which flips the sign for you).":
                ch.chain(adam_dir, ch.add_decayed_weights(wd), ch.scale(lr)),
            "the weight decay is missing: add ch.add_decayed_weights(weight_decay).":
                ch.chain(adam_dir, ch.scale(-lr)),
            "the decay link was given lr * weight_decay: give it weight_decay itself; the "
            "learning-rate link after it multiplies the decay by lr.":
                ch.chain(adam_dir, ch.add_decayed_weights(lr * wd), ch.scale(-lr)),
            "b1 and b2 are swapped: scale_by_adam(b1, b2, eps), b1 for the mean of the gradients.":
                ch.chain(ch.scale_by_adam(o["b2"], o["b1"], o["eps"]), ch.add_decayed_weights(wd),
                         ch.scale(-lr)),
            "scale_by_adam runs with its defaults: pass it b1, b2 and eps (the arguments of adamw).":
                ch.chain(ch.scale_by_adam(), ch.add_decayed_weights(wd), ch.scale(-lr)),
        }
        for k, (g, e) in enumerate(zip(got, expected)):
            if describe_difference(g, e, **_TOL) is not None:
                hint = None
                for text, wrong in wrong_chains.items():
                    if allclose(g, _chain_path(wrong, "reference", params, steps)[k], **_TOL):
                        hint = text
                        break
                _fail(f"{made_by} differs from course_lib.optim.AdamW after step {k + 1} (of {steps}).",
                      f"{made_by} on a quadratic, start params = {format_value(params)}", g, e, hint)
    report_success("adamw", len(cases), what=f"settings ({steps} steps each)")
