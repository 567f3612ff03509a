"""The lesson-09 checkers: the reference passes, a stub is named, usual resume bugs are diagnosed."""
from __future__ import annotations

import pytest
from checks_helpers import checker_contract

import course_lib
from course_lib import training
from course_lib.checks import ExerciseError
from course_lib.checks.checkpoints import (
    check_freeze,
    check_load_checkpoint,
    check_resume_training,
    check_save_checkpoint,
    make_run,
)

pytestmark = pytest.mark.lesson09

test_checkpoint_checkers_accept_the_reference, test_checkpoint_checkers_name_an_unfinished_exercise = checker_contract([
    (check_save_checkpoint, training.save_checkpoint, "save_checkpoint", "09.1"),
    (check_load_checkpoint, training.load_checkpoint, "load_checkpoint", "09.2"),
    (check_resume_training, training.resume_training, "resume_training", "09.3"),
    (check_freeze, training.freeze, "freeze", "09.4"),
])


# ------------------------------------------------------------------ save
def test_check_save_checkpoint_diagnoses_a_missing_optimizer_state():
    def save_checkpoint(path, model, optimizer, scheduler, epoch):
        course_lib.save({"model": model.state_dict(), "scheduler": scheduler.state_dict(), "epoch": epoch}, path)

    with pytest.raises(ExerciseError, match="Adam's moments"):
        check_save_checkpoint(save_checkpoint)


def test_check_save_checkpoint_diagnoses_saving_the_objects():
    def save_checkpoint(path, model, optimizer, scheduler, epoch):
        course_lib.save({"model": model, "optimizer": optimizer, "scheduler": scheduler, "epoch": epoch}, path)

    with pytest.raises(Exception, match="save the state_dict"):
        check_save_checkpoint(save_checkpoint)


def test_check_save_checkpoint_names_the_path_given_first():
    def save_checkpoint(path, model, optimizer, scheduler, epoch):
        course_lib.save(path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                               "scheduler": scheduler.state_dict(), "epoch": epoch})

    with pytest.raises(ExerciseError, match=r"the object comes first, then the path") as info:
        check_save_checkpoint(save_checkpoint)
    assert "not the objects" not in str(info.value)


def test_check_save_checkpoint_names_renamed_keys():
    def save_checkpoint(path, model, optimizer, scheduler, epoch):
        course_lib.save({"model_state": model.state_dict(), "optim": optimizer.state_dict(),
                         "scheduler": scheduler.state_dict(), "epoch": epoch}, path)

    with pytest.raises(ExerciseError, match="your keys are named differently") as info:
        check_save_checkpoint(save_checkpoint)
    assert "weights are missing" not in str(info.value)


def test_check_save_checkpoint_diagnoses_a_wrong_epoch():
    def save_checkpoint(path, model, optimizer, scheduler, epoch):
        training.save_checkpoint(path, model, optimizer, scheduler, epoch + 1)

    with pytest.raises(ExerciseError, match="save epoch exactly as given"):
        check_save_checkpoint(save_checkpoint)


# ------------------------------------------------------------------ load
def load_all_but(skipped):
    """A load_checkpoint that forgets to restore one part (``"optimizer"`` or ``"scheduler"``)."""

    def load_checkpoint(path, model, optimizer, scheduler):
        checkpoint = course_lib.load(path)
        for key, target in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
            if key != skipped:
                target.load_state_dict(checkpoint[key])
        return checkpoint["epoch"]

    return load_checkpoint


@pytest.mark.parametrize("skipped", ["optimizer", "scheduler"])
def test_check_load_checkpoint_diagnoses_a_part_not_restored(skipped):
    with pytest.raises(ExerciseError, match=f"the {skipped} was not restored"):
        check_load_checkpoint(load_all_but(skipped))


def test_check_load_checkpoint_names_the_tutorials_key_names():
    def load_checkpoint(path, model, optimizer, scheduler):
        checkpoint = course_lib.load(path)
        model.load_state_dict(checkpoint["model_state_dict"])
        return checkpoint["epoch"]

    with pytest.raises(ExerciseError, match=r"the checkpoint's keys are \['model', 'optimizer', 'scheduler'"):
        check_load_checkpoint(load_checkpoint)


