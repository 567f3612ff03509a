"""Checkers for lesson 11 (optimizers are chains of pure gradient transforms).

Each check runs the student's transform next to :mod:`course_lib.optim.chain` for a few steps,
checks that it is pure and compares every step's updates, with the inputs of that step.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Sequence

import numpy as np

from ..optim import chain as ch
from ..optim.adamw import adamw_update
from ._core import EXACT, call_student, compare, fail, format_value, identical, report_success, require

__all__ = ["check_scale", "check_add_decayed_weights", "check_scale_by_adam", "check_chain", "check_adamw"]


# Crashes of a student's update: (exception type, words in the message, hint).
UPDATE_CRASHES = [
    (TypeError, "but 3 were given", "update is called as update(updates, state, params): give it the third "
                                    "parameter, params=None, even when the transform does not use it."),
]
CHAIN_CRASHES = [  # a link (course_lib's) given something else than its own state
    (AttributeError, "'tuple' object has no attribute",
     "each link gets its own state: loop over zip(transforms, state) and pass each link its own, not the tuple."),
    (AttributeError, "'function' object has no attribute",
     "init must call each link's init: tuple(t.init(params) for t in transforms), not t.init."),
]


def _parts(transform: Any, made_by: str) -> tuple[Callable, Callable]:
    """``(init, update)`` of what the student's factory returned, or a clear error."""
    init, update = getattr(transform, "init", None), getattr(transform, "update", None)
    if init is None and isinstance(transform, tuple) and len(transform) == 2:
        init, update = transform
    require([
        (transform is None, f"{made_by} returned None, not a transform.", "did you forget `return`? Return one "
         "transform: ch.GradientTransformation(init, update), or ch.chain(...) of transforms."),
        (isinstance(transform, (list, tuple)) and all(isinstance(t, ch.GradientTransformation) for t in transform),
         f"{made_by} returned a {type(transform).__name__} of transforms, not one transform.",
         "combine the links into one transform: return ch.chain(first, second, ...)."),
        (not (callable(init) and callable(update)), f"{made_by} returned {format_value(transform)} "
         f"({type(transform).__name__}), not a transform.", "return ch.GradientTransformation(init, update), "
         "the two inner functions themselves (not their results)."),
    ])
    return init, update


def _run(transform: Any, made_by: str, params: list, grads_seq: Sequence[list],
         crashes: Sequence = ()) -> tuple[list, list]:
    """(updates per step, states after each) of ``transform`` over ``grads_seq`` with fixed ``params``,
    checking that ``init`` returns a state and ``update`` a pair, changing none of its inputs; ``crashes``:
    hints for crashes of ``update`` (after :data:`UPDATE_CRASHES`)."""
    init, update = _parts(transform, made_by)
    states = [call_student(init, copy.deepcopy(params), where=f"{made_by}.init(params)")]
    require([(states[0] is None, f"{made_by}.init(params) returned None.", "init returns the transform's state, "
              "even an empty one: return ch.EmptyState() (a chain keeps one state per link).")])
    outputs = []
    for k, grads in enumerate(grads_seq, start=1):
        g_in, p_in, s_in = copy.deepcopy(grads), copy.deepcopy(params), copy.deepcopy(states[-1])
        where = f"{made_by}.update at step {k}"
        result = call_student(update, g_in, states[-1], p_in, where=where, inputs=f"updates = {format_value(grads)}",
                              crashes=[*UPDATE_CRASHES, *crashes])
        require([
            (not (isinstance(result, tuple) and len(result) == 2), f"{where} returned {format_value(result)}, not a "
             "pair (updates, state).", "update returns the new updates and the new state: `return updates, state`."),
            (lambda: result[1] is None, f"{where} returned None for the new state.", "return the new state, even an "
             "unchanged one: a stateless transform returns the state it was given, `return updates, state`."),
            (not identical((g_in, p_in), (grads, params)), f"{where} changed its input arrays in place.", "a transform "
             "must be pure: build new arrays (`step_size * u`), not `u *= ...`; the caller still needs its gradients."),
            (not identical(states[-1], s_in), f"{where} changed the state it was given.", "return a NEW state of new "
             "arrays; updating the old moments in place (`m *= b1`) breaks purity: the caller may still use them."),
        ])
        outputs.append(result[0])
        states.append(result[1])
    return outputs, states


