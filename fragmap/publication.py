"""The publication: the only data that rendering (maps, atlas, downloads) may read.

A :class:`Publication` holds suppressed, aggregated tables and public polygons.
It is built by :func:`fragmap.privacy.publish` and validated on construction,
so a renderer that receives one cannot receive report points or counts under
the privacy threshold: the type makes the safe path the only path.

Table layout (``Publication.table``), one row per published cell:

=================  =============================================================
column             meaning
=================  =============================================================
area_id            quarter id, town name, or ``"rete"`` for the whole network
level              ``"quarter"``, ``"town"`` or ``"network"``
month              reference month ``"YYYY-MM"`` (for windows: the last month)
window             months summed: 1 (the month), 3 or 12 (rolling, ending at month)
category           category code, or :data:`TOTAL` for all categories
partner            partner code, or :data:`ALL_PARTNERS`
action             action code, or :data:`ALL_ACTIONS`
value              the count; NaN when suppressed
suppressed         True when the count must not be shown
reason             ``""``, ``"primary"`` (under threshold), ``"secondary"``
                   (would let a reader compute a primary one back), ``"area"``
                   (area too small to publish) or ``"history"`` (a partner's
                   12-month total that begins before its first report)
rate_per_1000      count per 1,000 residents; NaN when suppressed or unknown
change_yoy         relative change against the same month a year before; NaN
                   when either side is suppressed or missing
share_of_town      count / town count; NaN when suppressed
=================  =============================================================

A cell that is absent from the table is "not published" and renders as n.d.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from fragmap._errors import PrivacyError

TOTAL = "totale"
ALL_PARTNERS = "tutti"
ALL_ACTIONS = "tutte"
NETWORK = "rete"
LEVELS = ("quarter", "town", "network")
SUPPRESSION_REASONS = ("", "primary", "secondary", "area", "history")

TABLE_COLUMNS = (
    "area_id",
    "level",
    "month",
    "window",
    "category",
    "partner",
    "action",
    "value",
    "suppressed",
    "reason",
    "rate_per_1000",
    "change_yoy",
    "share_of_town",
)
AREA_COLUMNS = ("area_id", "name", "town", "level", "population", "population_estimated", "geometry")


@dataclass(frozen=True)
class Publication:
    """Suppressed aggregates and public polygons, safe to render.

    Parameters
    ----------
    table : pandas.DataFrame
        Published cells, columns :data:`TABLE_COLUMNS` (see the module docstring).
    areas : geopandas.GeoDataFrame
        Public polygons of quarters (and towns), columns :data:`AREA_COLUMNS`, EPSG:4326.
        Polygons only: a point geometry is refused.
    months : tuple of str
        Months covered, ascending ``"YYYY-MM"``; the last is the reference month.
    threshold : int
        The privacy threshold the table was suppressed with.
    show_zero : bool
        Whether true zeros are shown.
    language : str
        ``"it"`` or ``"en"``.
    synthetic : bool
        True when built from synthetic demo data; every output must say so.
    quarter_source : str
        How the quarters were obtained: ``"file"``, ``"stradario"`` or ``"griglia"``
        (hexagon grid). Anything but an official file is labelled as not official.
    attributions : tuple of str
        Source and licence lines to print on every page.
    notes : tuple of str
        Method notes (estimated population, merged quarters, geocoding quality...).
    coverage : pandas.DataFrame, optional
        Suppressed walking-access figures per area and category (see fragmap.access).
    extras : dict
        Other already-safe, public tables keyed by name (e.g. the fragility index).
    labels : dict
        Display names of category and partner codes in the publication language.
    title : str
        The title of the pages: the network's name, or the network and the town published
        alone (see :mod:`fragmap.levels`). Empty: a generic title.
    whole : str
        The label of the whole (the ``rete`` rows): "Rete (Voghera e Mortara)", or the town
        published alone. Empty: a generic label.

    Raises
    ------
    PrivacyError
        If a shown count is under the threshold, a suppressed cell carries a value,
        or ``areas`` holds a non-polygon geometry.

    Examples
    --------
    >>> pub = Project.load("fragmap.toml").publication("2026-10")                 # doctest: +SKIP
    >>> pub.cells(level="town", category="anziani")[["area_id", "value", "suppressed"]]  # doctest: +SKIP
    """

    table: pd.DataFrame
    areas: gpd.GeoDataFrame
    months: tuple[str, ...]
    threshold: int
    show_zero: bool = True
    language: str = "it"
    synthetic: bool = False
    quarter_source: str = "griglia"
    attributions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    coverage: pd.DataFrame | None = None
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    title: str = ""
    whole: str = ""

    def __post_init__(self) -> None:
        check_table(self.table, self.threshold, show_zero=self.show_zero)
        missing = [c for c in AREA_COLUMNS if c not in self.areas.columns]
        if missing:
            raise PrivacyError(f"publication areas lack column(s): {', '.join(missing)}")
        kinds = set(self.areas.geometry.geom_type.dropna().unique())
        if kinds - {"Polygon", "MultiPolygon"}:
            raise PrivacyError(
                f"publication areas must be polygons, found {sorted(kinds)}: "
                "point data never reaches a published artefact"
            )
        if self.areas.crs is None or self.areas.crs.to_epsg() != 4326:
            raise PrivacyError("publication areas must be in EPSG:4326")
        if list(self.months) != sorted(self.months):
            raise PrivacyError("publication months must be ascending")

    @property
    def month(self) -> str:
        """The reference month (the last one)."""
        return self.months[-1]

    def cells(
        self,
        *,
        month: str | None = None,
        window: int | None = None,
        level: str | None = None,
        category: str | None = TOTAL,
        partner: str | None = ALL_PARTNERS,
        action: str | None = ALL_ACTIONS,
    ) -> pd.DataFrame:
        """Rows of the table matching the given filters (``None`` = no filter)."""
        t = self.table
        mask = pd.Series(True, index=t.index)
        for col, val in (
            ("month", month),
            ("window", window),
            ("level", level),
            ("category", category),
            ("partner", partner),
            ("action", action),
        ):
            if val is not None:
                mask &= t[col] == val
        return t[mask]


def check_table(table: pd.DataFrame, threshold: int, *, show_zero: bool = True) -> None:
    """Raise :class:`PrivacyError` if ``table`` could disclose a small count.

    Checks the columns, that suppressed cells carry no value or derived figure,
    and that every shown value is 0 (if allowed) or at least ``threshold``.
    """
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise PrivacyError(f"publication table lacks column(s): {', '.join(missing)}")
    sup = table["suppressed"].astype(bool)
    leaked = table.loc[sup, ["value", "rate_per_1000", "change_yoy", "share_of_town"]].notna()
    if leaked.to_numpy().any():
        raise PrivacyError(
            f"{int(leaked.any(axis=1).sum())} suppressed cell(s) still carry a value or a "
            "figure derived from it"
        )
    shown = table.loc[~sup, "value"].to_numpy(dtype=float)
    if np.isnan(shown).any():
        raise PrivacyError("a cell that is not suppressed has no value")
    small = (shown < threshold) & ~((shown == 0) & show_zero)
    if small.any():
        raise PrivacyError(
            f"{int(small.sum())} published count(s) are under the privacy threshold "
            f"({threshold}) and not suppressed"
        )
