"""The lesson-11 checkers: the reference passes, a stub is named, usual mistakes are diagnosed."""
from __future__ import annotations

import numpy as np
import pytest
from checks_helpers import checker_contract

from course_lib.checks import ExerciseError, format_value
from course_lib.checks.chains import (
    check_adamw,
    check_add_decayed_weights,
    check_chain,
    check_scale,
    check_scale_by_adam,
    _problem,
)
from course_lib.optim import chain as ch

pytestmark = pytest.mark.lesson11

test_chain_checkers_accept_the_reference, test_chain_checkers_name_an_unfinished_exercise = checker_contract([
    (check_scale, ch.scale, "scale", "11.1"),
    (check_add_decayed_weights, ch.add_decayed_weights, "add_decayed_weights", "11.2"),
    (check_scale_by_adam, ch.scale_by_adam, "scale_by_adam", "11.3"),
    (check_chain, ch.chain, "chain", "11.4"),
    (check_adamw, ch.adamw, "adamw", "11.5"),
])


def _transform(update):
    return ch.GradientTransformation(lambda params: ch.EmptyState(), update)


# ------------------------------------------------------------------ scale
def test_check_scale_diagnoses_an_in_place_update():
    def scale(step_size):
        def update(updates, state, params=None):
            for u in updates:
                u *= step_size
            return updates, state

        return _transform(update)

    with pytest.raises(ExerciseError, match="changed its input arrays in place"):
        check_scale(scale)


def test_check_scale_diagnoses_a_flipped_sign():
    def scale(step_size):
        return _transform(lambda updates, state, params=None: ([-step_size * u for u in updates], state))

    with pytest.raises(ExerciseError, match="the sign is flipped"):
        check_scale(scale)


def test_check_scale_diagnoses_update_returning_only_the_updates():
    def scale(step_size):
        return _transform(lambda updates, state, params=None: [step_size * u for u in updates])

    with pytest.raises(ExerciseError, match=r"not a pair \(updates, state\)"):
        check_scale(scale)


def test_check_scale_diagnoses_returning_the_inner_function():
    def scale(step_size):
        def update(updates, state, params=None):
            return [step_size * u for u in updates], state

        return update

    with pytest.raises(ExerciseError, match="not a transform"):
        check_scale(scale)


def test_check_scale_explains_an_update_without_params():
    def scale(step_size):
        return _transform(lambda updates, state: ([step_size * u for u in updates], state))

    with pytest.raises(ExerciseError, match=r"(?s)but 3 were given.*give it the third parameter, params=None"):
        check_scale(scale)


# ------------------------------------------------------------------ weight decay
def test_check_add_decayed_weights_diagnoses_decay_of_the_update():
    def add_decayed_weights(wd):
        return _transform(lambda updates, state, params=None: ([u + wd * u for u in updates], state))

    with pytest.raises(ExerciseError, match="uses the update instead of the parameter"):
        check_add_decayed_weights(add_decayed_weights)


def test_check_add_decayed_weights_diagnoses_a_subtracted_decay():
    def add_decayed_weights(wd):
        return _transform(lambda u, s, params=None: ([a - wd * p for a, p in zip(u, params)], s))

    with pytest.raises(ExerciseError, match="the sign is wrong"):
        check_add_decayed_weights(add_decayed_weights)


def test_check_add_decayed_weights_diagnoses_a_multiplied_update():
    def add_decayed_weights(wd):
        return _transform(lambda u, s, params=None: ([a * (1 - wd) for a in u], s))

    with pytest.raises(ExerciseError, match="the transform ADDS the decay term"):
        check_add_decayed_weights(add_decayed_weights)


# ------------------------------------------------------------------ Adam
def _student_adam(kind):
    """A scale_by_adam with one usual mistake."""

    def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8):
        def init(params):
            return ch.ScaleByAdamState(0, [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params])

        def update(updates, state, params=None):
            count, old_mu, old_nu = state  # a plain tuple too
            t = count if kind == "t0" else count + 1
            mu = [b1 * m + (1 - b1) * g for m, g in zip(old_mu, updates)]
            nu = [b2 * v + (1 - b2) * (g if kind == "v_of_g" else g * g) for v, g in zip(old_nu, updates)]
            with np.errstate(all="ignore"):
                if kind == "eps_inside_sqrt":
                    out = [(m / (1 - b1**t)) / np.sqrt(v / (1 - b2**t) + eps) for m, v in zip(mu, nu)]
                else:
                    out = [(m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps) for m, v in zip(mu, nu)]
            count = count if kind == "frozen" else t if kind != "t0" else t + 1
            if kind == "stored_m_hat":
                mu = [m / (1 - b1**t) for m in mu]
            if kind == "tuple":
                return out, (count, mu, nu)
            return out, ch.ScaleByAdamState(count, *((nu, mu) if kind == "swapped" else (mu, nu)))

        return ch.GradientTransformation(init, update)

    return scale_by_adam