def _problem(rng: np.random.Generator) -> tuple[list, list]:
    """Params of two shapes and four gradient steps, one coordinate always zero."""
    params = [rng.normal(size=(2, 3)), rng.normal(size=(3,))]
    return params, [[rng.normal(size=(2, 3)) * 10.0 ** (k - 2), np.r_[0.0, rng.normal(size=3)[1:]]] for k in range(4)]


def _compare_runs(name: str, made_by: str, student: Any, reference: Any, params: list, grads_seq: list, setup: str,
                  wrong: dict, crashes: Sequence = ()) -> tuple[list, list]:
    """The student's run against the reference's, step by step with that step's inputs; ``wrong``: {hint: a wrong
    transform, or its updates at every step (None where it does not apply)}. Returns both runs' states."""
    got, states = _run(student, made_by, params, grads_seq, crashes)
    expected, ref_states = _run(reference, "reference", params, grads_seq)
    wrong = {hint: _run(w, "reference", params, grads_seq)[0] if isinstance(w, ch.GradientTransformation) else w
             for hint, w in wrong.items()}
    for k, (g, e) in enumerate(zip(got, expected)):
        compare(g, e, f"{name} gives wrong updates at step {k + 1}.", f"{setup}, updates at step {k + 1} = "
                f"{format_value(grads_seq[k])}", mistakes=[(h, w and w[k]) for h, w in wrong.items()], **EXACT)
    return states, ref_states


# ---------------------------------------------------------------------------- 11.1 scale
def check_scale(scale: Callable[[float], Any]) -> None:
    """Check the student's ``scale(step_size)``: ``u -> step_size * u``, pure, no state."""
    params, grads_seq = _problem(np.random.default_rng(11))
    cases = [-0.1, 2.0, 0.0]
    for s in cases:
        wrong = {"the step size is ignored: multiply each update by step_size.": ch.scale(1.0),
                 "the sign is flipped: scale(step_size) multiplies by step_size as given; the minus sign of descent "
                 "is part of the argument, scale(-lr).": ch.scale(-s),
                 "you divided by step_size; multiply instead.": ch.scale(1 / s) if s else None}
        _compare_runs("scale", f"scale({s})", call_student(scale, s, where=f"scale({s})"), ch.scale(s), params,
                      grads_seq[:2], f"step_size = {s}", wrong)
    empty, _ = _run(call_student(scale, 0.5, where="scale(0.5)"), "scale(0.5)", [], [[]])
    compare(list(empty[0]), [], "scale(0.5) on an empty list of updates", hint="return one update per input: "
            "[step_size * u for u in updates].")
    report_success("scale", len(cases) + 1)


# ---------------------------------------------------------------------------- 11.2 weight decay
def check_add_decayed_weights(add_decayed_weights: Callable[[float], Any]) -> None:
    """Check ``add_decayed_weights(weight_decay)``: ``u -> u + weight_decay * p``, pure."""
    params, grads_seq = _problem(np.random.default_rng(12))
    cases = [0.1, 0.0, 2.5]
    for wd in cases:
        made_by, decay = f"add_decayed_weights({wd})", ch.add_decayed_weights(wd)
        wrong = {
            "the decay uses the update instead of the parameter: add weight_decay * p, not weight_decay * u.":
                ch.scale(1 + wd),
            "the sign is wrong: add + weight_decay * p (the minus comes later, with -lr).":  # u - wd p = -(-u + wd p)
                ch.chain(ch.scale(-1.0), decay, ch.scale(-1.0)),
            "the update itself is dropped: return u + weight_decay * p, not only the decay term.":
                ch.chain(ch.scale(0.0), decay),
            "weight_decay is ignored.": ch.scale(1.0),
            "this multiplies the update by (1 - weight_decay); the transform ADDS the decay term: "
            "u + weight_decay * p.": ch.scale(1 - wd),
        }
        _compare_runs("add_decayed_weights", made_by, call_student(add_decayed_weights, wd, where=made_by), decay,
                      params, grads_seq[:2], f"weight_decay = {wd}, params = {format_value(params)}", wrong)
    report_success("add_decayed_weights", len(cases))


