"""Choropleth classes and colour-blind-safe palettes (mapclassify).

Examples
--------
>>> bins = class_breaks([1, 2, 3, 4, 10, 20, 30, 40, 50, 60], scheme="quantiles", k=5)
>>> len(bins)
5
>>> classify_values([0.5, 55], bins).tolist()
[0, 4]
"""

from __future__ import annotations

from collections.abc import Sequence

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


def class_breaks(values: Sequence[float], *, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of ``k`` classes of the finite ``values`` (fewer if there are fewer distinct values).

    ``scheme`` is a mapclassify scheme name (``quantiles``, ``natural_breaks``,
    ``fisher_jenks``, ``equal_interval``). NaN (suppressed) values are ignored.
    """
    import mapclassify

    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return []
    distinct = np.unique(v)
    if distinct.size <= k:
        return [float(x) for x in distinct]
    name = SCHEMES.get(scheme.lower())
    if name is None:
        raise ValueError(f"unknown classification scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    import warnings

    with warnings.catch_warnings():  # mapclassify warns when ties reduce k; fewer classes are fine
        warnings.simplefilter("ignore", UserWarning)
        cls = getattr(mapclassify, name)(v, k=k)
    return sorted({float(b) for b in cls.bins})


def classify_values(values: Sequence[float], breaks: Sequence[float]) -> np.ndarray:
    """Class index of each value (0 = lowest); -1 for NaN."""
    v = np.asarray(values, dtype=float)
    out = np.searchsorted(np.asarray(breaks, dtype=float), v, side="left")
    out = np.minimum(out, max(len(breaks) - 1, 0))
    out[np.isnan(v)] = -1
    return out


def palette(k: int, name: str = "viridis") -> list[str]:
    """``k`` colours from a sequential palette, light to dark (k <= 5 exact, else interpolated)."""
    base = PALETTES[name]
    if k <= len(base):
        idx = np.linspace(0, len(base) - 1, k).round().astype(int)
        return [base[i] for i in idx]
    import matplotlib

    cmap = matplotlib.colormaps["viridis_r"]
    return [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0, 1, k)]
