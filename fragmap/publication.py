"""The publication: the only data that rendering (maps, atlas, downloads) may read.

A :class:`Publication` holds suppressed, aggregated tables and public polygons.
It is built by :func:`fragmap.privacy.publish` and validated on construction,
so a renderer that receives one cannot receive report points or counts under
the privacy threshold: the type makes the safe path the only path.

Table layout (``Publication.table``), one row per published cell:

=================  =============================================================
column             meaning
=================  =============================================================
area_id            quarter id, town name, ``"rete"`` for the whole network, or
                   ``"non_assegnate:<town>"`` (see below)
level              ``"quarter"``, ``"town"``, ``"network"`` or ``"non_assegnate"``
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
rate_per_1000      count per 1,000 residents (of the category's denominator,
                   :attr:`Publication.denominators`: e.g. residents aged 65+
                   for ``anziani``); NaN when suppressed or unknown
change_yoy         relative change against the same month a year before; NaN
                   when either side is suppressed or missing, or the base is 0
value_prev         the published count of the same cell a year before (month - 12,
                   same window), suppressed in its own month like any count: NaN
                   when hidden there, missing, or when ``value`` is suppressed
change_status      :mod:`fragmap.change` status of the change: ``"aumento"`` /
                   ``"calo"`` (significant), ``"stabile"``, ``"non_significativa"``
                   or ``"non_calcolabile"`` (no percentage)
share_of_town      count / town count; NaN when suppressed
=================  =============================================================

A cell that is absent from the table is "not published" and renders as n.d.

Town and network totals count every report of the town (network): a report placed only
to the town, with an unknown quartiere, not found, or outside every quarter is in the
town total but in no area. Those are the ``non_assegnate`` cells (``area_id``
``"non_assegnate:<town>"``; ``"non_assegnate:rete"`` for reports of no known town), so
that ``town = sum(areas) + non_assegnate`` and ``network = sum(towns) + non_assegnate:rete``
hold in the table and are suppressed together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from fragmap._errors import PrivacyError
from fragmap.i18n import translate
from fragmap.residents import COLUMNS as RESIDENT_COLUMNS

from fragmap._keys import ALL_ACTIONS, ALL_PARTNERS, NETWORK, TOTAL, UNASSIGNED  # noqa: F401  (re-exported)

LEVELS = ("quarter", "town", "network", UNASSIGNED)


def unassigned_id(town: str) -> str:
    """``area_id`` of the reports of ``town`` that are in none of its areas.

    ``unassigned_id(NETWORK)`` holds the reports of no known town (they count in the
    network total only). Distinct from every town name and quarter id.
    """
    return f"{UNASSIGNED}:{town}"


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
    "value_prev",
    "change_status",
)
#: Columns added after the first release: a table built without them (and without any
#: year-on-year figure) gets them empty, so older table builders keep working.
_LATER_COLUMNS = ("value_prev", "change_status")
AREA_COLUMNS = ("area_id", "name", "town", "level", "population", "population_estimated", "geometry")


@dataclass(frozen=True, repr=False)  # the repr is a short summary (see __repr__), not every table
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
    denominators : dict
        ``category -> population column`` (``"population"`` or ``"pop_65"``, a column of
        ``areas``) its rates are per 1,000 of; a category not named is per all residents.
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
    denominators: dict[str, str] = field(default_factory=dict)
    title: str = ""
    whole: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", _with_later_columns(self.table))
        check_table(self.table, self.threshold, show_zero=self.show_zero)
        check_coverage(self.coverage)
        check_extras(self.extras)
        check_fields(self)
        # Read-only tables: a cell changed in place after the checks would be drawn unchecked.
        object.__setattr__(self, "table", _read_only(self.table))
        if self.coverage is not None:
            object.__setattr__(self, "coverage", _read_only(self.coverage))
        object.__setattr__(self, "extras", {k: _read_only(v) for k, v in self.extras.items()})
        object.__setattr__(self, "_digest", _digest(self.table))
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

    def verify(self) -> None:
        """Raise :class:`PrivacyError` unless the table is still the one checked at construction.

        Renderers and :func:`fragmap.explore.save_figure` call it before they write anything.
        """
        check_table(self.table, self.threshold, show_zero=self.show_zero)
        check_coverage(self.coverage)
        check_extras(self.extras)
        if _digest(self.table) != getattr(self, "_digest", None):
            raise PrivacyError(
                "la tabella della pubblicazione è stata modificata dopo i controlli: ricostruirla con "
                "Project.publication()" if self.language == "it" else
                "the publication's table was changed after it was checked: build it again with "
                "Project.publication()"
            )

    def denominator(self, category: str) -> str:
        """The ``areas`` column the rates of ``category`` are per 1,000 of."""
        col = self.denominators.get(category, "population")
        return col if col in self.areas.columns else "population"

    def to_csv(self, path: str, *, month: str | None = None, language: str | None = None) -> object:
        """Write the published cells as CSV (hidden counts as "< 5" / "n.d.") and the notes beside it.

        See :func:`fragmap.io.exports.write_csv`. Returns the path written.
        """
        from fragmap.io.exports import write_csv

        return write_csv(self, path, month=month, language=language)

    def to_excel(self, path: str, *, language: str | None = None) -> object:
        """Write an Excel workbook: every month, the reference month, the notes and credits.

        See :func:`fragmap.io.exports.write_excel`. Returns the path written.
        """
        from fragmap.io.exports import write_excel

        return write_excel(self, path, language=language)

    def to_gpkg(self, path: str, *, language: str | None = None) -> object:
        """Write a GeoPackage for QGIS: area polygons with the figures, the long table, the notes.

        See :func:`fragmap.io.exports.write_gpkg`. Returns the path written.
        """
        from fragmap.io.exports import write_gpkg

        return write_gpkg(self, path, language=language)

    @property
    def month(self) -> str:
        """The reference month (the last one)."""
        return self.months[-1]

    def category_code(self, category: str) -> str:
        """The code of ``category``, given as a code, ``"totale"`` or its display name.

        One resolver for every function that takes a category (see :func:`resolve_category`).

        Examples
        --------
        >>> pub.category_code("Fragilità economica")   # doctest: +SKIP
        """
        return resolve_category(self, category)

    def __repr__(self) -> str:
        from fragmap._summary import summary_text

        return summary_text(self)

    def _repr_html_(self) -> str:
        """What a notebook shows for a publication: a short summary, not its tables."""
        from fragmap._summary import summary_html

        return summary_html(self)

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
        if category is not None and category != TOTAL and category not in self.labels:
            category = resolve_category(self, category)  # a display name, or a code without a label
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


_CATEGORY_TEXT = {
    "unknown": {"it": "categoria sconosciuta: {value!r}. Indicare il codice o il nome di una di queste: {choices}",
                "en": "unknown category {value!r}. Give the code or the name of one of: {choices}"},
    "total": {"it": "Totale", "en": "Total"},
}


def category_codes(pub: Publication) -> list[str]:
    """The category codes of ``pub``'s table, :data:`TOTAL` first."""
    return sorted((str(c) for c in pub.table["category"].unique()), key=lambda c: (c != TOTAL, c))