# ---------------------------------------------------------------------------- 11.3 Adam
def _adam_variant(grads_seq: Sequence[list], b1: float, b2: float, eps: float, kind: str) -> list:
    """Updates of a usual wrong ``scale_by_adam`` (``kind``) over ``grads_seq``."""
    m, v = [np.zeros_like(g) for g in grads_seq[0]], [np.zeros_like(g) for g in grads_seq[0]]
    outputs = []
    with np.errstate(all="ignore"):
        for k, grads in enumerate(grads_seq):
            t = {"t0": k, "frozen": 1}.get(kind, k + 1)
            m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads)]
            square = {"v_not_squared": np.abs, "v_of_g": lambda g: g}.get(kind, np.square)
            v = [b2 * vi + (1 - b2) * square(g) for vi, g in zip(v, grads)]
            bc1, bc2 = (1.0, 1.0) if kind == "no_bias_correction" else (1 - b1**t, 1 - b2**t)
            denom = {"eps_inside_sqrt": lambda vi: np.sqrt(vi / bc2 + eps),
                     "eps_before_correction": lambda vi: (np.sqrt(vi) + eps) / np.sqrt(bc2),
                     "no_sqrt": lambda vi: vi / bc2 + eps}.get(kind, lambda vi: np.sqrt(vi / bc2) + eps)
            outputs.append([(mi / bc1) / denom(vi) for mi, vi in zip(m, v)])
            if kind in ("stored_hat", "stored_m_hat"):  # the corrected moments kept as state
                m = [mi / bc1 for mi in m]
                v = [vi / bc2 for vi in v] if kind == "stored_hat" else v
            m, v = (v, m) if kind == "swapped" else (m, v)  # ScaleByAdamState(count, nu, mu)
    # a step from 0 shows at the first update (a division by zero); later it equals "frozen"
    return outputs[:1] + [None] * (len(outputs) - 1) if kind == "t0" else outputs


ADAM_MISTAKES = {
    "t0": "bias correction with the step starting at 0: on the first update t must be 1 (t = count + 1), "
          "otherwise 1 - b1**0 = 0 and you divide by zero.",
    "frozen": "the count never advances: return the state with count + 1, so the bias correction uses t = 1, 2, 3, ...",
    "no_bias_correction": "no bias correction: divide m by (1 - b1**t) and v by (1 - b2**t).",
    "eps_inside_sqrt": "eps is inside the square root: use m_hat / (sqrt(v_hat) + eps).",
    "eps_before_correction": "eps is added before the bias correction of v (the paper's 'efficient' form); torch "
                             "and optax add it after: sqrt(v / (1 - b2**t)) + eps.",
    "no_sqrt": "the square root of v_hat is missing: divide by sqrt(v_hat) + eps.",
    "v_not_squared": "v averages |g| instead of g * g.",
    "v_of_g": "v averages g instead of g * g: where v turns negative its square root is nan.",
    "stored_hat": "the state holds the bias-corrected moments: keep the raw m and v in the state and "
                  "bias-correct copies (m_hat, v_hat) for the output only.",
    "stored_m_hat": "the state holds the bias-corrected m: keep the raw m in the state and bias-correct a copy "
                    "(m_hat) for the output only.",
    "swapped": "mu and nu are swapped in the state you return: ch.ScaleByAdamState(count, mu, nu) keeps the mean "
               "of g in mu and the mean of g * g in nu.",
}