def test_check_load_checkpoint_diagnoses_a_missing_return():
    def load_checkpoint(path, model, optimizer, scheduler):
        training.load_checkpoint(path, model, optimizer, scheduler)

    with pytest.raises(ExerciseError, match=r"return checkpoint\['epoch'\]"):
        check_load_checkpoint(load_checkpoint)


def test_check_load_checkpoint_names_loading_into_new_objects():
    def load_checkpoint(path, model, optimizer, scheduler):
        checkpoint = course_lib.load(path)
        model, optimizer, scheduler = make_run()  # new objects: the caller's stay as they were
        training.load_checkpoint(path, model, optimizer, scheduler)
        return checkpoint["epoch"]

    with pytest.raises(ExerciseError, match="on the model you were given"):
        check_load_checkpoint(load_checkpoint)


# ------------------------------------------------------------------ resume
def test_check_resume_training_diagnoses_an_off_by_one_epoch():
    def resume_training(path, make_run, train_epoch, num_epochs):
        model, optimizer, scheduler = make_run()
        done = training.load_checkpoint(path, model, optimizer, scheduler)
        return [train_epoch(model, optimizer, scheduler) for _ in range(done + 1, num_epochs)]

    with pytest.raises(ExerciseError, match="off by one epoch"):
        check_resume_training(resume_training)


@pytest.mark.parametrize("skipped, message", [
    ("optimizer", "Adam's moments restarted"),
    ("scheduler", "the schedule restarted"),
])
def test_check_resume_training_diagnoses_a_part_not_restored(skipped, message):
    def resume_training(path, make_run, train_epoch, num_epochs):
        model, optimizer, scheduler = make_run()
        done = load_all_but(skipped)(path, model, optimizer, scheduler)
        return [train_epoch(model, optimizer, scheduler) for _ in range(done, num_epochs)]

    with pytest.raises(ExerciseError, match=message):
        check_resume_training(resume_training)


def test_check_resume_training_names_a_run_with_only_the_model_restored():
    def resume_training(path, make_run, train_epoch, num_epochs):
        model, optimizer, scheduler = make_run()
        checkpoint = course_lib.load(path)
        model.load_state_dict(checkpoint["model"])
        return [train_epoch(model, optimizer, scheduler) for _ in range(checkpoint["epoch"], num_epochs)]

    with pytest.raises(ExerciseError, match="only the model was restored"):
        check_resume_training(resume_training)


# ------------------------------------------------------------------ freeze
def test_check_freeze_diagnoses_requires_grad_only():
    def freeze(optimizer, module):
        module.requires_grad_(False)

    with pytest.raises(ExerciseError, match="Adam's momentum and weight decay still move them"):
        check_freeze(freeze)


def test_check_freeze_diagnoses_a_state_left_behind():
    def freeze(optimizer, module):
        params = list(module.parameters())
        for p in params:
            p.requires_grad_(False)
        for group in optimizer.param_groups:
            group["params"] = [p for p in group["params"] if not any(p is q for q in params)]

    with pytest.raises(ExerciseError, match=r"delete the frozen parameters' optimizer.state"):
        check_freeze(freeze)


def test_check_freeze_diagnoses_a_stale_gradient_left_behind():
    def freeze(optimizer, module):
        params = list(module.parameters())
        for p in params:
            p.requires_grad_(False)
            optimizer.state.pop(p, None)
        for group in optimizer.param_groups:
            group["params"] = [p for p in group["params"] if not any(p is q for q in params)]

    with pytest.raises(ExerciseError, match=r"set p.grad = None"):
        check_freeze(freeze)


def test_check_freeze_names_tensors_compared_with_in():
    def freeze(optimizer, module):
        params = list(module.parameters())
        for p in params:
            p.requires_grad_(False)
            p.grad = None
            optimizer.state.pop(p, None)
        for group in optimizer.param_groups:
            group["params"] = [p for p in group["params"] if p not in params]  # == between tensors

    with pytest.raises(ExerciseError, match=r"any\(p is q for q in frozen\)"):
        check_freeze(freeze)


