"""The attacker's implicit-zeros program (:func:`fragmap.disclosure._free_variables`) gives the
same answer when told what is already settled (true counts, zero totals) as when asked about
every unknown: the shortcut of the audit over time must not change what it can pin."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from fragmap.disclosure import _free_variables, _pinned_all, _row_space


def _system(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    truth = rng.poisson(0.4, n).astype(float)
    dense = (rng.random((m, n)) < 0.3).astype(float)
    b = dense @ truth
    ub = np.where(rng.random(n) < 0.1, 0.0, np.inf)
    ub[truth > 0] = np.inf
    return dense, b, np.column_stack([np.zeros(n), ub]), truth


def test_a_hidden_implicit_zero_is_found_with_the_shortcut() -> None:
    # x0 + x1 = 1 and x0 + x1 + x2 = 1: x2 is 0 in every solution though no total is 0
    dense = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    truth = np.array([1.0, 0.0, 0.0])
    b = dense @ truth
    bounds = np.column_stack([np.zeros(3), np.full(3, np.inf)])
    free, inner = _free_variables(sparse.csr_matrix(dense), b, bounds, known=truth > 0,
                                  zero=dense[b < 0.5].any(axis=0))
    assert free.tolist() == [True, True, False]
    assert inner is not None and np.allclose(dense @ inner, b) and inner[1] > 0
    # and x2's count is pinned (to 0), x0's is not
    basis = _row_space(dense, free)
    targets = np.eye(3)
    assert _pinned_all(targets, free, basis).tolist() == [False, False, True]


@pytest.mark.parametrize("seed", range(12))
def test_the_shortcut_finds_the_same_free_unknowns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    dense, b, bounds, truth = _system(rng, n=30, m=12)
    full, _ = _free_variables(sparse.csr_matrix(dense), b, bounds)
    covered = dense.any(axis=0)
    known = ((truth > 0) | ~covered) & (bounds[:, 1] > 0)
    short, inner = _free_variables(sparse.csr_matrix(dense), b, bounds, known=known, zero=dense[b < 0.5].any(axis=0))
    assert short.tolist() == full.tolist()
    if inner is not None:  # a solution of the equations, for the intervals' pool
        assert np.allclose(dense @ inner, b, atol=1e-6) and (inner >= -1e-9).all()


def test_pinned_all_agrees_with_solving_min_and_max() -> None:
    from scipy.optimize import linprog

    rng = np.random.default_rng(7)
    dense, b, bounds, truth = _system(rng, n=20, m=14)
    free, _ = _free_variables(sparse.csr_matrix(dense), b, bounds)
    targets = (rng.random((25, 20)) < 0.2).astype(float)
    pinned = _pinned_all(targets, free, _row_space(dense, free))
    for t, p in zip(targets, pinned):
        lo = linprog(t, A_eq=dense, b_eq=b, bounds=bounds, method="highs")
        hi = linprog(-t, A_eq=dense, b_eq=b, bounds=bounds, method="highs")
        width = np.inf if hi.status == 3 else -hi.fun - lo.fun
        assert p == (width < 1e-6), (t, width)