@pytest.mark.parametrize(
    "kind, message",
    [
        ("t0", "bias correction with the step starting at 0"),
        ("eps_inside_sqrt", "eps is inside the square root"),
        ("frozen", "the count never advances"),
        ("stored_m_hat", "the state holds the bias-corrected m"),
        ("v_of_g", "v averages g instead of g \\* g"),  # nan, but not from a division by zero
        ("swapped", "mu and nu are swapped in the state you return"),  # nan at step 2 as well
        ("tuple", "your state is a tuple, without the fields count, mu and nu"),
    ],
)
def test_check_scale_by_adam_diagnoses_usual_mistakes(kind, message):
    with pytest.raises(ExerciseError, match=message):
        check_scale_by_adam(_student_adam(kind))


def test_check_scale_by_adam_accepts_a_student_written_answer(capsys):
    check_scale_by_adam(_student_adam(None))
    assert "2 cases match" in capsys.readouterr().out


def test_check_scale_by_adam_says_where_the_count_starts():
    def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8):
        inner = ch.scale_by_adam(b1, b2, eps)

        def init(params):  # counts from 1, so t = count: right updates, but count is 1 ahead
            return inner.init(params)._replace(count=1)

        def update(updates, state, params=None):
            out, new = inner.update(updates, state._replace(count=state.count - 1), params)
            return out, new._replace(count=new.count + 1)

        return ch.GradientTransformation(init, update)

    with pytest.raises(ExerciseError, match=r"(?s)state's count is wrong.*0 from init"):
        check_scale_by_adam(scale_by_adam)


def test_check_scale_by_adam_diagnoses_moments_updated_in_place():
    reference = ch.scale_by_adam

    def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8):
        inner = reference(b1, b2, eps)

        def update(updates, state, params=None):
            out, new = inner.update(updates, state, params)
            for old, fresh in zip(state.mu, new.mu):
                old[...] = fresh  # the classic in-place moment update
            return out, new

        return ch.GradientTransformation(inner.init, update)

    with pytest.raises(ExerciseError, match="changed the state it was given"):
        check_scale_by_adam(scale_by_adam)


# ------------------------------------------------------------------ chain
def test_check_chain_diagnoses_reversed_links():
    with pytest.raises(ExerciseError, match="reverse order"):
        check_chain(lambda *links: ch.chain(*reversed(links)))


def test_check_chain_diagnoses_links_fed_the_original_gradients():
    def chain(*links):
        def init(params):
            return tuple(t.init(params) for t in links)

        def update(updates, state, params=None):
            outs, states = updates, []
            for t, s in zip(links, state):
                outs, s = t.update(updates, s, params)  # bug: `updates`, not `outs`
                states.append(s)
            return outs, tuple(states)

        return ch.GradientTransformation(init, update)

    with pytest.raises(ExerciseError, match="every link gets the original gradients"):
        check_chain(chain)


def test_check_chain_diagnoses_a_state_that_is_not_passed_on():
    def chain(*links):
        def init(params):
            return tuple(t.init(params) for t in links)

        def update(updates, state, params=None):
            for t, s in zip(links, state):
                updates, _ = t.update(updates, s, params)
            return updates, state  # bug: the old state

        return ch.GradientTransformation(init, update)

    with pytest.raises(ExerciseError, match="the state is not passed on"):
        check_chain(chain)


@pytest.mark.parametrize("whole_tuple, message", [
    (True, "each link gets its own state: loop over zip"),  # link.update(updates, state): the whole tuple
    (False, r"init must call each link's init"),  # init returned (t.init for t in links): functions, not states
], ids=["whole tuple to each link", "init not called"])
def test_check_chain_explains_a_link_given_a_wrong_state(whole_tuple, message):
    def chain(*links):
        def init(params):
            return tuple(t.init(params) for t in links) if whole_tuple else tuple(t.init for t in links)

        def update(updates, state, params=None):
            new_states = []
            for t, s in zip(links, state):
                updates, s = t.update(updates, state if whole_tuple else s, params)
                new_states.append(s)
            return updates, tuple(new_states)

        return ch.GradientTransformation(init, update)

    with pytest.raises(ExerciseError, match=message):
        check_chain(chain)


# ------------------------------------------------------------------ AdamW
def test_check_adamw_diagnoses_weight_decay_after_the_learning_rate():
    def adamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
        return ch.chain(ch.scale_by_adam(b1, b2, eps), ch.scale(-learning_rate), ch.add_decayed_weights(weight_decay))

    with pytest.raises(ExerciseError, match="the decay is added after the learning rate"):
        check_adamw(adamw)


