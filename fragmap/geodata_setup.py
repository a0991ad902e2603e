"""The one-time geodata set-up: store the OpenStreetMap layers, then rebuild the gazetteer.

Glue over two layers that must not import each other: :mod:`fragmap.io.geodata` downloads
(with consent) or imports the layers and writes ``data/geodati/``; the geocoder
(:func:`fragmap.geocode.default_gazetteer`) then rebuilds the project gazetteer, which
reads those files back. ``fragmap geodati scarica`` and ``fragmap geodati importa`` call
these functions.

Examples
--------
>>> result = import_geodata(settings, ["nord-ovest-latest.osm.pbf"])   # doctest: +SKIP
>>> result = download_geodata(settings, consent=True)                  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fragmap.io import geodata as io_geodata


def rebuild_project_gazetteer(settings: Any) -> Any:
    """Rebuild the project gazetteer with the stored streets and addresses (``geodati.json``).

    Examples
    --------
    >>> gazetteer = rebuild_project_gazetteer(settings)   # doctest: +SKIP
    """
    from fragmap.geocode import default_gazetteer

    return default_gazetteer(settings, rebuild=True,
                             osm=io_geodata.geodata_folder(settings) / io_geodata.METADATA_FILE)


def download_geodata(settings: Any, *, consent: bool, rebuild_gazetteer: bool = True,
                     **options: Any) -> io_geodata.GeodataResult:
    """:func:`fragmap.io.geodata.download_geodata`, then the gazetteer rebuilt.

    Parameters
    ----------
    settings : Settings
        The project.
    consent : bool
        The user's explicit consent to go online now; without it nothing is fetched.
    rebuild_gazetteer : bool
        Rebuild the project gazetteer with the new streets and addresses afterwards.
    **options
        ``transport``, ``endpoint``, ``policy``, ``sleep``, ``progress``: as in
        :func:`fragmap.io.geodata.download_geodata`.

    Examples
    --------
    >>> result = download_geodata(settings, consent=True, progress=print)   # doctest: +SKIP
    """
    result = io_geodata.download_geodata(settings, consent=consent, **options)
    if rebuild_gazetteer:
        rebuild_project_gazetteer(settings)
    return result


def import_geodata(settings: Any, paths: Sequence[str | Path], *, rebuild_gazetteer: bool = True,
                   progress: Any = None) -> io_geodata.GeodataResult:
    """:func:`fragmap.io.geodata.import_geodata` (local .osm, .osm.pbf, .graphml), then the gazetteer rebuilt.

    Examples
    --------
    >>> result = import_geodata(settings, ["pavia.osm", "rete_pavia.graphml"])   # doctest: +SKIP
    """
    result = io_geodata.import_geodata(settings, paths, progress=progress)
    if rebuild_gazetteer:
        rebuild_project_gazetteer(settings)
    return result


__all__ = ["download_geodata", "import_geodata", "rebuild_project_gazetteer"]
