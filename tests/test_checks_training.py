"""Tests of course_lib.checks.training: the manual SGD step, zeroing gradients, the loop."""
import pytest

import course_lib
from course_lib.checks import ExerciseError
from course_lib.checks.training import (
    check_manual_sgd_step,
    check_train_linear,
    check_zero_grads,
    reference_train_linear,
)


def _stub(*args):
    raise NotImplementedError("Exercise 03.1: complete `manual_sgd_step`, then run the check below.")


def manual_sgd_step(params, lr):
    with course_lib.no_grad():
        for p in params:
            if p.grad is not None:
                p.sub_(lr * p.grad)


def zero_grads(params):
    for p in params:
        p.grad = None


def train_linear(X, y, lr, steps, zero=True):
    w = course_lib.zeros(X.shape[1], 1, requires_grad=True)
    b = course_lib.zeros(1, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((X @ w + b - y) ** 2).mean()
        losses.append(loss.item())
        if zero:
            zero_grads([w, b])
        loss.backward()
        manual_sgd_step([w, b], lr)
    return w, b, losses


def test_check_manual_sgd_step_accepts_reference(capsys):
    check_manual_sgd_step(manual_sgd_step)
    assert "manual_sgd_step: 2 learning rates match" in capsys.readouterr().out


def test_check_manual_sgd_step_stub_says_not_done():
    with pytest.raises(ExerciseError, match=r"Exercise 03\.1 is not done yet"):
        check_manual_sgd_step(_stub)


def test_check_manual_sgd_step_names_missing_no_grad():
    def outside_no_grad(params, lr):
        for p in params:
            if p.grad is not None:
                p.sub_(lr * p.grad)

    with pytest.raises(ExerciseError, match=r"inside `with torch.no_grad\(\):`"):
        check_manual_sgd_step(outside_no_grad)


def test_check_manual_sgd_step_names_rebinding():
    def rebinds(params, lr):
        with course_lib.no_grad():
            for p in params:
                if p.grad is not None:
                    p = p - lr * p.grad  # noqa: PLW2901 - the mistake under test

    with pytest.raises(ExerciseError, match="did not change the parameter object"):
        check_manual_sgd_step(rebinds)


def test_check_manual_sgd_step_names_gradient_ascent():
    def ascends(params, lr):
        with course_lib.no_grad():
            for p in params:
                if p.grad is not None:
                    p.add_(lr * p.grad)

    with pytest.raises(ExerciseError, match="you added the gradient"):
        check_manual_sgd_step(ascends)


def test_check_manual_sgd_step_names_forgotten_lr():
    def no_lr(params, lr):
        with course_lib.no_grad():
            for p in params:
                if p.grad is not None:
                    p.sub_(p.grad)

    with pytest.raises(ExerciseError, match="forgot the learning rate"):
        check_manual_sgd_step(no_lr)


def test_check_manual_sgd_step_names_grad_none_crash():
    def ignores_none(params, lr):
        with course_lib.no_grad():
            for p in params:
                p.sub_(lr * p.grad)

    with pytest.raises(ExerciseError, match="has `.grad` None: skip it"):
        check_manual_sgd_step(ignores_none)


def test_check_manual_sgd_step_rejects_zeroing_inside_step():
    def also_zeroes(params, lr):
        manual_sgd_step(params, lr)
        zero_grads(params)

    with pytest.raises(ExerciseError, match="changed the gradient"):
        check_manual_sgd_step(also_zeroes)


def test_check_zero_grads_accepts_reference(capsys):
    check_zero_grads(zero_grads)
    assert "zero_grads: 3 parameters match" in capsys.readouterr().out


def test_check_zero_grads_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_zero_grads(_stub)


def test_check_zero_grads_names_return_inside_loop():
    def returns_early(params):
        for p in params:
            p.grad = None
            return

    with pytest.raises(ExerciseError, match="`return` inside your loop"):
        check_zero_grads(returns_early)


def test_check_zero_grads_names_zeroing_the_parameter():
    def zeroes_values(params):
        with course_lib.no_grad():
            for p in params:
                p.grad = None
                p.zero_()

    with pytest.raises(ExerciseError, match="changed the VALUE"):
        check_zero_grads(zeroes_values)


def test_check_train_linear_accepts_reference(capsys):
    check_train_linear(train_linear)
    assert "train_linear: 12 steps match" in capsys.readouterr().out


def test_check_train_linear_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_train_linear(_stub)


def test_check_train_linear_names_gradients_not_zeroed():
    with pytest.raises(ExerciseError, match="never zeroes the gradients"):
        check_train_linear(lambda X, y, lr, steps: train_linear(X, y, lr, steps, zero=False))


def test_check_train_linear_names_loss_recorded_after_update():
    def late(X, y, lr, steps):
        w, b, losses = train_linear(X, y, lr, steps + 1)
        return w, b, losses[1:]

    with pytest.raises(ExerciseError, match="one step ahead"):
        check_train_linear(late)


def test_reference_train_linear_loss_decreases_and_not_zeroing_differs():
    X = course_lib.tensor([[1.0], [2.0], [3.0]])
    y = course_lib.tensor([[2.0], [4.0], [6.0]])
    _, _, good = reference_train_linear(X, y, lr=0.05, steps=20)
    _, _, bad = reference_train_linear(X, y, lr=0.05, steps=20, zero_grad=False)
    assert good[-1] < 0.01 * good[0]
    assert bad[:2] == good[:2] and bad[2] != good[2]


def test_check_zero_grads_names_zeroing_the_parameter_instead_of_its_grad():
    def zeroes_values_only(params):
        with course_lib.no_grad():
            for p in params:
                p.zero_()

    with pytest.raises(ExerciseError, match=r"`p\.zero_\(\)` zeroes the parameter itself"):
        check_zero_grads(zeroes_values_only)


def test_check_train_linear_names_sum_instead_of_mean():
    def summed(X, y, lr, steps):
        w = course_lib.zeros(X.shape[1], 1, requires_grad=True)
        b = course_lib.zeros(1, requires_grad=True)
        losses = []
        for _ in range(steps):
            loss = ((X @ w + b - y) ** 2).sum()
            losses.append(loss.item())
            zero_grads([w, b])
            loss.backward()
            manual_sgd_step([w, b], lr)
        return w, b, losses

    with pytest.raises(ExerciseError, match="you summed the squared errors"):
        check_train_linear(summed)


def test_check_train_linear_names_a_weight_vector_that_broadcasts():
    def flat_w(X, y, lr, steps):
        w = course_lib.zeros(X.shape[1], requires_grad=True)
        b = course_lib.zeros(1, requires_grad=True)
        losses = []
        for _ in range(steps):
            loss = ((X @ w + b - y) ** 2).mean()
            losses.append(loss.item())
            zero_grads([w, b])
            loss.backward()
            manual_sgd_step([w, b], lr)
        return w, b, losses

    with pytest.raises(ExerciseError, match=r"your w has shape \(2,\).*broadcasts to \(8, 8\)"):
        check_train_linear(flat_w)


def test_check_zero_grads_rejects_zero_tensors():
    def zero_tensors(params):
        for p in params:
            if p.grad is not None:
                p.grad = course_lib.zeros_like(p)

    message = str(pytest.raises(ExerciseError, check_zero_grads, zero_tensors).value)
    assert "still has a gradient" in message and "sets `p.grad = None`" in message


def test_check_zero_grads_crash_on_a_none_grad_leads_to_assigning_none():
    def zeroes_in_place(params):
        for p in params:
            p.grad.zero_()

    message = str(pytest.raises(ExerciseError, check_zero_grads, zeroes_in_place).value)
    assert "your code:" in message and "p.grad.zero_()" in message
    assert "set `p.grad = None` for every parameter" in message and "skip it" not in message


def test_check_train_linear_blames_zeroing_after_backward_not_the_step():
    def zeroes_too_late(X, y, lr, steps):
        w = course_lib.zeros(X.shape[1], 1, requires_grad=True)
        b = course_lib.zeros(1, requires_grad=True)
        losses = []
        for _ in range(steps):
            loss = ((X @ w + b - y) ** 2).mean()
            losses.append(loss.item())
            loss.backward()
            zero_grads([w, b])
            manual_sgd_step([w, b], lr)
        return w, b, losses

    message = str(pytest.raises(ExerciseError, check_train_linear, zeroes_too_late).value)
    assert "zero_grads runs between loss.backward() and the step" in message
    assert "check manual_sgd_step" not in message


def test_check_manual_sgd_step_names_return_where_continue_is_meant():
    def returns_at_no_grad(params, lr):
        with course_lib.no_grad():
            for p in params:
                if p.grad is None:
                    return  # the slip: `continue` skips one parameter, `return` skips the rest too
                p.sub_(lr * p.grad)

    message = str(pytest.raises(ExerciseError, check_manual_sgd_step, returns_at_no_grad).value)
    assert "w was updated but b was not: is there a `return`" in message
    assert "rebinds the name p" not in message


def test_check_manual_sgd_step_blames_scaling_the_gradient_in_place_not_zeroing():
    def scales_grad(params, lr):
        with course_lib.no_grad():
            for p in params:
                if p.grad is not None:
                    p.grad *= lr  # the parameter comes out right; its gradient does not
                    p.sub_(p.grad)

    message = str(pytest.raises(ExerciseError, check_manual_sgd_step, scales_grad).value)
    assert "changed the gradient" in message and "changed p.grad in place" in message
    assert "zeroing" not in message


def test_check_train_linear_names_a_loss_computed_once_before_the_loop():
    def loss_once(X, y, lr, steps):
        w = course_lib.zeros(X.shape[1], 1, requires_grad=True)
        b = course_lib.zeros(1, requires_grad=True)
        loss, losses = ((X @ w + b - y) ** 2).mean(), []
        for _ in range(steps):
            losses.append(loss.item())
            zero_grads([w, b])
            loss.backward()
            manual_sgd_step([w, b], lr)
        return w, b, losses

    message = str(pytest.raises(ExerciseError, check_train_linear, loss_once).value)
    assert "you computed the loss once, before the loop" in message
    assert "check manual_sgd_step" not in message


def test_check_train_linear_names_a_bias_that_never_moves():
    def b_not_stepped(X, y, lr, steps):
        w = course_lib.zeros(X.shape[1], 1, requires_grad=True)
        b = course_lib.zeros(1, requires_grad=True)
        losses = []
        for _ in range(steps):
            loss = ((X @ w + b - y) ** 2).mean()
            losses.append(loss.item())
            zero_grads([w, b])
            loss.backward()
            manual_sgd_step([w], lr)  # the slip: b is left out
        return w, b, losses

    with pytest.raises(ExerciseError, match=r"b is still 0 after 12 steps.*pass \[w, b\] to both"):
        check_train_linear(b_not_stepped)


def test_check_train_linear_names_w_and_b_returned_in_the_wrong_order():
    def swapped(X, y, lr, steps):
        w, b, losses = train_linear(X, y, lr, steps)
        return b, w, losses

    with pytest.raises(ExerciseError, match=r"(?s)returned w is wrong.*w and b in the wrong order: return w, b"):
        check_train_linear(swapped)


def _loop_with(zeroed=lambda w, b: [w, b], error=lambda prediction, y: prediction - y, step=None):
    """The loop of train_linear with one slip: the parameters it zeroes, its error, or its step ``step(w, b, lr)``
    (which returns the new w and b)."""
    def train(X, y, lr, steps):
        w = course_lib.zeros(X.shape[1], 1, requires_grad=True)
        b = course_lib.zeros(1, requires_grad=True)
        losses = []
        for _ in range(steps):
            loss = (error(X @ w + b, y) ** 2).mean()
            losses.append(loss.item())
            zero_grads(zeroed(w, b))
            loss.backward()
            if step:
                w, b = step(w, b, lr)
            else:
                manual_sgd_step([w, b], lr)
        return w, b, losses
    return train


@pytest.mark.parametrize("zeroed, never_reset", [(lambda w, b: [w], "b"), (lambda w, b: [b], "w")])
def test_check_train_linear_names_zeroing_only_one_parameter(zeroed, never_reset):
    with pytest.raises(ExerciseError, match=rf"resets only .*so {never_reset}.grad sums.*zero_grads\(\[w, b\]\)"):
        check_train_linear(_loop_with(zeroed=zeroed))


@pytest.mark.parametrize("error", [lambda p, y: p - y.reshape(-1), lambda p, y: p.reshape(-1) - y])
def test_check_train_linear_names_targets_reshaped_to_a_vector(error):
    with pytest.raises(ExerciseError, match=r"minus targets of shape \(8,\).*broadcast to \(8, 8\)"):
        check_train_linear(_loop_with(error=error))


def test_check_train_linear_names_rebinding_w_outside_no_grad():
    message = _message(check_train_linear, _loop_with(step=lambda w, b, lr: (w - lr * w.grad, b - lr * b.grad)))
    assert "w = w - lr * w.grad" in message and "took no part" not in message


def test_check_train_linear_names_rebinding_w_inside_no_grad():
    def step(w, b, lr):
        with course_lib.no_grad():
            return w - lr * w.grad, b - lr * b.grad

    message = _message(check_train_linear, _loop_with(step=step))
    hint = message.split("likely mistake")[-1]
    assert "inside torch.no_grad() replaced them with NEW tensors" in hint and "create the inputs" not in hint


def _message(check, student) -> str:
    with pytest.raises(ExerciseError) as info:
        check(student)
    return str(info.value)


def test_check_train_linear_rejects_losses_kept_as_tensors():
    def keeps_tensors(X, y, lr, steps):
        w, b, _ = train_linear(X, y, lr, 0)
        losses = []
        for _ in range(steps):
            loss = ((X @ w + b - y) ** 2).mean()
            losses.append(loss)  # the slip: the tensor, not loss.item()
            zero_grads([w, b])
            loss.backward()
            manual_sgd_step([w, b], lr)
        return w, b, losses

    with pytest.raises(ExerciseError, match=r"the losses are tensors(?s:.*)append loss.item\(\)"):
        check_train_linear(keeps_tensors)


def test_check_train_linear_rejects_the_lessons_global_lr_instead_of_the_argument():
    lesson_lr = 0.1  # the lesson sets `lr = 0.1` at top level before the exercise

    def global_lr(X, y, lr, steps):
        return train_linear(X, y, lesson_lr, steps)

    with pytest.raises(ExerciseError, match=r"the losses are wrong(?s:.*)lr = 0.1, the `lr` set earlier"):
        check_train_linear(global_lr)


def test_check_train_linear_names_losses_rebound_to_the_none_of_append():
    def rebinds_losses(X, y, lr, steps):
        w = course_lib.zeros(X.shape[1], 1, requires_grad=True)
        b = course_lib.zeros(1, requires_grad=True)
        losses = []
        for _ in range(steps):
            loss = ((X @ w + b - y) ** 2).mean()
            losses = losses.append(loss.item())  # the slip: append returns None
            zero_grads([w, b])
            loss.backward()
            manual_sgd_step([w, b], lr)
        return w, b, losses

    message = _message(check_train_linear, rebinds_losses)
    assert "not `losses = losses.append(...)`" in message and ".grad" not in message