def resolve_category(pub: Publication, value: str, *, language: str | None = None) -> str:
    """The category code for ``value``: a code, ``"totale"`` or a display name (``pub.labels``).

    Case, accents, spaces and underscores do not matter (``"Fragilità economica"``,
    ``"fragilita economica"`` and ``"fragilita_economica"`` are the same category).

    Raises
    ------
    ValueError
        If ``value`` names no category of the publication; the message (in the publication's
        language) lists every code with its name.
    """
    from fragmap._text import fold_name

    codes = category_codes(pub)
    if value in codes:
        return value
    lang = language or (pub.language if pub.language in ("it", "en") else "it")
    names = {c: (translate(_CATEGORY_TEXT, "total", lang) if c == TOTAL else pub.labels.get(c, c)) for c in codes}
    wanted = fold_name(str(value))
    for code in codes:
        if wanted and wanted in (fold_name(code), fold_name(names[code])):
            return code
    choices = ", ".join(f"{c!r} ({names[c]})" if names[c] != c else repr(c) for c in codes)
    raise ValueError(translate(_CATEGORY_TEXT, "unknown", lang, value=value, choices=choices))


def _with_later_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with :data:`_LATER_COLUMNS`, empty, if it has none of them and no change figure."""
    if any(c in table.columns for c in _LATER_COLUMNS) or "change_yoy" not in table.columns:
        return table
    if table["change_yoy"].notna().any():
        return table  # a change without the count it was computed from: check_table refuses it
    from fragmap.change import NOT_COMPUTABLE

    return table.assign(value_prev=np.nan, change_status=NOT_COMPUTABLE)


def _read_only(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose cells cannot be assigned in place (``ValueError`` if tried)."""
    out = frame.copy()
    for block in out._mgr.blocks:  # pandas keeps the values in blocks; lock each one
        values = getattr(block.values, "flags", None)
        if values is not None:
            block.values.flags.writeable = False
    return out


