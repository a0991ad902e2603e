"""How many reports were placed on a street, per partner, and what to do when too few were.

A report counts in an area only when the geocoder placed it at a house number, on a
street or at coordinates (levels ``civico``, ``via``, ``coordinate``); the rest stay at
town level ("senza area"). Offline, with only the shipped reference data, most streets
have no known point, so a real network may see most reports without an area: the run
summary and the atlas say so per partner and name the one command that fixes it, the
geodata set-up (:data:`FIX_COMMAND`).

Pure functions over the PRIVATE geocoded table; only totals and shares leave here.

Examples
--------
>>> geo = pd.DataFrame({"partner": ["a", "a", "b"], "match_level": ["via", "comune", "civico"]})
>>> placement_by_partner(geo)[["partner", "reports", "placed", "share"]].values.tolist()
[['a', 2, 1, 0.5], ['b', 1, 1, 1.0]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from fragmap.i18n import format_number, format_share, translate

#: Levels that put a report on a street (and so in an area).
STREET_LEVELS = ("coordinate", "civico", "via")
#: Under this share of reports placed on a street, the coordinator is told how to fix it.
LOW_SHARE = 0.6
#: The one command that gives the offline geocoder every street of the towns.
FIX_COMMAND = "fragmap geodati scarica"

_TEXT: dict[str, dict[str, str]] = {
    "title": {"it": "Segnalazioni localizzate su una via (civico, via o coordinate), per associazione:",
              "en": "Reports placed on a street (house number, street or coordinates), per partner:"},
    "short": {"it": "fragmap: segnalazioni localizzate su una via: {share}", "en": "fragmap: reports placed on a street: {share}"},
    "short_low": {"it": " (poche: per correggere, {command})", "en": " (few: to fix it, {command})"},
    "row": {"it": "{partner}: {share} ({placed} su {reports})", "en": "{partner}: {share} ({placed} of {reports})"},
    "row_share": {"it": "{partner}: {share}", "en": "{partner}: {share}"},
    "low": {"it": "Poche segnalazioni localizzate su una via ({partners}: meno del {limit}): le altre restano "
                  "al livello del comune e non entrano in nessuna area. Per correggere, una volta sola e con una "
                  "connessione: {command}",
            "en": "Few reports placed on a street ({partners}: under {limit}): the others stay at town level and "
                  "count in no area. To fix it, once, with a connection: {command}"},
}


def placement_by_partner(geo: pd.DataFrame) -> pd.DataFrame:
    """Reports and reports placed on a street, per partner (sorted by partner code).

    Parameters
    ----------
    geo : DataFrame
        Geocoded reports with ``partner`` and ``match_level``.

    Returns
    -------
    DataFrame
        ``partner, reports, placed, share, low`` (``low``: share under :data:`LOW_SHARE`).

    Examples
    --------
    >>> geo = pd.DataFrame({"partner": ["x"] * 5, "match_level": ["comune"] * 4 + ["civico"]})
    >>> bool(placement_by_partner(geo)["low"].iloc[0])
    True
    """
    if geo.empty:
        return pd.DataFrame(columns=["partner", "reports", "placed", "share", "low"])
    placed = geo["match_level"].isin(STREET_LEVELS)
    t = pd.DataFrame({"partner": geo["partner"].astype(str), "placed": placed.astype(int)})
    out = t.groupby("partner", sort=True).agg(reports=("placed", "size"), placed=("placed", "sum")).reset_index()
    out["reports"] = out["reports"].astype(int)
    out["placed"] = out["placed"].astype(int)
    out["share"] = out["placed"] / out["reports"]
    out["low"] = out["share"] < LOW_SHARE
    return out


def placement_lines(
    figures: Sequence[Mapping[str, Any]],
    language: str = "it",
    *,
    names: Mapping[str, str] | None = None,
    min_reports: int = 0,
    with_counts: bool = True,
) -> list[str]:
    """Lines for the run summary or the atlas: one per partner, then the fix when a share is low.

    Parameters
    ----------
    figures : sequence of mappings
        Rows of :func:`placement_by_partner` (``partner, reports, placed, share, low``).
    language : str
        ``"it"`` or ``"en"``.
    names : mapping, optional
        Display name of each partner code.
    min_reports : int
        Partners with fewer reports are left out (the atlas passes the privacy threshold).
    with_counts : bool
        Also print the counts (the private run summary); the atlas prints shares only.

    Examples
    --------
    >>> rows = [{"partner": "anffas", "reports": 200, "placed": 50, "share": 0.25, "low": True}]
    >>> placement_lines(rows, "en")[-1].endswith("fragmap geodati scarica")
    True
    """
    lang = "en" if language == "en" else "it"
    names = names or {}
    shown = [r for r in figures if int(r["reports"]) >= max(min_reports, 1)]
    if not shown:
        return []
    lines = [translate(_TEXT, "title", lang)]
    for r in shown:
        values = {"partner": names.get(str(r["partner"]), str(r["partner"])),
                  "share": format_share(float(r["share"]), lang, 0),
                  "placed": format_number(int(r["placed"]), lang), "reports": format_number(int(r["reports"]), lang)}
        lines.append(translate(_TEXT, "row" if with_counts else "row_share", lang, **values))
    low = [names.get(str(r["partner"]), str(r["partner"])) for r in shown if bool(r["low"])]
    if low:
        lines.append(translate(_TEXT, "low", lang, partners=", ".join(low), limit=format_share(LOW_SHARE, lang, 0),
                                               command=FIX_COMMAND))
    return lines


def placement_summary(figures: Sequence[Mapping[str, Any]], language: str = "it") -> str:
    """One line for ``fragmap run --quiet``: the share placed on a street, and the fix when low.

    Examples
    --------
    >>> rows = [{"partner": "a", "reports": 10, "placed": 2, "share": 0.2, "low": True}]
    >>> placement_summary(rows, "en")
    'fragmap: reports placed on a street: 20% (few: to fix it, fragmap geodati scarica)'
    """
    lang = "en" if language == "en" else "it"
    reports = sum(int(r["reports"]) for r in figures)
    placed = sum(int(r["placed"]) for r in figures)
    share = placed / reports if reports else float("nan")
    line = translate(_TEXT, "short", lang, share=format_share(share, lang, 0))
    if any(bool(r["low"]) for r in figures):
        line += translate(_TEXT, "short_low", lang, command=FIX_COMMAND)
    return line
