"""Choropleth classes and colour-blind-safe palettes (mapclassify).

Examples
--------
>>> bins = class_breaks([1, 2, 3, 4, 10, 20, 30, 40, 50, 60], scheme="quantiles", k=5)
>>> len(bins)
5
>>> classify_values([0.5, 55], bins).tolist()
[0, 4]
>>> c = zero_aware_classes([0, 0, 0, 0, 0, 0, 5, 7, 9, 12, 30], scheme="quantiles", k=4)
>>> c.zero, c.lower, c.upper
(True, (5.0, 8.0, 12.0), (7.0, 11.0, 30.0))
>>> c.index(0), c.index(8), c.index(30)
(0, 2, 3)
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

#: Sequential palettes safe for the common colour-vision deficiencies (ColorBrewer, viridis).
PALETTES: dict[str, tuple[str, ...]] = {
    "viridis": ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"),
    "ylgnbu": ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    "purd": ("#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043"),
}
SUPPRESSED_COLOUR = "#bdbdbd"
NO_DATA_COLOUR = "#f0f0f0"
SCHEMES = {"quantiles": "Quantiles", "natural_breaks": "NaturalBreaks", "fisher_jenks": "FisherJenks",
           "equal_interval": "EqualInterval", "jenks": "NaturalBreaks"}


@contextlib.contextmanager
def _quiet_and_seeded() -> Iterator[None]:
    """No warnings (ties reduce k: fewer classes are fine) and a fixed seed.

    NaturalBreaks runs k-means with random starts on numpy's global generator: seeding
    it (and restoring it afterwards) keeps published maps byte-identical between runs.
    """
    state = np.random.get_state()
    np.random.seed(20261)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)


def class_breaks(values: Sequence[float], *, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of ``k`` classes of the finite ``values`` (fewer if there are fewer distinct values).

    ``scheme`` is a mapclassify scheme name (``quantiles``, ``natural_breaks``,
    ``fisher_jenks``, ``equal_interval``). NaN (suppressed) values are ignored.
    """
    import mapclassify

    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return []
    name = SCHEMES.get(scheme.lower())
    if name is None:
        raise ValueError(f"unknown classification scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    distinct = np.unique(v)
    if distinct.size <= k:
        return [float(x) for x in distinct]
    with _quiet_and_seeded():
        cls = getattr(mapclassify, name)(v, k=k)
    return sorted({float(b) for b in cls.bins})


def classify_values(values: Sequence[float], breaks: Sequence[float]) -> np.ndarray:
    """Class index of each value (0 = lowest); -1 for NaN."""
    v = np.asarray(values, dtype=float)
    out = np.searchsorted(np.asarray(breaks, dtype=float), v, side="left")
    out = np.minimum(out, max(len(breaks) - 1, 0))
    out[np.isnan(v)] = -1
    return out


def round_half_up(x: float, decimals: int = 0) -> float:
    """Round like JavaScript's ``Math.round`` (half up), so the page and Python agree."""
    f = 10.0**decimals
    return math.floor(x * f + 0.5) / f


@dataclass(frozen=True)
class Classes:
    """Choropleth classes: an optional class of true zeros, then classes of positive values.

    Attributes
    ----------
    zero : bool
        Whether class 0 holds exactly the zeros.
    lower, upper : tuple of float
        Inclusive bounds of each positive class, as shown (rounded to ``decimals``);
        consecutive classes are contiguous (``lower[i] = upper[i-1] + step``).
    colours : tuple of str
        One colour per class, the zero class first, light to dark.
    decimals : int
        Decimals the values are compared and shown with.
    """

    zero: bool
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    colours: tuple[str, ...]
    decimals: int = 0

    def __len__(self) -> int:
        return int(self.zero) + len(self.upper)

    def index(self, value: float) -> int:
        """Class of one value (after rounding to ``decimals``); -1 for NaN."""
        if value is None or not np.isfinite(value):
            return -1
        if value == 0 and self.zero:
            return 0
        x = round_half_up(float(value), self.decimals)
        off = int(self.zero)
        for i, u in enumerate(self.upper):
            if x <= u + 1e-9:
                return off + i
        return len(self) - 1


def zero_aware_classes(
    values: Sequence[float],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    decimals: int = 0,
    palette_name: str = "viridis",
) -> Classes:
    """Classes for a choropleth of counts or rates where many areas have none.

    True zeros get a class of their own (labelled "0"); the positive values are
    classified with the mapclassify ``scheme`` into the remaining ``k - 1`` classes
    (``k`` when there is no zero). Breaks are rounded down to ``decimals`` (values are
    compared after rounding to the same precision, as shown), duplicate breaks are
    dropped, so ties give fewer classes rather than empty ones, and nothing warns.

    Parameters
    ----------
    values : sequence of float
        Shown values; None/NaN (suppressed, not published) are ignored.
    scheme : str
        mapclassify scheme (see :data:`SCHEMES`).
    k : int
        Number of colour classes at most, the zero class included.
    decimals : int
        0 for counts, 1 for rates per 1,000.
    palette_name : str
        One of :data:`PALETTES`.

    Returns
    -------
    Classes
    """
    v = np.asarray([float(x) for x in values if x is not None and np.isfinite(x)], dtype=float)
    zero = bool((v == 0).any())
    step = 10.0**-decimals
    pos = np.array([max(round_half_up(x, decimals), step) for x in v[v > 0]], dtype=float)
    upper: list[float] = []
    lower: list[float] = []
    if pos.size:
        k_pos = max(k - int(zero), 1)
        raw = class_breaks(pos.tolist(), scheme=scheme, k=k_pos)
        f = 10.0**decimals
        ups = sorted({math.floor(b * f + 1e-6) / f for b in raw})
        top = float(pos.max())
        ups = [u for u in ups if u < top] + [top]
        lo = float(pos.min())
        for u in ups:
            if u < lo:
                continue
            lower.append(round(lo, decimals))
            upper.append(round(u, decimals))
            lo = u + step
    n = int(zero) + len(upper)
    return Classes(zero, tuple(lower), tuple(upper), tuple(palette(max(n, 1), palette_name))[:n], decimals)


def palette(k: int, name: str = "viridis") -> list[str]:
    """``k`` colours from a sequential palette, light to dark (k <= 5 exact, else interpolated)."""
    base = PALETTES[name]
    if k <= len(base):
        idx = np.linspace(0, len(base) - 1, k).round().astype(int)
        return [base[i] for i in idx]
    import matplotlib

    cmap = matplotlib.colormaps["viridis_r"]
    return [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0, 1, k)]