def test_check_freeze_names_an_lr_of_zero_for_the_whole_group():
    def freeze(optimizer, module):
        module.requires_grad_(False)
        for group in optimizer.param_groups:
            group["lr"] = 0.0

    with pytest.raises(ExerciseError, match="an lr of 0 stops every parameter of its group"):
        check_freeze(freeze)


# ------------------------------------------------------------------ resume: wrong shapes of answer
def test_check_resume_training_diagnoses_training_every_epoch_again():
    def resume_training(path, make_run, train_epoch, num_epochs):
        model, optimizer, scheduler = make_run()
        training.load_checkpoint(path, model, optimizer, scheduler)
        return [train_epoch(model, optimizer, scheduler) for _ in range(num_epochs)]

    with pytest.raises(ExerciseError, match=r"range\(epoch, num_epochs\)"):
        check_resume_training(resume_training)


def test_check_resume_training_diagnoses_returning_only_the_last_loss():
    def resume_training(path, make_run, train_epoch, num_epochs):
        return training.resume_training(path, make_run, train_epoch, num_epochs)[-1]

    with pytest.raises(ExerciseError, match="not only the last loss"):
        check_resume_training(resume_training)


def test_check_save_checkpoint_with_the_tutorials_key_names_says_which_keys_are_expected():
    def save_checkpoint(path, model, optimizer, scheduler, epoch):
        course_lib.save({"model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
                         "scheduler_state_dict": scheduler.state_dict(), "epoch": epoch}, path)

    with pytest.raises(ExerciseError) as info:
        check_save_checkpoint(save_checkpoint)
    message = str(info.value)
    assert "the tutorial names its keys 'model_state_dict'" in message
    assert "expects exactly ['model', 'optimizer', 'scheduler', 'epoch']" in message
    assert "weights are missing" not in message


# ------------------------------------------------------------------ freeze: the other parameters, every group
def freeze_with_ids(optimizer, module):
    """A right answer written differently: a set of ids, the groups' lists changed in place."""
    frozen = {id(p) for p in module.parameters()}
    for p in module.parameters():
        p.requires_grad = False
        p.grad = None
        if p in optimizer.state:
            del optimizer.state[p]
    for group in optimizer.param_groups:
        group["params"][:] = [p for p in group["params"] if id(p) not in frozen]


@pytest.mark.parametrize("freeze", [training.freeze, freeze_with_ids], ids=["course_lib", "ids"])
def test_check_freeze_accepts_right_answers_written_differently(freeze, capsys):
    check_freeze(freeze)
    assert capsys.readouterr().out.startswith("\u2713 freeze")


def test_check_freeze_catches_the_whole_state_cleared():
    def freeze(optimizer, module):
        training.freeze(optimizer, module)
        optimizer.state.clear()  # the other layers' Adam moments go too

    with pytest.raises(ExerciseError, match="you cleared the whole optimizer.state"):
        check_freeze(freeze)


def test_check_freeze_catches_a_module_removed_from_the_first_group_only():
    def freeze(optimizer, module):
        params = list(module.parameters())
        for p in params:
            p.requires_grad_(False)
            p.grad = None
            optimizer.state.pop(p, None)
        group = optimizer.param_groups[0]
        group["params"] = [p for p in group["params"] if not any(p is q for q in params)]

    with pytest.raises(ExerciseError, match="not only from the first group"):
        check_freeze(freeze)


def test_check_freeze_catches_an_lr_of_zero_for_the_modules_group_only():
    def freeze(optimizer, module):
        params = list(module.parameters())
        module.requires_grad_(False)
        for group in optimizer.param_groups:
            if any(p is q for p in group["params"] for q in params):
                group["lr"] = 0.0

    with pytest.raises(ExerciseError, match="a group's lr of 0 does not stay"):
        check_freeze(freeze)