def test_check_adamw_accepts_a_negative_decay_after_the_learning_rate(capsys):
    def adamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
        return ch.chain(ch.scale_by_adam(b1, b2, eps), ch.scale_by_learning_rate(learning_rate),
                        ch.add_decayed_weights(-learning_rate * weight_decay))  # the same decoupled decay

    check_adamw(adamw)
    assert "\u2713 adamw" in capsys.readouterr().out


def test_check_adamw_diagnoses_l2_instead_of_decoupled_decay():
    def adamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
        return ch.adam(learning_rate, b1, b2, eps, weight_decay)

    with pytest.raises(ExerciseError, match="Adam's L2 penalty"):
        check_adamw(adamw)


@pytest.mark.parametrize("make, message", [
    (lambda lr, b1, b2, eps, wd: ch.chain(ch.scale_by_adam(b1, b2, eps), ch.add_decayed_weights(lr * wd),
                                          ch.scale_by_learning_rate(lr)), "was given lr \\* weight_decay"),
    (lambda lr, b1, b2, eps, wd: ch.chain(ch.scale_by_adam(b2, b1, eps), ch.add_decayed_weights(wd),
                                          ch.scale_by_learning_rate(lr)), "b1 and b2 are swapped"),
    (lambda lr, b1, b2, eps, wd: ch.chain(ch.scale_by_adam(), ch.add_decayed_weights(wd),
                                          ch.scale_by_learning_rate(lr)), "runs with its defaults"),
])
def test_check_adamw_diagnoses_wrong_arguments_of_the_links(make, message):
    def adamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
        return make(learning_rate, b1, b2, eps, weight_decay)

    with pytest.raises(ExerciseError, match=message):
        check_adamw(adamw)


@pytest.mark.parametrize("made, message", [
    (lambda links: links, r"(?s)returned a list of transforms, not one transform.*return ch\.chain\("),
    (lambda links: None, r"(?s)returned None, not a transform.*did you forget `return`\?"),
], ids=["links not chained", "no return"])
def test_check_adamw_says_what_it_returned_instead_of_a_transform(made, message):
    def adamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
        return made([ch.scale_by_adam(b1, b2, eps), ch.add_decayed_weights(weight_decay),
                     ch.scale_by_learning_rate(learning_rate)])

    with pytest.raises(ExerciseError, match=message):
        check_adamw(adamw)


def test_check_scale_rejects_an_init_that_returns_none():
    def scale(step_size):
        return ch.GradientTransformation(lambda params: None,
                                         lambda updates, state, params=None: ([step_size * u for u in updates], state))

    with pytest.raises(ExerciseError, match=r"(?s)init\(params\) returned None.*return ch\.EmptyState\(\)"):
        check_scale(scale)


def test_check_scale_rejects_an_update_that_returns_none_for_the_state():
    def scale(step_size):
        return ch.GradientTransformation(lambda params: ch.EmptyState(),
                                         lambda updates, state, params=None: ([step_size * u for u in updates], None))

    with pytest.raises(ExerciseError, match="(?s)returned None for the new state.*return updates, state"):
        check_scale(scale)


def test_check_adamw_names_a_learning_rate_left_at_its_default():
    def adamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
        return ch.chain(ch.scale_by_adam(b1, b2, eps), ch.add_decayed_weights(weight_decay),
                        ch.scale_by_learning_rate(1e-3))

    with pytest.raises(ExerciseError, match="the learning rate is its default 1e-3"):
        check_adamw(adamw)


def test_check_chain_rejects_a_list_for_the_state():
    def chain(*links):
        def init(params):
            return [t.init(params) for t in links]

        def update(updates, state, params=None):
            new_states = []
            for t, s in zip(links, state):
                updates, s = t.update(updates, s, params)
                new_states.append(s)
            return updates, new_states

        return ch.GradientTransformation(init, update)

    with pytest.raises(ExerciseError, match=r"(?s)is not a tuple of \d states.*never a list"):
        check_chain(chain)


def _inputs_line(message):
    return next(line for line in message.splitlines() if line.startswith("  inputs:"))


def test_failures_at_step_2_show_the_step_2_inputs():
    def late_chain(*links):  # right at step 1, wrong from step 2: the state is not passed on
        reference = ch.chain(*links)

        def update(updates, state, params=None):
            out, _ = reference.update(updates, state, params)
            return out, state

        return ch.GradientTransformation(reference.init, update)

    with pytest.raises(ExerciseError) as info:
        check_chain(late_chain)
    message = str(info.value)
    assert message.splitlines()[0] == "chain gives wrong updates at step 2."
    _, grads_seq = _problem(np.random.default_rng(14))  # the gradients check_chain uses
    assert f"updates at step 2 = {format_value(grads_seq[1])}" in _inputs_line(message)
    with pytest.raises(ExerciseError) as info:
        check_scale_by_adam(_student_adam("frozen"))
    assert "gives wrong updates at step 2" in str(info.value) and "updates at step 2 =" in _inputs_line(str(info.value))
