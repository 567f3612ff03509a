"""Tests of course_lib.checks.autograd: mul/matmul/sum backward and unbroadcast."""
import sys

import pytest

import course_lib
from course_lib.checks import ExerciseError
from course_lib.checks.autograd import (
    check_matmul_backward,
    check_mul_backward,
    check_sum_backward,
    check_topological_order,
    check_unbroadcast,
    reference_topological_order,
)


def _stub(*args):
    raise NotImplementedError("Exercise 02.1: complete `mul_backward`, then run the check below.")


def sum_backward(x, grad, dim=None, keepdim=False):
    if dim is not None and not keepdim:
        grad = grad.unsqueeze(dim)
    return grad * course_lib.ones_like(x)


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(dim=0)
    for dim, size in enumerate(shape):
        if size == 1 and grad.shape[dim] != 1:
            grad = grad.sum(dim=dim, keepdim=True)
    return grad


def test_check_mul_backward_accepts_reference(capsys):
    check_mul_backward(lambda a, b, grad: (b * grad, a * grad))
    assert "mul_backward: 3 cases match" in capsys.readouterr().out


def test_check_mul_backward_stub_says_not_done():
    with pytest.raises(ExerciseError, match=r"Exercise 02\.1 is not done yet: complete `mul_backward`"):
        check_mul_backward(_stub)


def test_check_mul_backward_names_a_times_grad():
    expected = ("the gradient of `a * b` with respect to `a` should be `b * grad`; "
                "yours looks like `a * grad`")
    with pytest.raises(ExerciseError, match=expected.replace("*", r"\*")):
        check_mul_backward(lambda a, b, grad: (a * grad, b * grad))


def test_check_mul_backward_names_plain_a():
    with pytest.raises(ExerciseError, match="yours looks like `a`"):
        check_mul_backward(lambda a, b, grad: (a, b))


def test_check_mul_backward_names_forgotten_grad():
    with pytest.raises(ExerciseError, match="You forgot to multiply by `grad`"):
        check_mul_backward(lambda a, b, grad: (b, a))


def test_check_mul_backward_names_wrong_grad_b():
    with pytest.raises(ExerciseError, match="with respect to `b` should be `a \\* grad`; "
                                            "yours looks like `b \\* grad`"):
        check_mul_backward(lambda a, b, grad: (b * grad, b * grad))


def test_check_matmul_backward_accepts_reference(capsys):
    check_matmul_backward(lambda A, B, grad: (grad @ B.T, A.T @ grad))
    assert "matmul_backward: 4 cases match" in capsys.readouterr().out


def test_check_matmul_backward_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_matmul_backward(_stub)


def test_check_matmul_backward_names_missing_transpose_of_b():
    with pytest.raises(ExerciseError, match="yours looks like `grad @ B` \\(a missing transpose\\)"):
        check_matmul_backward(lambda A, B, grad: (grad @ B, A.T @ grad))


def test_check_matmul_backward_names_missing_transpose_of_a():
    with pytest.raises(ExerciseError, match="yours looks like `A @ grad`"):
        check_matmul_backward(lambda A, B, grad: (grad @ B.T, A @ grad))


def test_check_matmul_backward_names_swapped_results():
    with pytest.raises(ExerciseError, match="swapped"):
        check_matmul_backward(lambda A, B, grad: (A.T @ grad, grad @ B.T))


def test_check_matmul_backward_names_factors_in_the_wrong_order():
    with pytest.raises(ExerciseError, match=r"yours looks like `grad\.T @ A`, its transpose"):
        check_matmul_backward(lambda A, B, grad: (grad @ B.T, grad.T @ A))


def test_check_sum_backward_accepts_reference(capsys):
    check_sum_backward(sum_backward)
    assert "sum_backward: 5 cases match" in capsys.readouterr().out


def test_check_sum_backward_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_sum_backward(_stub)


def test_check_sum_backward_names_missing_unsqueeze():
    with pytest.raises(ExerciseError, match=r"wrong dimension.*grad\.unsqueeze\(1\)"):
        check_sum_backward(lambda x, grad, dim=None, keepdim=False: grad * course_lib.ones_like(x))


def test_check_sum_backward_names_grad_returned_unchanged():
    with pytest.raises(ExerciseError, match="you returned grad unchanged"):
        check_sum_backward(lambda x, grad, dim=None, keepdim=False: grad if dim is not None else sum_backward(x, grad))


