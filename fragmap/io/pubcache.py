"""The publication kept on disk, so that each notebook does not build it again.

:meth:`fragmap.pipeline.Project.publication` looks here first. A cached publication is
used only when its key matches: the run key of :mod:`fragmap.freshness` (input files,
settings, fragmap's version, month), the reports in the private store (which the desk or
``fragmap ingest`` may change without touching ``[paths] reports``), the coordinator's
address corrections, fragmap's own source files and the versions of the libraries the
tables are pickled with. Anything else changes the key and the publication is rebuilt.

The file lives in the private cache folder (``[paths] cache_dir``, ``publications/``), one
file per month (an older key of the month is removed when a new one is written). It is
read back through :class:`~fragmap.publication.Publication`'s constructor, so every check
of the privacy gate runs again on load: a file changed by hand is refused, never drawn.

Examples
--------
>>> key = publication_key(project, "2026-10")          # doctest: +SKIP
>>> pub = load(project.settings, "2026-10", key)         # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fragmap.publication import Publication

if TYPE_CHECKING:
    from fragmap.pipeline import Project
    from fragmap.settings import Settings

#: Bump when the file layout changes.
FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent.parent


def folder(settings: Settings) -> Path:
    """Where cached publications are kept: ``<cache_dir>/publications``."""
    return Path(settings.paths.cache_dir) / "publications"


def _code_digest() -> str:
    """fragmap's source files (name, size, modification time): a code change rebuilds."""
    h = hashlib.sha256()
    for f in sorted(_PACKAGE.rglob("*.py")):
        st = f.stat()
        h.update(f"{f.relative_to(_PACKAGE)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def publication_key(project: Project, month: str) -> str:
    """Everything the publication of ``month`` depends on, as one hex digest."""
    import geopandas
    import numpy

    from fragmap.freshness import run_key

    h = hashlib.sha256(f"format {FORMAT}\n".encode())
    h.update(run_key(project.settings, month).encode())
    reports = project.reports()
    h.update(f"{len(reports)}:{','.join(map(str, reports.columns))}\n".encode())
    h.update(pd.util.hash_pandas_object(reports, index=False).to_numpy().tobytes())
    corrections = project.address_corrections
    if corrections is not None and len(corrections):
        h.update(corrections.to_csv(index=False).encode())
    h.update(_code_digest().encode())
    h.update(f"{sys.version_info[:3]} {pd.__version__} {geopandas.__version__} {numpy.__version__}".encode())
    return h.hexdigest()


def _path(settings: Settings, month: str, key: str) -> Path:
    return folder(settings) / f"{month}-{key[:24]}.pkl"


def load(settings: Settings, month: str, key: str) -> Publication | None:
    """The cached publication of ``month`` under ``key``, re-checked; None when absent or unusable."""
    path = _path(settings, month, key)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            stored = pickle.load(f)  # the project's own private folder, written by save()
        if stored.get("format") != FORMAT or stored.get("key") != key:
            return None
        return Publication(**stored["fields"])  # every check of the privacy gate runs again
    except Exception:  # noqa: BLE001 - a stale or damaged cache is rebuilt, never shown to the user
        path.unlink(missing_ok=True)
        return None


def save(settings: Settings, month: str, key: str, pub: Publication) -> Path | None:
    """Write ``pub`` for ``month`` under ``key`` (atomically); older keys of the month are removed.

    Returns the path, or None when the cache folder cannot be written (the publication is
    then simply built again next time).
    """
    fields: dict[str, Any] = {f.name: getattr(pub, f.name) for f in dataclasses.fields(pub)}
    path = _path(settings, month, key)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump({"format": FORMAT, "key": key, "fields": fields}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return None
    for old in path.parent.glob(f"{month}-*.pkl"):
        if old != path:
            old.unlink(missing_ok=True)
    return path