def _digest(table: pd.DataFrame) -> str:
    """A fingerprint of the published columns (what :meth:`Publication.verify` compares)."""
    import hashlib

    cols = [c for c in TABLE_COLUMNS if c in table.columns]
    h = pd.util.hash_pandas_object(table[cols], index=True).to_numpy()
    return hashlib.sha256(h.tobytes()).hexdigest()


def check_table(table: pd.DataFrame, threshold: int, *, show_zero: bool = True) -> None:
    """Raise :class:`PrivacyError` if ``table`` could disclose a small count.

    Checks the columns, that suppressed cells carry no value or derived figure,
    and that every shown value is 0 (if allowed) or at least ``threshold``.
    """
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise PrivacyError(f"publication table lacks column(s): {', '.join(missing)}")
    sup = table["suppressed"].astype(bool)
    leaked = table.loc[sup, [c for c in ("value", "rate_per_1000", "change_yoy", "share_of_town", "value_prev")
                             if c in table.columns]].notna()
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
    _check_change(table, threshold, show_zero=show_zero)


def _check_change(table: pd.DataFrame, threshold: int, *, show_zero: bool) -> None:
    """The year-on-year columns: a shown count a year before passes the threshold, and a change
    is given only between two shown counts (so it cannot carry a hidden one)."""
    from fragmap.change import FALL, NOT_COMPUTABLE, RISE, STATUSES

    prev = table["value_prev"].to_numpy(dtype=float)
    shown = prev[~np.isnan(prev)]
    small = (shown < threshold) & ~((shown == 0) & show_zero)
    if small.any():
        raise PrivacyError(
            f"{int(small.sum())} count(s) of a year before are under the privacy threshold ({threshold})"
        )
    status = table["change_status"].astype(str).to_numpy()
    unknown = sorted(set(status) - set(STATUSES))
    if unknown:
        raise PrivacyError(f"unknown change status(es): {', '.join(unknown)}; known: {', '.join(STATUSES)}")
    value = table["value"].to_numpy(dtype=float)
    change = table["change_yoy"].to_numpy(dtype=float)
    has = ~np.isnan(change)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = value / prev - 1
    wrong = has & ~(np.isclose(change, expected, rtol=1e-9, atol=1e-9) & (prev > 0))
    if wrong.any():
        raise PrivacyError(
            f"{int(wrong.sum())} year-on-year change(s) are not computed from the two shown counts "
            "(value and value_prev)"
        )
    bad = (has == (status == NOT_COMPUTABLE)) | ((status == RISE) & ~(change > 0)) | ((status == FALL) & ~(change < 0))
    if bad.any():
        raise PrivacyError(f"{int(bad.sum())} change status(es) do not match their change")


