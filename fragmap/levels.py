"""Publication levels: the whole network, and each town alone, from one run.

A project publishes its whole network (``[project] levels = ["rete"]``, the default) and,
when it asks for ``"comuni"``, each town alone in a folder of its own
(``maps/comuni/<town-slug>/``), with its own title: the network's "two levels" (the network,
and one town's own map and atlas) from the same run and the same privacy gate.

A town's publication is a *subset* of the network's: the same suppressed cells, never a
new figure. Its quarters and its town row are kept, and its town row stands in for the
"whole" (the ``rete`` rows every renderer reads), so a reader of the town's pages learns
nothing the network's pages do not already show.

Examples
--------
>>> level_titles(_doc_settings(), None)
('Rete Oltrepò', 'Rete (Voghera e Mortara)')
>>> level_titles(_doc_settings(), "Mortara")
('Rete Oltrepò – Mortara', 'Mortara')
>>> town_slug("Sant'Angelo Lomellina")
'sant-angelo-lomellina'
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator

import geopandas as gpd
import pandas as pd
import shapely

from fragmap.publication import NETWORK, Publication, unassigned_id
from fragmap.settings import Settings

#: The folder, inside the published one, that holds one folder per town.
TOWNS_FOLDER = "comuni"
_WHOLE = {"it": "Rete ({towns})", "en": "Network ({towns})"}
_AND = {"it": " e ", "en": " and "}


def town_slug(name: str) -> str:
    """A folder name for a town: ASCII, lower case, words joined by ``-``."""
    t = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-") or "comune"


def _join(names: list[str], language: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + _AND.get(language, _AND["it"]) + names[-1]


def level_titles(settings: Settings, town: str | None) -> tuple[str, str]:
    """The title of a level's pages and the label of its "whole" area.

    Parameters
    ----------
    settings : Settings
        The project (network name, towns, language).
    town : str or None
        None for the whole network, else the town published alone.

    Returns
    -------
    (str, str)
        ``(title, whole)``: e.g. ``("Rete Oltrepò", "Rete (Voghera e Mortara)")`` or
        ``("Rete Oltrepò – Mortara", "Mortara")``.
    """
    lang = settings.language if settings.language in _WHOLE else "it"
    name = settings.display_name
    if town is not None:
        return f"{name} – {town}", town
    return name, _WHOLE[lang].format(towns=_join(list(settings.town_names), lang))


def _keep_areas(frame: pd.DataFrame | None, keep: set[str], town: str) -> pd.DataFrame | None:
    """Rows of ``frame`` about the kept areas; the town's rows also stand for the whole."""
    if frame is None or "area_id" not in frame.columns:
        return frame
    kept = frame[frame["area_id"].isin(keep)]
    if NETWORK in set(frame["area_id"]):
        whole = kept[kept["area_id"] == town].assign(area_id=NETWORK)
        if "level" in whole.columns:
            whole = whole.assign(level="network")
        kept = pd.concat([kept, whole], ignore_index=True)
    return kept.reset_index(drop=True)


def town_publication(pub: Publication, town: str, *, title: str, whole: str) -> Publication:
    """The part of a network publication about one town, to publish on its own.

    Parameters
    ----------
    pub : Publication
        The network's publication (already suppressed).
    town : str
        The town (its name, as in ``pub.areas["town"]``).
    title, whole : str
        The title of its pages and the label of its total (:func:`level_titles`).

    Returns
    -------
    Publication
        Its quarters and town row; the town's rows repeated as the ``rete`` rows. Validated
        again on construction (:class:`Publication` refuses any count under the threshold).
    """
    areas = pub.areas
    quarters = set(areas.loc[(areas["level"] == "quarter") & (areas["town"] == town), "area_id"])
    keep = quarters | {town}
    table = pub.table
    mine = table[table["area_id"].isin(keep | {unassigned_id(town)})]
    whole_rows = table[(table["level"] == "town") & (table["area_id"] == town)].assign(
        area_id=NETWORK, level="network")
    extras = {}
    for key, frame in pub.extras.items():
        if key == "quarter_areas":
            extras[key] = frame[frame["area_id"].isin(quarters)].reset_index(drop=True)
        else:
            extras[key] = _keep_areas(frame, keep, town)
    from fragmap.privacy import unassigned_note

    new_table = pd.concat([mine, whole_rows], ignore_index=True)
    # the note on reports in no area speaks of this town only
    network_note = unassigned_note(table, pub.month, pub.language)
    town_note = unassigned_note(new_table, pub.month, pub.language)
    notes = tuple(town_note if n == network_note else n for n in pub.notes if n != network_note or town_note)
    return dataclasses.replace(
        pub,
        table=new_table,
        notes=notes,
        areas=areas[areas["area_id"].isin(keep)].reset_index(drop=True),
        coverage=_keep_areas(pub.coverage, keep, town),
        extras=extras,
        title=title,
        whole=whole,
    )


def within_level(layer: gpd.GeoDataFrame | None, pub: Publication) -> gpd.GeoDataFrame | None:
    """The rows of a public map layer (e.g. the where-next sites) that lie in ``pub``'s towns.

    A town published alone lists only its own candidate sites, not its neighbours'.
    """
    if layer is None or len(layer) == 0:
        return layer
    towns = pub.areas[pub.areas["level"] == "town"]
    if towns.empty:
        return layer
    shape = shapely.union_all(towns.to_crs(4326).geometry.to_numpy())
    inside = layer.to_crs(4326).geometry.representative_point().within(shape).to_numpy()
    return layer[inside].reset_index(drop=True)


def publications(pub: Publication, settings: Settings) -> Iterator[tuple[str, Publication]]:
    """Every level the project publishes: ``(subfolder, publication)``, the network first.

    The subfolder is ``""`` for the whole network (``paths.output`` itself) and
    ``comuni/<slug>`` for a town alone: under a folder of their own, town names can never
    collide with the network's own files (``atlas/``, ``mappa.html``...).
    """
    if "rete" in settings.levels:
        title, whole = level_titles(settings, None)
        yield "", dataclasses.replace(pub, title=title, whole=whole)
    if "comuni" in settings.levels:
        for town in settings.town_names:
            if town not in set(pub.areas["town"]):
                continue
            title, whole = level_titles(settings, town)
            yield f"{TOWNS_FOLDER}/{town_slug(town)}", town_publication(pub, town, title=title, whole=whole)


def _doc_settings() -> Settings:
    """A two-town project for the examples above."""
    from fragmap.settings import Town, default_settings

    return default_settings(".").replace(name="Rete Oltrepò", towns=(Town("Voghera", "018182"),
                                                                   Town("Mortara", "018102")))