def check_scale_by_adam(scale_by_adam: Callable[..., Any]) -> None:
    """Check ``scale_by_adam(b1, b2, eps)`` over four updates, incl. a zero gradient. Compares every step's
    updates (and the state's ``count``, ``mu``, ``nu``) with
    :func:`course_lib.optim.chain.scale_by_adam`."""
    params, grads_seq = _problem(np.random.default_rng(13))
    moments = "keep the raw moments m and v in the state (not the bias-corrected m_hat, v_hat)."
    fields = {"count": "count is the number of updates done: 0 from init, then the new state stores t = count + 1 "
                       "(as torch stores state['step'] after incrementing it).", "mu": moments, "nu": moments}
    cases = [(0.9, 0.999, 1e-8), (0.5, 0.9, 0.1)]  # a large eps shows where eps sits
    for b1, b2, eps in cases:
        made_by = f"scale_by_adam(b1={b1}, b2={b2}, eps={eps})"
        states, ref_states = _compare_runs(
            "scale_by_adam", made_by, call_student(scale_by_adam, b1=b1, b2=b2, eps=eps, where=made_by),
            ch.scale_by_adam(b1, b2, eps), params, grads_seq, made_by,
            {hint: _adam_variant(grads_seq, b1, b2, eps, kind) for kind, hint in ADAM_MISTAKES.items()})
        for k, (state, ref) in enumerate(zip(states[1:], ref_states[1:]), start=1):
            require([(not all(hasattr(state, f) for f in fields), f"after update {k} your state is a "
                      f"{type(state).__name__}, without the fields count, mu and nu.",
                      "return ch.ScaleByAdamState(count=t, mu=mu, nu=nu), the state the exercise asks for.")])
            for field in fields:
                compare(getattr(state, field), getattr(ref, field), f"after update {k} your state's {field}",
                        hint=fields[field], **EXACT)
    report_success("scale_by_adam", len(cases))


# ---------------------------------------------------------------------------- 11.4 chain
def check_chain(chain: Callable[..., Any]) -> None:
    """Check ``chain(*transforms)``: links applied in order, each with its own state, in a tuple."""
    params, grads_seq = _problem(np.random.default_rng(14))
    cases = {
        "no links (the identity)": [],
        "one link": [ch.scale(2.0)],
        "decay then scale": [ch.add_decayed_weights(0.1), ch.scale(-0.5)],
        "adam then scale": [ch.scale_by_adam(), ch.scale(-0.1)],
        "three links": [ch.add_decayed_weights(0.01), ch.scale_by_adam(0.5, 0.9, 0.1), ch.scale_by_learning_rate(0.3)],
    }
    for label, links in cases.items():
        made_by, reference = f"chain(<{label}>)", ch.chain(*links)
        wrong = {
            "the links run in reverse order: the first transform given must see the gradients first.":
                ch.chain(*reversed(links)),
            "every link gets the original gradients: feed each link's output into the next one.":
                links[-1] if links else None,
            "the state is not passed on: return the tuple of the links' NEW states, so that the next update "
            "continues from them.": [_run(reference, "reference", params, [g])[0][0] for g in grads_seq],
        }
        states, _ = _compare_runs("chain", made_by, call_student(chain, *links, where=made_by), reference, params,
                                  grads_seq, f"links: {label}", wrong, CHAIN_CRASHES)
        for k, state in enumerate(states):
            if not (isinstance(state, tuple) and len(state) == len(links)):
                fail(f"{made_by}'s state {'from init' if k == 0 else f'after update {k}'} is not a tuple of "
                     f"{len(links)} states, one per link.", got=state, hint="init must return tuple(t.init(params) "
                     "for t in transforms), and update tuple(new_states): a state is an immutable tuple, never a list.")
    report_success("chain", len(cases))