#: The only columns published walking-access figures may carry
#: (:func:`fragmap.privacy.publish_coverage`): shares and medians, never counts of reports.
COVERAGE_COLUMNS = ("area_id", "category", "method", "share_within_5", "share_within_10", "share_within_15",
                    "median_minutes", "suppressed")
#: The public tables a publication may carry beside its cells, and their only columns.
EXTRAS_COLUMNS: dict[str, tuple[str, ...]] = {
    #: which publication area each quarter is counted in (merged small quarters)
    "quarter_areas": ("quarter_id", "area_id"),
    #: the composite index of published rates (:func:`fragmap.privacy.fragility_index`)
    "fragility_index": ("area_id", "index_value", "parts", "rank", "top_decile"),
    #: residents (65+) within and beyond N minutes of a help desk: estimates from ISTAT totals,
    #: rounded by :func:`fragmap.privacy.publish_resident_coverage` (no report count in them)
    "resident_coverage": (*RESIDENT_COLUMNS, "suppressed"),
}
#: Residents' figures (estimates, not reports) are published rounded to this many people
#: (:func:`fragmap.privacy.publish_resident_coverage` rounds, :func:`check_extras` checks).
RESIDENT_ROUNDING = 10
_LANGUAGES = ("it", "en")


def check_coverage(coverage: pd.DataFrame | None) -> None:
    """Raise :class:`PrivacyError` unless ``coverage`` is publishable walking-access figures.

    Only :data:`COVERAGE_COLUMNS` (shares and medians: a count of reports would be a cell
    outside the suppression), ``area_id``, ``category`` and ``suppressed`` present, shares
    between 0 and 1, and a suppressed row carries no figure.

    Examples
    --------
    >>> check_coverage(pd.DataFrame({"area_id": ["A"], "category": ["x"], "n_reports": [3],
    ...                              "suppressed": [False]}))
    Traceback (most recent call last):
    ...
    fragmap._errors.PrivacyError: publication coverage may carry only area_id, category, method, share_within_5, share_within_10, share_within_15, median_minutes, suppressed; refused column(s) n_reports: publish it with fragmap.privacy.publish_coverage
    """
    if coverage is None:
        return
    if not isinstance(coverage, pd.DataFrame):
        raise PrivacyError(f"publication coverage must be a table, not {type(coverage).__name__}")
    extra = [c for c in coverage.columns if c not in COVERAGE_COLUMNS]
    if extra:
        raise PrivacyError(
            f"publication coverage may carry only {', '.join(COVERAGE_COLUMNS)}; refused column(s) "
            f"{', '.join(map(str, extra))}: publish it with fragmap.privacy.publish_coverage"
        )
    missing = [c for c in ("area_id", "category", "suppressed") if c not in coverage.columns]
    if missing:
        raise PrivacyError(f"publication coverage lacks column(s): {', '.join(missing)}")
    figures = [c for c in COVERAGE_COLUMNS if c.startswith("share_") or c == "median_minutes"]
    figures = [c for c in figures if c in coverage.columns]
    values = coverage[figures].apply(pd.to_numeric, errors="coerce") if figures else pd.DataFrame()
    if figures and (coverage[figures].notna() & values.isna()).to_numpy().any():
        raise PrivacyError("publication coverage figures must be numbers")
    sup = coverage["suppressed"].astype(bool).to_numpy()
    if figures and values[sup].notna().to_numpy().any():
        raise PrivacyError("a suppressed coverage row still carries a share or a median")
    shares = values[[c for c in figures if c.startswith("share_")]].to_numpy(dtype=float)
    if ((shares < 0) | (shares > 1)).any():
        raise PrivacyError("publication coverage shares must lie between 0 and 1")
    if "median_minutes" in values and (values["median_minutes"] < 0).any():
        raise PrivacyError("publication coverage medians cannot be negative")


