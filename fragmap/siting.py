"""Maximal covering location on a reach matrix: the greedy ranking and the exact optimum.

Pure and small: both functions take a sparse boolean matrix ``reach`` (candidates ×
points: the point is within reach of the candidate) and a number of sites ``k``.

- :func:`greedy_cover` picks, one at a time, the candidate reaching most points not yet
  reached. Its order means something (the best first site, then the best second given
  the first...), and it is fast, but a set of ``k`` sites built this way may reach fewer
  points than the best set of ``k``.
- :func:`optimal_cover` solves the Maximal Covering Location Problem exactly
  (Church & ReVelle 1974) as a mixed-integer programme with HiGHS through
  :func:`scipy.optimize.milp`, with a time limit. Optimal sets are not nested: the best
  3 sites need not contain the best 2, so an optimal set has no ranking of its own.

:func:`fragmap.access.where_next` builds the reach matrix (walking on the streets or the
straight-line fallback) and calls both.

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> reach = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, 0]], dtype=bool))
>>> greedy_cover(reach, 2)
([1, 0], [3, 1])
>>> optimal_cover(reach, 2).covered
4
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Outcome codes of :func:`optimal_cover`.
STATUS_OPTIMAL = "optimal"
STATUS_TIME_LIMIT = "time_limit"
STATUS_FAILED = "failed"


def greedy_cover(reach: Any, k: int) -> tuple[list[int], list[int]]:
    """Greedy maximal coverage: up to ``k`` candidates, each reaching most points not yet reached.

    Parameters
    ----------
    reach : scipy.sparse matrix
        Boolean, candidates × points.
    k : int
        Most sites to choose.

    Returns
    -------
    (list of int, list of int)
        The chosen candidate rows in order, and each one's new points. Stops early when
        no candidate adds a point. Ties go to the first candidate.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> greedy_cover(sp.csr_matrix(np.eye(3, dtype=bool)), 5)
    ([0, 1, 2], [1, 1, 1])
    """
    a = reach.tocsr()
    open_ = np.ones(a.shape[1], dtype=np.float64)
    chosen: list[int] = []
    gains: list[int] = []
    for _ in range(min(k, a.shape[0])):
        gain = a @ open_
        if chosen:
            gain[chosen] = -1
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        gains.append(int(round(gain[best])))
        open_[a.indices[a.indptr[best]:a.indptr[best + 1]]] = 0.0
    return chosen, gains


@dataclass(frozen=True)
class OptimalCover:
    """The result of :func:`optimal_cover`.

    Attributes
    ----------
    sites : tuple of int
        Candidate rows of the optimal set (ascending; empty unless ``status`` is optimal).
    covered : int
        Points reached by ``sites`` (0 unless optimal).
    status : str
        :data:`STATUS_OPTIMAL`, :data:`STATUS_TIME_LIMIT` (not proven within the limit) or
        :data:`STATUS_FAILED` (the solver gave no answer).
    seconds : float
        Time spent, including building the programme.

    Examples
    --------
    >>> OptimalCover((0, 2), 20, STATUS_OPTIMAL, 0.01).covered
    20
    """

    sites: tuple[int, ...]
    covered: int
    status: str
    seconds: float


def optimal_cover(reach: Any, k: int, *, time_limit_s: float = 20.0) -> OptimalCover:
    """The exact Maximal Covering Location optimum for ``k`` sites (HiGHS via scipy ``milp``).

    Maximise the reached points, ``Σ wᵢ yᵢ``, subject to ``yᵢ ≤ Σⱼ aⱼᵢ xⱼ`` and
    ``Σ xⱼ ≤ k`` with binary ``x`` (sites) and ``0 ≤ y ≤ 1`` (points; integral at the
    optimum once ``x`` is). Points that no candidate
    reaches are left out, and points reached by exactly the same candidates are merged
    into one with weight ``w`` (the programme is smaller, the optimum the same).

    Parameters
    ----------
    reach : scipy.sparse matrix
        Boolean, candidates × points.
    k : int
        Number of sites.
    time_limit_s : float
        Give up after this many seconds (status :data:`STATUS_TIME_LIMIT`): the caller
        keeps the greedy set and says so.

    Returns
    -------
    OptimalCover

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> optimal_cover(sp.csr_matrix(np.eye(3, dtype=bool)), 2).covered
    2
    """
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    started = time.perf_counter()
    a = sp.csc_matrix(reach, dtype=bool)
    n_c = a.shape[0]
    if k <= 0 or n_c == 0 or a.nnz == 0:
        return OptimalCover((), 0, STATUS_OPTIMAL, time.perf_counter() - started)
    a = a[:, np.diff(a.indptr) > 0]  # points nobody reaches
    # merge points reached by the same candidates: one variable with a weight
    keys = [a.indices[a.indptr[i]:a.indptr[i + 1]].tobytes() for i in range(a.shape[1])]
    _, first, weight = np.unique(np.array(keys, dtype=object), return_index=True, return_counts=True)
    a = a[:, np.sort(first)]
    weight = weight[np.argsort(first)]
    n_p = a.shape[1]
    # variables: x (n_c sites), then y (n_p merged points)
    c = np.concatenate([np.zeros(n_c), -weight.astype(float)])
    cover = sp.hstack([-a.T.astype(float), sp.identity(n_p, format="csr")], format="csr")  # y - A'x <= 0
    budget = sp.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_p)])[None, :])
    constraints = [LinearConstraint(cover, -np.inf, 0.0), LinearConstraint(budget, 0.0, float(k))]
    remaining = max(0.01, time_limit_s - (time.perf_counter() - started))
    # y may stay continuous: with integer sites, the best y is 0 or 1 anyway (and HiGHS branches less)
    integrality = np.concatenate([np.ones(n_c), np.zeros(n_p)])
    res = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0.0, 1.0),
               options={"time_limit": remaining, "disp": False})
    seconds = time.perf_counter() - started
    if res.status == 0 and res.x is not None:
        x = res.x[:n_c] > 0.5
        sites = tuple(int(j) for j in np.nonzero(x)[0])
        covered = int(np.asarray(reach.tocsr()[list(sites)].sum(axis=0) > 0).sum()) if sites else 0
        return OptimalCover(sites, covered, STATUS_OPTIMAL, seconds)
    status = STATUS_TIME_LIMIT if res.status == 1 else STATUS_FAILED
    return OptimalCover((), 0, status, seconds)
