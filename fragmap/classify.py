"""The one scale of every renderer: classes, palettes, rates and the "unknown" patterns.

The published map (:mod:`fragmap.maps`), the atlas (:mod:`fragmap.atlas`) and the
notebooks (:mod:`fragmap.explore`) read their classes, colours, the rate per 1,000
residents and the patterns of hidden and missing figures from here, so the three never
disagree:

* :func:`rate_per_1000` computes the published rate (used by :func:`fragmap.privacy.publish`)
  and :func:`shown_rate` rounds it as every page prints it;
* :func:`zero_aware_classes` classes counts and rates (true zeros in a class of their own);
* :data:`INDEX_BREAKS` and :func:`index_classes` are the fixed classes of the composite index;
* :func:`palette` gives the colours, :func:`class_labels` the legend labels;
* :data:`PATTERNS` are the three "unknown" fills (``< N``, ``n.d.``, no data), each with
  at least 3:1 contrast on the map's background (WCAG 1.4.11) and different from the
  others and from every flat class colour.

Examples
--------
>>> bins = class_breaks([1, 2, 3, 4, 10, 20, 30, 40, 50, 60], scheme="quantiles", k=5)
>>> len(bins)
5
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
from typing import Any

import numpy as np

#: Sequential palettes safe for the common colour-vision deficiencies (ColorBrewer, viridis).
PALETTES: dict[str, tuple[str, ...]] = {
    "viridis": ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"),
    "ylgnbu": ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    "purd": ("#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043"),
}
#: Fixed classes of the composite index (0-100), upper bounds: the same in atlas, map and
#: notebooks, comparable from month to month. An index of exactly 0 (no report in any
#: published category) has a class of its own below them (:func:`index_classes`).
INDEX_BREAKS: tuple[float, ...] = (20.0, 40.0, 60.0, 80.0, 100.0)
#: The palette of the composite index (as the rates': light = low, dark = high).
INDEX_PALETTE = "viridis"
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

    Examples
    --------
    >>> c = zero_aware_classes([0, 0, 0.4, 1.25, 3.35, 12.2], k=3, decimals=1)
    >>> c.zero, c.upper, c.index(0), c.index(12.2)
    (True, (2.3, 12.2), 0, 2)
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
    """``k`` colours of the palette ``name``, light to dark.

    Up to the palette's own length the colours are its own; beyond it they are
    interpolated (in sRGB) between the colours of the SAME palette, so its first and last
    colours stay the ends.

    Examples
    --------
    >>> palette(3, "purd")
    ['#f1eef6', '#df65b0', '#980043']
    >>> p = palette(7, "purd"); (p[0], p[-1], len(set(p)))
    ('#f1eef6', '#980043', 7)
    """
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r}; choose one of {', '.join(PALETTES)}")
    base = PALETTES[name]
    if k <= len(base):
        idx = np.linspace(0, len(base) - 1, k).round().astype(int)
        return [base[i] for i in idx]
    rgb = np.array([_rgb(c) for c in base])
    at = np.linspace(0, len(base) - 1, k)
    out = []
    for x in at:
        i = min(int(x), len(base) - 2)
        f = x - i
        c = rgb[i] * (1 - f) + rgb[i + 1] * f
        out.append("#" + "".join(f"{round(v * 255):02x}" for v in c))
    return out


# -- the rate per 1,000 residents ------------------------------------------------------------------
def rate_per_1000(count: Any, residents: Any) -> Any:
    """Reports per 1,000 residents: ``count / residents * 1000``, NaN without residents.

    The one place the published rate is computed (:func:`fragmap.privacy.publish`);
    pages print it through :func:`shown_rate` and never compute it again. Works on
    scalars, numpy arrays and pandas Series alike.

    Parameters
    ----------
    count : float, array or Series
        Reports (NaN where hidden).
    residents : float, array or Series
        The residents the rate is per 1,000 of (a category's denominator).

    Returns
    -------
    float, array or Series
        The rate, NaN where there is no count or no resident.

    Examples
    --------
    >>> rate_per_1000(3, 1200)
    2.5
    >>> rate_per_1000(3, 0)
    nan
    """
    if hasattr(residents, "where"):  # pandas
        return count / residents.where(residents > 0) * 1000
    r = np.asarray(residents, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(r > 0, np.asarray(count, dtype=float) / np.where(r > 0, r, 1.0) * 1000, np.nan)
    return float(out) if out.ndim == 0 else out


def shown_rate(rate: Any) -> float | None:
    """A published rate as every page shows it: 0.1 precision, half up, never 0.0 for a report.

    None for a missing rate (hidden, or an area without residents); a true 0 stays 0.

    Examples
    --------
    >>> shown_rate(2.25), shown_rate(0.01), shown_rate(0.0), shown_rate(float("nan"))
    (2.3, 0.1, 0.0, None)
    """
    if rate is None:
        return None
    x = float(rate)
    if not math.isfinite(x):
        return None
    if x == 0:
        return 0.0
    return max(round_half_up(x, 1), 0.1)


def shown_rates(rates: Any) -> np.ndarray:
    """:func:`shown_rate` of each rate, NaN where there is none (for tables and notebooks).

    Examples
    --------
    >>> shown_rates([2.25, 0.01, float("nan")]).tolist()
    [2.3, 0.1, nan]
    """
    return np.array([np.nan if (r := shown_rate(x)) is None else r for x in np.asarray(rates, dtype=float)],
                    dtype=float)


# -- the composite index ---------------------------------------------------------------------------
def index_classes(*, palette_name: str = INDEX_PALETTE) -> Classes:
    """The fixed classes of the composite index: 0 (no report), then :data:`INDEX_BREAKS`.

    Parameters
    ----------
    palette_name : str
        One of :data:`PALETTES` (default :data:`INDEX_PALETTE`, as the atlas and the map).

    Returns
    -------
    Classes
        A zero class, then one class per break (upper bounds inclusive, 0.1 precision).

    Examples
    --------
    >>> c = index_classes()
    >>> c.index(0), c.index(0.4), c.index(20), c.index(40.8), c.index(100)
    (0, 1, 1, 3, 5)
    """
    step = 0.1
    lower = tuple(round(b + step, 1) for b in (0.0, *INDEX_BREAKS[:-1]))
    n = 1 + len(INDEX_BREAKS)
    return Classes(True, lower, INDEX_BREAKS, tuple(palette(n, palette_name)), 1)


def class_labels(classes: Classes, language: str = "it") -> list[str]:
    """Legend labels of ``classes``: ``"0"`` for the zero class, then ``"lo – up"`` (or one value).

    Examples
    --------
    >>> class_labels(index_classes(), "it")[:3]
    ['0', '0,1 – 20,0', '20,1 – 40,0']
    """
    from fragmap.i18n import format_number

    dec = classes.decimals
    out = ["0"] if classes.zero else []
    for lo, up in zip(classes.lower, classes.upper):
        a, b = format_number(lo, language, dec), format_number(up, language, dec)
        out.append(a if a == b else f"{a} – {b}")
    return out


# -- the three "unknown" fills ---------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    """A fill for a figure that is not shown: a light ground and dark ink marks.

    Attributes
    ----------
    key : str
        ``"primary"`` (``< N``), ``"protective"`` (``n.d.``, hidden to protect another
        figure) or ``"missing"`` (no figure: no residents, no data).
    ground, ink : str
        Colours of the ground and of the marks (lines or dots).
    kind : str
        ``"lines"`` (diagonal stripes), ``"cross"`` (crossed thin lines) or ``"dots"``.
    size, width : float
        Repeat of the pattern and stroke width (or dot radius), in CSS pixels.
    hatch : str
        The matplotlib hatch of the same look (notebook figures).
    """

    key: str
    ground: str
    ink: str
    kind: str
    size: float
    width: float
    hatch: str

    def svg(self, pattern_id: str) -> str:
        """An SVG ``<pattern>`` element (to go inside ``<defs>``) with id ``pattern_id``."""
        s, w = self.size, self.width
        head = f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="{s:g}" height="{s:g}"'
        ground = f'<rect width="{s:g}" height="{s:g}" fill="{self.ground}"/>'
        if self.kind == "lines":
            return (f'{head} patternTransform="rotate(45)">{ground}'
                    f'<line x1="0" y1="0" x2="0" y2="{s:g}" stroke="{self.ink}" stroke-width="{w:g}"/></pattern>')
        if self.kind == "cross":
            return (f'{head}>{ground}<path d="M0,0L{s:g},{s:g}M{s:g},0L0,{s:g}" stroke="{self.ink}" '
                    f'stroke-width="{w:g}"/></pattern>')
        return f'{head}>{ground}<circle cx="{s / 2:g}" cy="{s / 2:g}" r="{w:g}" fill="{self.ink}"/></pattern>'

    def css(self) -> str:
        """A CSS ``background`` of the same look, for legend swatches."""
        s, w = self.size, self.width
        if self.kind == "lines":
            return f"repeating-linear-gradient(45deg,{self.ink} 0 {w:g}px,{self.ground} {w:g}px {s:g}px)"
        if self.kind == "cross":
            return (f"repeating-linear-gradient(45deg,{self.ink} 0 {w:g}px,transparent {w:g}px {s:g}px),"
                    f"repeating-linear-gradient(-45deg,{self.ink} 0 {w:g}px,{self.ground} {w:g}px {s:g}px)")
        return (f"radial-gradient(circle,{self.ink} {w:g}px,transparent {w + 0.5:g}px) 0 0/{s:g}px {s:g}px "
                f"{self.ground}")


#: The fills of figures not shown, by what they mean. Dark ink on white: stripes for
#: ``< N``, a cross-hatch for ``n.d.``, dots for "no data"; none is a flat colour, so
#: none can be read as a class, and each keeps >= 3:1 on the map's background even at
#: the map's fill opacity (tests/test_scale.py computes it).
PATTERNS: dict[str, Pattern] = {
    "primary": Pattern("primary", "#ffffff", "#333333", "lines", 6.0, 2.5, "////"),
    "protective": Pattern("protective", "#ffffff", "#333333", "cross", 8.0, 1.5, "xx"),
    "missing": Pattern("missing", "#ffffff", "#333333", "dots", 6.0, 1.3, ".."),
}


def _rgb(colour: str) -> np.ndarray:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return np.array([int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)], dtype=float)


def blend(colour: str, under: str, opacity: float) -> str:
    """``colour`` drawn at ``opacity`` over ``under``, as one opaque colour."""
    c = _rgb(colour) * opacity + _rgb(under) * (1 - opacity)
    return "#" + "".join(f"{round(v * 255):02x}" for v in c)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21).

    Examples
    --------
    >>> round(contrast_ratio("#000000", "#ffffff"), 1)
    21.0
    """
    def lum(colour: str) -> float:
        c = _rgb(colour)
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