def check_extras(extras: dict[str, pd.DataFrame]) -> None:
    """Raise :class:`PrivacyError` unless every extra table is a known, public one.

    Each key must be one of :data:`EXTRAS_COLUMNS`, each value a plain table (no geometry)
    with only that key's columns: an unknown table could carry counts nobody suppressed.

    Examples
    --------
    >>> check_extras({"counts": pd.DataFrame({"area_id": ["A"], "n": [2]})})
    Traceback (most recent call last):
    ...
    fragmap._errors.PrivacyError: unknown publication extra 'counts': only quarter_areas, fragility_index, resident_coverage may be published beside the cells
    """
    if not isinstance(extras, dict):
        raise PrivacyError(f"publication extras must be a dict of tables, not {type(extras).__name__}")
    for key, frame in extras.items():
        if key not in EXTRAS_COLUMNS:
            raise PrivacyError(
                f"unknown publication extra {key!r}: only {', '.join(EXTRAS_COLUMNS)} may be published "
                "beside the cells"
            )
        if not isinstance(frame, pd.DataFrame) or isinstance(frame, gpd.GeoDataFrame):
            raise PrivacyError(f"publication extra {key!r} must be a plain table (no geometry)")
        extra = [c for c in frame.columns if c not in EXTRAS_COLUMNS[key]]
        if extra:
            raise PrivacyError(
                f"publication extra {key!r} may carry only {', '.join(EXTRAS_COLUMNS[key])}; refused "
                f"column(s) {', '.join(map(str, extra))}"
            )
    rc = extras.get("resident_coverage")
    if rc is not None:
        for col in ("residents", "within", "beyond"):
            v = pd.to_numeric(rc[col], errors="coerce") if col in rc.columns else pd.Series(dtype=float)
            if (v.dropna() % RESIDENT_ROUNDING != 0).any():
                raise PrivacyError(f"resident coverage '{col}' must be rounded (publish it with "
                                   "fragmap.privacy.publish_resident_coverage)")
    fi = extras.get("fragility_index")
    if fi is not None and "index_value" in fi.columns:
        v = pd.to_numeric(fi["index_value"], errors="coerce")
        if (fi["index_value"].notna() & v.isna()).any() or ((v < 0) | (v > 100)).any():
            raise PrivacyError("the fragility index must be a number from 0 to 100")


def check_fields(pub: Publication) -> None:
    """Raise :class:`PrivacyError`, ``TypeError`` or ``ValueError`` on a field of the wrong kind.

    The threshold is a whole number of at least 3 (the settings' floor), the language
    ``it`` or ``en``, text fields are text, labels and denominators map text to text, and
    a denominator names a population column of the areas.
    """
    if isinstance(pub.threshold, bool) or not isinstance(pub.threshold, (int, np.integer)) or pub.threshold < 3:
        raise PrivacyError(f"publication threshold must be a whole number of at least 3, not {pub.threshold!r}")
    if not isinstance(pub.show_zero, (bool, np.bool_)) or not isinstance(pub.synthetic, (bool, np.bool_)):
        raise TypeError("publication show_zero and synthetic must be True or False")
    if pub.language not in _LANGUAGES:
        raise ValueError(f"publication language must be one of {', '.join(_LANGUAGES)}, not {pub.language!r}")
    for name in ("attributions", "notes", "months"):
        value = getattr(pub, name)
        if isinstance(value, str) or not all(isinstance(x, str) for x in value):
            raise TypeError(f"publication {name} must be a sequence of texts")
    for name in ("quarter_source", "title", "whole"):
        if not isinstance(getattr(pub, name), str):
            raise TypeError(f"publication {name} must be a text")
    for name in ("labels", "denominators"):
        value = getattr(pub, name)
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise TypeError(f"publication {name} must map texts to texts")
    bad = sorted(v for v in pub.denominators.values() if v not in ("population", "pop_65"))
    if bad:
        raise PrivacyError(f"publication denominators must be population columns, not {', '.join(bad)}")
