"""The persistent geocoding cache: one small SQLite file of answers keyed by rules, gazetteer and address.

The file side of :class:`fragmap.geocode.match.GeocodeCache` (which turns the rows into
:class:`~fragmap.geocode.match.Match` answers). Pure geocoding never opens the file itself.

Example
-------
>>> import tempfile, pathlib
>>> from collections import namedtuple
>>> A = namedtuple("A", ANSWER_FIELDS)
>>> with tempfile.TemporaryDirectory() as d:
...     cache = AnswerCache(pathlib.Path(d) / "geocode.sqlite")
...     cache.put_many({"k": A(45.18, 9.15, "civico", 100.0, "Via Roma 1", "", 10.0, "Pavia", "roma", "", "offline")})
...     cache.rows(["k", "missing"])["k"][:3]
(45.18, 9.15, 'civico')
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The fields of an answer, in the order of :class:`fragmap.geocode.match.Match`.
ANSWER_FIELDS = ("lat", "lon", "level", "score", "matched", "note", "uncertainty_m", "town", "key", "reason",
                 "backends")


class AnswerCache:
    """A SQLite table of geocoding answers (``key -> answer``), read and written in batches.

    Parameters
    ----------
    path : str or Path
        The cache file (created with its folder when missing).

    Notes
    -----
    Missing numbers are stored as NULL and read back as NaN; a missing text as "" (the
    backends as ``"offline"``). Callers build the key so that a gazetteer rebuild or a
    change of the rules never reuses a stale answer.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self.path) as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, lat REAL, lon REAL, level TEXT, "
                "score REAL, matched TEXT, note TEXT, uncertainty REAL, town TEXT, street TEXT, reason TEXT, "
                "backends TEXT)"
            )

    def rows(self, keys: list[str]) -> dict[str, tuple[Any, ...]]:
        """The stored answers of the keys that have one, as tuples in :data:`ANSWER_FIELDS` order.

        Parameters
        ----------
        keys : list of str
            Cache keys.

        Returns
        -------
        dict
            ``key -> (lat, lon, level, score, matched, note, uncertainty_m, town, key, reason, backends)``.
        """
        out: dict[str, tuple[Any, ...]] = {}
        with sqlite3.connect(self.path) as con:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT * FROM answers WHERE key IN ({','.join('?' * len(chunk))})"
                for k, lat, lon, level, score, matched, note, unc, town, street, reason, backends in con.execute(q, chunk):
                    out[k] = (
                        math.nan if lat is None else lat, math.nan if lon is None else lon,
                        level, score, matched or "", note or "", math.nan if unc is None else unc,
                        town or "", street or "", reason or "", backends or "offline",
                    )
        return out

    def put_many(self, answers: Mapping[str, Any]) -> None:
        """Store answers (objects with the :data:`ANSWER_FIELDS` attributes), replacing older ones, in one transaction.

        Parameters
        ----------
        answers : mapping
            ``key -> answer``.
        """
        if not answers:
            return

        def num(v: float) -> float | None:
            return None if v is None or math.isnan(v) else float(v)

        rows = [
            (k, num(m.lat), num(m.lon), m.level, m.score, m.matched, m.note, num(m.uncertainty_m),
             m.town, m.key, m.reason, m.backends)
            for k, m in answers.items()
        ]
        with sqlite3.connect(self.path) as con:
            con.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


__all__ = ["ANSWER_FIELDS", "AnswerCache"]
