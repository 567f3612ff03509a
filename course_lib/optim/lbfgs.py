"""L-BFGS: a quasi-Newton method that builds a curvature model from recent steps.

All parameters are handled as one flat vector (``flat_grad`` is every gradient, flattened
and concatenated). One ``step(closure)`` runs up to ``max_iter`` iterations, in the symbols
of :func:`lbfgs_direction` and :func:`lbfgs_memory_update` (as ``torch.optim.LBFGS`` of torch
2.13, in torch's order of floating-point operations)::

    input: lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size,
           line_search_fn (None or "strong_wolfe"), closure (returns the loss, fills .grad)
    state: d, t, old_dirs = [], old_stps = [], ro = [], H_diag = 1, prev_flat_grad, prev_loss,
           n_iter = 0, func_evals = 0
    loss, flat_grad = closure()
    if max|flat_grad| <= tolerance_grad: return loss                    # already optimal
    for t = 1, 2, ..., max_iter:
        n_iter = n_iter + 1
        if n_iter == 1:                                                 # the very first one
            d = -flat_grad; old_dirs, old_stps, ro, H_diag = [], [], [], 1
        else:
            y = flat_grad - prev_flat_grad                              # change of gradient
            s = d * t                                                   # change of parameters
            old_dirs, old_stps, ro, H_diag = lbfgs_memory_update(...)   # if y.s > 1e-10
            d = lbfgs_direction(flat_grad, old_dirs, old_stps, ro, H_diag)   # ~ -H^-1 grad
        prev_flat_grad, prev_loss = flat_grad, loss
        t = min(1, 1 / sum|flat_grad|) * lr if n_iter == 1 else lr
        gtd = flat_grad . d
        if gtd > -tolerance_change: stop                                # not a descent direction
        if line_search_fn == "strong_wolfe":
            loss, flat_grad, t, evals = strong_wolfe(f, x, t, d, loss, flat_grad, gtd)
            x = x + t * d
        else:
            x = x + t * d
            loss, flat_grad = closure() unless this is the last iteration
        stop if: max_iter reached, max_eval evaluations made, max|flat_grad| <= tolerance_grad,
                 max|d * t| <= tolerance_change, or |loss - prev_loss| < tolerance_change
    return the first loss

``lbfgs_direction`` is the two-loop recursion (Nocedal & Wright, Algorithm 7.4) with the
initial inverse Hessian ``H_diag * I``, ``H_diag = y.s / y.y`` of the newest pair::

    q = -flat_grad
    for i = newest ... oldest:   al[i] = ro[i] * (old_stps[i] . q);  q = q - al[i] * old_dirs[i]
    r = H_diag * q
    for i = oldest ... newest:   be_i = ro[i] * (old_dirs[i] . r);   r = r + (al[i] - be_i) * old_stps[i]
    d = r

with ``old_dirs`` the ``y``'s, ``old_stps`` the ``s``'s and ``ro[i] = 1 / (y_i . s_i)``.

Like torch, the whole state lives in the state of the *first* parameter (``self.state[p0]``):
``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``,
``prev_loss``, ``n_iter``, ``func_evals``, and ``al`` (the first loop's coefficients, a
list of ``history_size`` entries, None where unused). Scalars that torch keeps as 0-d
tensors (``ro[i]``, ``H_diag``, often ``t``) are 0-d Tensors here too; in the computation
they are numpy scalars of the parameters' dtype, so that float32 arithmetic stays float32
exactly where torch's does.

Differences from torch, on purpose: a closure that raises leaves the parameters and the
state as they were before the step (torch leaves them half-way); an unknown
``line_search_fn`` is refused before the closure first runs; Tensor learning rates and
complex or sparse parameters are not supported.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from ._line_search import strong_wolfe
from ._validation import check_lr
from .optimizer import Optimizer

__all__ = ["LBFGS", "lbfgs_direction", "lbfgs_memory_update"]

_STATE_ARRAYS = ("d", "prev_flat_grad")
_STATE_LISTS = ("old_dirs", "old_stps", "ro", "al")


def lbfgs_memory_update(
    old_dirs: list[np.ndarray],
    old_stps: list[np.ndarray],
    ro: list[Any],
    H_diag: Any,
    y: np.ndarray,
    s: np.ndarray,
    history_size: int,
) -> tuple[list[np.ndarray], list[np.ndarray], list[Any], Any]:
    """The curvature memory after one more pair ``(s, y)``; pure (new lists, inputs unchanged).

    The pair is kept only when ``ys = y.s > 1e-10`` (the curvature condition; otherwise the
    memory is returned as it was). The oldest pair is dropped once ``history_size`` are kept.

    .. code-block:: text

        old_dirs += [y];  old_stps += [s];  ro += [1 / ys];  H_diag = ys / (y . y)

    Returns:
        ``(old_dirs, old_stps, ro, H_diag)``.
    """
    ys = y @ s
    if not ys > 1e-10:
        return list(old_dirs), list(old_stps), list(ro), H_diag
    drop = 1 if len(old_dirs) == history_size else 0
    return (
        [*old_dirs[drop:], y],
        [*old_stps[drop:], s],
        [*ro[drop:], 1.0 / ys],
        ys / (y @ y),
    )


def lbfgs_direction(
    flat_grad: np.ndarray,
    old_dirs: list[np.ndarray],
    old_stps: list[np.ndarray],
    ro: list[Any],
    H_diag: Any,
) -> tuple[np.ndarray, list[Any]]:
    """The L-BFGS direction ``d ~ -H^-1 flat_grad`` by the two-loop recursion (module docstring); pure.

    Args:
        flat_grad: the current gradient, flat.
        old_dirs: the gradient changes ``y_i``, oldest first.
        old_stps: the parameter changes ``s_i``, oldest first.
        ro: ``1 / (y_i . s_i)``.
        H_diag: the scale of the initial inverse Hessian, ``y.s / y.y`` of the newest pair.

    Returns:
        ``(d, al)``: the direction and the first loop's coefficients ``al[i]`` (torch keeps
        them in ``state["al"]``).
    """
    num_old = len(old_dirs)
    al: list[Any] = [None] * num_old
    q = -flat_grad
    for i in range(num_old - 1, -1, -1):
        al[i] = old_stps[i] @ q * ro[i]
        q = q + -al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(num_old):
        be_i = old_dirs[i] @ r * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r, al


class LBFGS(Optimizer):
    """L-BFGS (Liu & Nocedal, 1989), optionally with a strong Wolfe line search, as ``torch.optim.LBFGS``.

    Full-batch: each ``step(closure)`` re-evaluates the loss several times through
    ``closure``, which must clear the gradients, compute the loss, call ``backward()`` and
    return the loss. One param group only; memory is ``history_size`` pairs of flat vectors.

    Args:
        params: parameters to optimize (one group).
        lr: learning rate (the first step length tried).
        max_iter: the most iterations per ``step``.
        max_eval: the most closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when ``max|grad| <= tolerance_grad``.
        tolerance_change: stop when the loss or the parameters change less than this.
        history_size: the number of ``(s, y)`` pairs kept.
        line_search_fn: None (fixed step ``lr``) or ``"strong_wolfe"``.

    Example:
        >>> optimizer = LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     optimizer.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> optimizer.step(closure)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups). help: pass "
                "one list of parameters with one set of options."
            )
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ flat views
    def _gather_flat_grad(self) -> np.ndarray:
        """Every gradient, flattened and concatenated (zeros for a parameter without one)."""
        return np.concatenate(
            [np.zeros(p._data.size, p._data.dtype) if p.grad is None else p.grad._data.reshape(-1) for p in self._params]
        )

    def _add_grad(self, step_size: Any, update: np.ndarray) -> None:
        """``param += step_size * update`` for the flat ``update``, parameter by parameter."""
        offset = 0
        for p in self._params:
            numel = p._data.size
            np.copyto(p._data, p._data + step_size * update[offset : offset + numel].reshape(p._data.shape))
            offset += numel

    def _set_param(self, params_data: list[np.ndarray]) -> None:
        for p, data in zip(self._params, params_data, strict=True):
            np.copyto(p._data, data)

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, float, np.ndarray]:
        """Run the closure: its loss (as returned), the loss as a float, the flat gradient."""
        loss = self._run_closure(closure)
        return loss, float(loss), self._gather_flat_grad()

    def _directional_evaluate(self, closure, x, t, d) -> tuple[float, np.ndarray]:
        """``(f(x + t d), grad f(x + t d))``; the parameters are back at ``x`` afterwards."""
        self._add_grad(t, d)
        _, loss, flat_grad = self._evaluate(closure)
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ state
    def _read_state(self) -> dict[str, Any]:
        """The state of the first parameter as numpy arrays and scalars (Tensors unwrapped)."""
        def unwrap(v: Any) -> Any:
            if isinstance(v, Tensor):
                return v._data[()] if v._data.ndim == 0 else v._data
            if isinstance(v, list):
                return [unwrap(x) for x in v]
            return v

        return {k: unwrap(v) for k, v in self.state.get(self._params[0], {}).items()}

    def _write_state(self, p: Tensor, new_state: dict[str, Any]) -> None:
        """Store the state as torch keeps it: arrays and numpy scalars as Tensors, numbers as numbers."""
        def wrap(v: Any) -> Any:
            if isinstance(v, (np.ndarray, np.generic)):
                return Tensor(np.array(v))
            if isinstance(v, list):
                return [wrap(x) for x in v]
            return v

        self.state[p] = {k: wrap(v) for k, v in new_state.items()}

    # ------------------------------------------------------------------ step
    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to ``max_iter`` L-BFGS iterations; return the closure's first loss.

        Args:
            closure: required; clears the gradients, computes the loss, calls ``backward()``
                and returns the loss.

        Raises:
            TypeError: no closure (torch's words).
            RuntimeError: ``line_search_fn`` is neither None nor ``"strong_wolfe"`` (torch's
                words; raised before the closure runs, where torch runs it once first), or a
                second param group was added (torch raises an AssertionError).
        """
        if closure is None:
            raise TypeError(
                "LBFGS.step() missing 1 required positional argument: 'closure'. help: L-BFGS "
                "re-evaluates the loss several times per step; pass a function that calls "
                "zero_grad(), computes the loss, calls backward() and returns the loss."
            )
        if len(self.param_groups) != 1:  # a group added after construction
            raise RuntimeError(
                f"Expected exactly one param_group, but got {len(self.param_groups)}. help: "
                "LBFGS optimizes one group; use a second LBFGS for other parameters."
            )
        group = self.param_groups[0]
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise RuntimeError(
                "only 'strong_wolfe' is supported. help: pass line_search_fn=None or "
                "line_search_fn='strong_wolfe'."
            )
        x_start = [p._data.copy() for p in self._params]
        try:
            orig_loss, state = self._iterate(closure, group, self._read_state())
        except BaseException:
            self._set_param(x_start)  # a failed step changes nothing
            raise
        self._write_state(self._params[0], state)
        return orig_loss

    def _iterate(self, closure: Callable[[], Any], group: dict[str, Any], state: dict[str, Any]):
        """torch's ``LBFGS.step`` body on numpy arrays: ``(first loss, new state)``.

        Changes the parameters; the state is returned, not written.
        """
        lr = group["lr"]
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss, loss, flat_grad = self._evaluate(closure)
        current_evals = 1
        state["func_evals"] += 1
        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:
            return orig_loss, state

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                old_dirs, old_stps, ro, H_diag = lbfgs_memory_update(
                    old_dirs, old_stps, ro, H_diag, y, s, history_size
                )
                d, al = lbfgs_direction(flat_grad, old_dirs, old_stps, ro, H_diag)
                state["al"] = al + state.get("al", [None] * history_size)[len(al):]
            prev_flat_grad = flat_grad
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad @ d
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = [p._data.copy() for p in self._params]

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    # no need to re-evaluate after the last iteration (the next step will)
                    _, loss, flat_grad = self._evaluate(closure)
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # the stopping conditions
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:  # the parameters barely moved
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss barely moved
                break

        state.update(
            d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
            prev_flat_grad=prev_flat_grad, prev_loss=prev_loss,
        )
        return orig_loss, state