# ---------------------------------------------------------------------------- 11.5 AdamW
def _adamw_class(**options: Any) -> ch.GradientTransformation:
    """``course_lib.optim.AdamW``'s step (its pure ``adamw_update`` on every parameter) as a transform."""
    def update(grads, states, params):
        new = [adamw_update(p, g, s, **options) for p, g, s in zip(params, grads, states)]
        return [q - p for (q, _), p in zip(new, params)], [s for _, s in new]

    return ch.GradientTransformation(lambda params: [{} for _ in params], update)


def _quadratic_path(transform: Any, made_by: str, params: list, steps: int) -> list:
    """Params after each of ``steps`` steps of ``transform`` (then apply_updates) on f(p) = sum(a * (p - c)**2) / 2."""
    rng = np.random.default_rng(15)
    curvature = [rng.uniform(0.1, 10.0, size=p.shape) for p in params]
    centre = [rng.normal(size=p.shape) for p in params]
    init, update = _parts(transform, made_by)
    state, path = call_student(init, copy.deepcopy(params), where=f"{made_by}.init(params)"), []
    for _ in range(steps):
        grads = [a * (p - c) for a, p, c in zip(curvature, params, centre)]
        updates, state = call_student(update, grads, state, params, where=f"{made_by}.update", crashes=UPDATE_CRASHES)
        params = ch.apply_updates(params, updates)
        path.append(params)
    return path


def check_adamw(adamw: Callable[..., Any], steps: int = 50) -> None:
    """Check the student's ``adamw(...)`` chain against ``course_lib.optim.AdamW`` for 50 steps."""
    rng = np.random.default_rng(16)
    params = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    defaults = dict(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2)  # adamw's, in its order
    cases = [dict(learning_rate=0.05, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.5),
             dict(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-3, weight_decay=0.1), {}]
    for options in cases:
        lr, b1, b2, eps, wd = {**defaults, **options}.values()
        made_by = "adamw(" + ", ".join(f"{k}={v}" for k, v in options.items()) + ")"
        expected = _quadratic_path(_adamw_class(lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd), "AdamW", params,
                                   steps)
        got = _quadratic_path(call_student(adamw, where=made_by, **options), made_by, params, steps)
        adam, decay, descend = ch.scale_by_adam(b1, b2, eps), ch.add_decayed_weights(wd), ch.scale(-lr)
        wrong = {
            "the decay sits before scale_by_adam: that is Adam's L2 penalty (Adam(weight_decay=...)); AdamW adds "
            "it after the Adam rescaling, before the learning rate.": [decay, adam, descend],
            "the decay is added after the learning rate: it must be multiplied by -lr too (p <- p (1 - lr wd)), so "
            "put add_decayed_weights before scale_by_learning_rate.": [adam, descend, decay],
            "the learning rate has the wrong sign: the last link is scale(-lr) (or scale_by_learning_rate(lr), "
            "which flips the sign for you).": [adam, decay, ch.scale(lr)],
            "the weight decay is missing: add ch.add_decayed_weights(weight_decay).": [adam, descend],
            "the decay link was given lr * weight_decay: give it weight_decay itself; the learning-rate link after "
            "it multiplies the decay by lr.": [adam, ch.add_decayed_weights(lr * wd), descend],
            "b1 and b2 are swapped: scale_by_adam(b1, b2, eps), b1 for the mean of the gradients.":
                [ch.scale_by_adam(b2, b1, eps), decay, descend],
            "scale_by_adam runs with its defaults: pass it b1, b2 and eps (the arguments of adamw).":
                [ch.scale_by_adam(), decay, descend],
            "the learning rate is its default 1e-3: pass adamw's learning_rate to the last link.":
                [adam, decay, ch.scale(-1e-3)],
        }
        paths = {text: _quadratic_path(ch.chain(*links), "reference", params, steps) for text, links in wrong.items()}
        for k, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, f"{made_by} differs from course_lib.optim.AdamW after step {k + 1} (of {steps}).",
                    f"{made_by} on a quadratic, start params = {format_value(params)}",
                    mistakes=[(text, path[k]) for text, path in paths.items()], **EXACT)
    report_success("adamw", len(cases), what=f"settings ({steps} steps each)")