def test_check_sum_backward_names_mean_instead_of_sum():
    def mean_backward(x, grad, dim=None, keepdim=False):
        count = x.numel() if dim is None else x.shape[dim]
        return sum_backward(x, grad, dim, keepdim) / count

    with pytest.raises(ExerciseError, match="backward of mean"):
        check_sum_backward(mean_backward)


def test_check_sum_backward_names_unsqueeze_despite_keepdim():
    def always_unsqueezes(x, grad, dim=None, keepdim=False):
        return (grad if dim is None else grad.unsqueeze(dim)) * course_lib.ones_like(x)

    with pytest.raises(ExerciseError, match="unsqueeze only when keepdim=False"):
        check_sum_backward(always_unsqueezes)


def test_check_unbroadcast_accepts_reference(capsys):
    check_unbroadcast(unbroadcast)
    assert "unbroadcast: 6 cases match" in capsys.readouterr().out


def test_check_unbroadcast_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_unbroadcast(_stub)


def test_check_unbroadcast_names_forgotten_size_one_dims():
    def leading_only(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(dim=0)
        return grad

    with pytest.raises(ExerciseError, match="not over the dimensions where `shape` has size 1"):
        check_unbroadcast(leading_only)


def test_check_unbroadcast_names_forgotten_keepdim():
    def no_keepdim(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(dim=0)
        for dim in reversed(range(len(shape))):
            if shape[dim] == 1 and grad.shape[dim] != 1:
                grad = grad.sum(dim=dim)
        return grad

    with pytest.raises(ExerciseError, match="without keepdim=True"):
        check_unbroadcast(no_keepdim)


def test_check_unbroadcast_names_average_instead_of_sum():
    def averaged(grad, shape):
        n = grad.numel() // max(course_lib.zeros(*shape).numel(), 1)
        return unbroadcast(grad, shape) / n

    with pytest.raises(ExerciseError, match="you averaged the copies"):
        check_unbroadcast(averaged)


def test_autograd_references_agree_with_live_torch():
    torch = pytest.importorskip("torch")
    import numpy as np

    from course_lib.checks.autograd import (
        reference_matmul_backward,
        reference_sum_backward,
        reference_unbroadcast,
    )

    gen = np.random.default_rng(0)
    A, B, g = (gen.normal(size=s).astype(np.float32) for s in [(2, 3), (3, 4), (2, 4)])
    tA, tB = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    (tA @ tB).backward(torch.tensor(g))
    grad_A, grad_B = reference_matmul_backward(course_lib.tensor(A), course_lib.tensor(B), course_lib.tensor(g))
    np.testing.assert_allclose(grad_A.numpy(), tA.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad_B.numpy(), tB.grad.numpy(), rtol=1e-5, atol=1e-6)

    x, gs = gen.normal(size=(2, 3, 4)).astype(np.float32), gen.normal(size=(2, 4)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    tx.sum(dim=-2).backward(torch.tensor(gs))
    got = reference_sum_backward(course_lib.tensor(x), course_lib.tensor(gs), -2, False)
    np.testing.assert_allclose(got.numpy(), tx.grad.numpy(), rtol=1e-6)

    grad = gen.normal(size=(2, 3, 4)).astype(np.float32)
    tb = torch.zeros(3, 1, requires_grad=True)
    (tb + torch.zeros(2, 3, 4)).backward(torch.tensor(grad))
    got = reference_unbroadcast(course_lib.tensor(grad), (3, 1))
    np.testing.assert_allclose(got.numpy(), tb.grad.numpy(), rtol=1e-5, atol=1e-6)


def topological_order(root):
    """The lesson's answer: the nodes of root's graph (torch's names), inputs first, without recursion."""
    order, visited = [], set()
    stack = [(root.grad_fn, False)] if root.grad_fn is not None else []
    while stack:
        node, inputs_placed = stack.pop()
        if inputs_placed:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for next_node, _ in node.next_functions:
            if next_node is not None:
                stack.append((next_node, False))
    return order


def test_check_topological_order_accepts_an_iterative_sort(capsys):
    check_topological_order(topological_order)
    assert "topological_order: 4 graphs match" in capsys.readouterr().out


def test_check_topological_order_accepts_the_reference():
    check_topological_order(reference_topological_order)


def test_check_topological_order_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_topological_order(_stub)


def test_check_topological_order_names_recursion():
    def recursive(root):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for next_node, _ in node.next_functions:
                    if next_node is not None:
                        visit(next_node)
                order.append(node)

        if root.grad_fn is not None:
            visit(root.grad_fn)
        return order

    with pytest.raises(ExerciseError, match=r"(?s)recursion limit.*explicit stack"):
        check_topological_order(recursive)


def test_check_topological_order_names_duplicates():
    def no_visited_set(root):
        order = []
        stack = [(root.grad_fn, False)] if root.grad_fn is not None else []
        while stack:
            node, placed = stack.pop()
            if placed:
                order.append(node)
                continue
            stack.append((node, True))
            for next_node, _ in node.next_functions:
                if next_node is not None:
                    stack.append((next_node, False))
        return order

    with pytest.raises(ExerciseError, match=r"(?s)p's node appears 2 times.*`visited` set"):
        check_topological_order(no_visited_set)


def test_check_topological_order_names_reversed_list():
    with pytest.raises(ExerciseError, match="looks reversed"):
        check_topological_order(lambda root: topological_order(root)[::-1])


def test_check_topological_order_names_missing_leaves():
    from course_lib.autograd import AccumulateGrad

    with pytest.raises(ExerciseError, match=r"(?s)p, q are missing.*AccumulateGrad"):
        check_topological_order(lambda root: [n for n in topological_order(root) if not isinstance(n, AccumulateGrad)])


def test_check_topological_order_wants_nodes_not_tensors():
    def tensors(root):
        return [root]

    with pytest.raises(ExerciseError, match="NODES"):
        check_topological_order(tensors)


def test_check_topological_order_names_a_none_from_next_functions():
    def keeps_none(root):
        order = topological_order(root)
        return order + [None] if order else order

    with pytest.raises(ExerciseError, match="skip the None entries"):
        check_topological_order(keeps_none)


def test_check_topological_order_names_a_leaf_root():
    def no_leaf_case(root):
        stack = [(root.grad_fn, False)]
        stack[0][0].next_functions  # a leaf root: None has no next_functions
        return topological_order(root)

    with pytest.raises(ExerciseError, match=r"(?s)your code:.*return \[\]"):
        check_topological_order(no_leaf_case)


def test_reference_topological_order_puts_inputs_first_and_skips_constants():
    from course_lib.autograd import AccumulateGrad

    x = course_lib.tensor(1.0, requires_grad=True)
    y = (x * 2.0 + x).sum()
    order = reference_topological_order(y)
    assert isinstance(order[0], AccumulateGrad) and order[0].variable is x
    assert order[-1] is y.grad_fn and len(order) == 4
    assert [node.name() for node in order[1:]] == ["MulBackward0", "AddBackward0", "SumBackward0"]
    assert reference_topological_order(x) == []


def test_the_lessons_topological_order_runs_unchanged_with_torch():
    """Exercise 02.5 walks torch's own graph (grad_fn, next_functions): the same answer works in torch."""
    torch = pytest.importorskip("torch")
    p, q = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0], requires_grad=True)
    loss = (p * q + p).sum()
    names = [node.name() for node in topological_order(loss)]
    assert names[-1] == "SumBackward0" and names.count("torch::autograd::AccumulateGrad") == 2
    assert names.index("MulBackward0") < names.index("AddBackward0")


def test_check_unbroadcast_names_summing_trailing_dims():
    def trailing(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(dim=-1)
        return unbroadcast(grad, shape) if grad.shape != tuple(shape) else grad

    with pytest.raises(ExerciseError, match="new dimensions on the LEFT"):
        check_unbroadcast(trailing)


def test_check_topological_order_rejects_a_reversed_breadth_first_walk():
    def reversed_bfs(root):  # wrong when a node is reached by a short and a long path: c = b + b * b
        order, seen, queue = [], set(), [root.grad_fn] if root.grad_fn is not None else []
        while queue:
            node = queue.pop(0)
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
                queue += [n for n, _ in node.next_functions if n is not None]
        return order[::-1]

    with pytest.raises(ExerciseError, match=r"(?s)wrong answer on c = b \+ b \* b.*b \* b comes before its input b\."):
        check_topological_order(reversed_bfs)


@pytest.mark.parametrize("check, answer", [
    (check_mul_backward, lambda a, b, grad: (b._data * grad._data, a._data * grad._data)),
    (check_matmul_backward, lambda A, B, grad: ((grad @ B.T).numpy(), (A.T @ grad).numpy())),
    (check_sum_backward, lambda x, grad, dim=None, keepdim=False: sum_backward(x, grad, dim, keepdim)._data),
    (check_unbroadcast, lambda grad, shape: unbroadcast(grad, shape).numpy()),
], ids=["mul", "matmul", "sum", "unbroadcast"])
def test_check_backward_exercises_name_numpy_arrays_returned_for_tensors(check, answer):
    with pytest.raises(ExerciseError, match=r"(?s)expected a course_lib Tensor.*return Tensors.*not numpy arrays"):
        check(answer)


def test_check_sum_backward_crash_on_unsqueezing_dim_none_is_named():
    def unsqueezes_none(x, grad, dim=None, keepdim=False):
        if not keepdim:  # the slip: also with dim=None
            grad = grad.unsqueeze(dim)
        return grad * course_lib.ones_like(x)

    with pytest.raises(ExerciseError, match=r"(?s)your code:.*with dim=None .* no dimension to put back"):
        check_sum_backward(unsqueezes_none)


def test_check_sum_backward_crash_on_unsqueezing_the_wrong_dim_is_named():
    def unsqueezes_last(x, grad, dim=None, keepdim=False):
        if dim is not None and not keepdim:
            grad = grad.unsqueeze(-1)
        return grad * course_lib.ones_like(x)

    with pytest.raises(ExerciseError, match=r"(?s)must match the size.*put the summed dimension back where it was"):
        check_sum_backward(unsqueezes_last)


def test_check_unbroadcast_names_if_where_while_is_needed():
    def sums_one_leading_dim(grad, shape):
        if grad.ndim > len(shape):
            grad = grad.sum(dim=0)
        return unbroadcast(grad, shape) if grad.ndim == len(shape) else grad

    with pytest.raises(ExerciseError, match=r"(?s)\(2, 3\) -> \(\).*added 2 leading dimensions.*a `while` loop"):
        check_unbroadcast(sums_one_leading_dim)


@pytest.mark.parametrize("for_a_leaf", [lambda root: [root], lambda root: None], ids=["[root]", "None"])
def test_check_topological_order_names_the_empty_list_for_a_leaf_root(for_a_leaf):
    with pytest.raises(ExerciseError, match=r"(?s)on a single leaf.*a root that is a leaf has no graph.*return \[\]"):
        check_topological_order(lambda root: for_a_leaf(root) if root.grad_fn is None else topological_order(root))


def test_check_unbroadcast_names_the_size_one_dims_summed_before_the_leading_ones():
    def stretched_first(grad, shape):
        for dim, size in enumerate(shape):
            if size == 1 and grad.shape[dim] != 1:
                grad = grad.sum(dim=dim, keepdim=True)
        while grad.ndim > len(shape):
            grad = grad.sum(dim=0)
        return grad

    with pytest.raises(ExerciseError, match=r"\(2, 3, 4\) -> \(3, 1\)(?s:.*)summed the size-1 dimensions before the "
                                            r"leading ones(?s:.*)Do step 1"):
        check_unbroadcast(stretched_first)


def test_check_unbroadcast_accepts_one_sum_over_all_the_dims_at_once(capsys):
    def sum_to(grad, shape):
        extra = grad.ndim - len(shape)
        dims = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1)
        return grad.sum(dim=dims, keepdim=True).reshape(shape) if dims else grad

    check_unbroadcast(sum_to)
    assert "unbroadcast: 6 cases match" in capsys.readouterr().out


def test_check_topological_order_rejects_recursion_with_a_raised_limit():
    limit = sys.getrecursionlimit()

    def recursive(root):
        sys.setrecursionlimit(100_000)  # the slip: recursion made to pass the deep chain
        order, seen = [], set()

        def visit(node):
            if node is not None and id(node) not in seen:
                seen.add(id(node))
                for next_node, _ in node.next_functions:
                    visit(next_node)
                order.append(node)

        if root.grad_fn is not None:
            visit(root.grad_fn)
        return order

    with pytest.raises(ExerciseError, match=r"changed Python's recursion limit(?s:.*)explicit stack"):
        check_topological_order(recursive)
    assert sys.getrecursionlimit() == limit
