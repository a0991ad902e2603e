"""Helpers for planners' notebooks, over a :class:`~fragmap.publication.Publication`.

Everything here reads only the suppressed publication, so any table or figure a
planner saves from these functions is already safe to share.

Examples
--------
>>> from fragmap import Project, quarter_figures, plot_choropleth   # doctest: +SKIP
>>> pub = Project.load("fragmap.toml").publication("2026-10")       # doctest: +SKIP
>>> gdf = quarter_figures(pub, category="anziani")                   # doctest: +SKIP
>>> plot_choropleth(pub, category="anziani")                        # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from fragmap.publication import TOTAL, Publication


def _require(pub: Any) -> Publication:
    if not isinstance(pub, Publication):
        raise TypeError(
            "expected a Publication (from Project.publication or fragmap.publish): "
            "notebook figures are built only from suppressed data"
        )
    return pub


def quarter_figures(
    pub: Publication,
    *,
    month: str | None = None,
    window: int = 12,
    category: str = TOTAL,
    town: str | None = None,
) -> gpd.GeoDataFrame:
    """Quarter polygons with their published figures for one month, window and category.

    Parameters
    ----------
    pub : Publication
        Suppressed figures.
    month : str, optional
        ``YYYY-MM``; default the publication's reference month.
    window : int
        1 for the month alone, 12 for the 12 months ending at ``month``.
    category : str
        A category code or ``"totale"``.
    town : str, optional
        Only the quarters of this town.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per quarter: ``area_id, name, town, population, value, suppressed,
        rate_per_1000, change_yoy, share_of_town, geometry``. Suppressed values are NaN.

    Examples
    --------
    >>> gdf = quarter_figures(pub, category="anziani")   # doctest: +SKIP
    >>> gdf.sort_values("rate_per_1000", ascending=False).head()   # doctest: +SKIP
    """
    pub = _require(pub)
    month = month or pub.month
    cells = pub.cells(month=month, window=window, level="quarter", category=category)
    cols = ["area_id", "value", "suppressed", "reason", "rate_per_1000", "change_yoy", "share_of_town"]
    areas = pub.areas[pub.areas["level"] == "quarter"]
    if town is not None:
        areas = areas[areas["town"] == town]
    out = areas.merge(cells[cols], on="area_id", how="left")
    out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
    return out.sort_values("area_id").reset_index(drop=True)


def compare_months(
    pub: Publication,
    before: str,
    after: str,
    *,
    window: int = 12,
    category: str = TOTAL,
) -> pd.DataFrame:
    """Published figures of two months side by side, with the difference where both are shown.

    Returns
    -------
    pandas.DataFrame
        ``area_id, name, value_<before>, value_<after>, difference,
        rate_<before>, rate_<after>``; NaN where either side is suppressed.

    Examples
    --------
    >>> compare_months(pub, "2026-09", "2026-10").sort_values("difference").tail()   # doctest: +SKIP
    """
    pub = _require(pub)
    a = quarter_figures(pub, month=before, window=window, category=category)
    b = quarter_figures(pub, month=after, window=window, category=category)
    out = a[["area_id", "name"]].copy()
    out[f"value_{before}"] = a["value"].to_numpy()
    out[f"value_{after}"] = b.set_index("area_id").loc[a["area_id"], "value"].to_numpy()
    out["difference"] = out[f"value_{after}"] - out[f"value_{before}"]
    out[f"rate_{before}"] = a["rate_per_1000"].to_numpy()
    out[f"rate_{after}"] = b.set_index("area_id").loc[a["area_id"], "rate_per_1000"].to_numpy()
    return out


def plot_choropleth(
    pub: Publication,
    *,
    month: str | None = None,
    window: int = 12,
    category: str = TOTAL,
    column: str = "rate_per_1000",
    scheme: str = "quantiles",
    k: int = 5,
    title: str | None = None,
    town: str | None = None,
    ax: Any = None,
) -> Any:
    """A static choropleth (matplotlib) of one published figure; suppressed quarters hatched grey.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_choropleth(pub, category="disabilita")   # doctest: +SKIP
    >>> ax.figure.savefig("disabilita.png")                 # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    from fragmap.i18n import format_month, t

    pub = _require(pub)
    # Plot in metres (UTM 32N) so shapes are not stretched at this latitude.
    gdf = quarter_figures(pub, month=month, window=window, category=category, town=town).to_crs(32632)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 7))
    shown = gdf[gdf[column].notna()]
    hidden = gdf[gdf[column].isna()]
    if len(hidden):
        hidden.plot(ax=ax, color="#d9d9d9", edgecolor="white", hatch="///", linewidth=0.4)
    if len(shown):
        n_unique = shown[column].nunique()
        kwargs: dict[str, Any] = {"cmap": "viridis", "edgecolor": "white", "linewidth": 0.4}
        if n_unique > k:
            kwargs.update(scheme=scheme, k=k, legend=True, legend_kwds={"fmt": "{:.1f}", "loc": "upper left", "bbox_to_anchor": (1.0, 1.0)})
        else:
            kwargs.update(legend=True)
        shown.plot(ax=ax, column=column, **kwargs)
    lang = pub.language
    label = title or (t("total", lang) if category == TOTAL else pub.labels.get(category, category))
    title = f"{label} · {format_month(month or pub.month, lang)}"
    if window == 12:
        title += f" ({t('last_12_months', lang)})"
    ax.set_title(title)
    ax.set_axis_off()
    note = t("suppressed", lang, threshold=pub.threshold) + ": grigio tratteggiato" if lang == "it" else (
        t("suppressed", lang, threshold=pub.threshold) + ": grey hatched"
    )
    if pub.synthetic:
        note += " · " + t("synthetic", lang)
    ax.annotate(note, (0.01, 0.01), xycoords="figure fraction", fontsize=8)
    return ax


def trend(
    pub: Publication, area_id: str, *, window: int = 1, category: str | None = None
) -> pd.DataFrame:
    """Published monthly figures of one area: one row per month, one column per category.

    Examples
    --------
    >>> trend(pub, "Pavia", window=12)   # doctest: +SKIP
    """
    pub = _require(pub)
    t_ = pub.cells(window=window, category=category)
    t_ = t_[t_["area_id"] == area_id]
    return t_.pivot_table(index="month", columns="category", values="value", aggfunc="first").reindex(
        list(pub.months)
    ).astype(float).replace({None: np.nan})
