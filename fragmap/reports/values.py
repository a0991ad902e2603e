"""Typed values to codes: dates, coordinates, vocabularies (partners, categories, towns,
age bands) and content hashes. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from fragmap.reports.headers import _norm
from fragmap.settings import Settings


def parse_dates(values: pd.Series) -> pd.Series:
    """Italian and ISO dates to ``datetime64``: dd/mm/yyyy, d/m/yy, dd.mm.yyyy, yyyy-mm-dd[ time].

    Impossible dates (31/02/2025) and anything else become NaT. Two-digit years are 20yy.
    """
    uniq = pd.Series(pd.unique(values.to_numpy()))
    if len(uniq) < len(values):  # exports repeat the same few hundred days: parse each once
        parsed = _parse_dates(uniq.astype(str))
        return pd.Series(pd.Index(uniq).get_indexer(values.to_numpy()), index=values.index).map(
            parsed).astype("datetime64[ns]")
    return _parse_dates(values)


def _parse_dates(values: pd.Series) -> pd.Series:
    v = values.str.strip()
    it = v.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:\s.*)?$")
    iso = v.str.extract(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
    year = pd.to_numeric(it[2], errors="coerce")
    year = year.where(year >= 100, year + 2000)
    day = pd.to_numeric(it[0], errors="coerce")
    month = pd.to_numeric(it[1], errors="coerce")
    year = year.fillna(pd.to_numeric(iso[0], errors="coerce"))
    month = month.fillna(pd.to_numeric(iso[1], errors="coerce"))
    day = day.fillna(pd.to_numeric(iso[2], errors="coerce"))
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    ok = frame.notna().all(axis=1)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(frame[ok].astype(int), errors="coerce")
    return out


def parse_coordinate(values: pd.Series) -> pd.Series:
    """Decimal degrees with a decimal comma or point (``"45,1847"``) to float; NaN if not a number."""
    typed = values != ""
    if not typed.all():
        out = pd.Series(np.nan, index=values.index, dtype=float)
        if typed.any():
            out[typed] = parse_coordinate(values[typed])
        return out
    v = values.str.strip().str.replace(" ", "", regex=False)
    # "45.123,45" is not a coordinate; a single comma is a decimal comma.
    v = v.where(v.str.count(",") <= 1, "")
    v = v.str.replace(",", ".", regex=False)
    return pd.to_numeric(v, errors="coerce")


class _Vocabulary:
    """Maps typed values to codes: exact (normalised) first, then close misspellings."""

    def __init__(self, variants: Mapping[str, str], *, cutoff: float = 85.0) -> None:
        self.exact = {_norm(k): v for k, v in variants.items()}
        self.keys = list(self.exact)
        self.cutoff = cutoff

    def map(self, values: pd.Series) -> tuple[pd.Series, dict[str, str]]:
        """Codes (NA when unknown) and ``{typed value: code}`` for fuzzy matches."""
        fuzzy: dict[str, str] = {}
        table: dict[str, Any] = {}
        for raw in values.unique():
            key = _norm(raw)
            if not key:
                table[raw] = pd.NA
            elif key in self.exact:
                table[raw] = self.exact[key]
            else:
                hit = process.extractOne(key, self.keys, scorer=fuzz.WRatio, score_cutoff=self.cutoff)
                if hit is not None:
                    table[raw] = self.exact[hit[0]]
                    fuzzy[str(raw)] = self.exact[hit[0]]
                else:
                    table[raw] = pd.NA
        return values.map(table), fuzzy


def _category_vocabulary(s: Settings) -> _Vocabulary:
    v: dict[str, str] = {}
    for c in s.categories:
        for text in (c.code, c.label_it, c.label_en, c.code.replace("_", " ")):
            v[text] = c.code
    return _Vocabulary(v)


def _partner_vocabulary(s: Settings) -> _Vocabulary:
    v: dict[str, str] = {}
    for p in s.partners:
        for text in (p.code, p.name, p.code.replace("_", " "), *p.aliases):
            v[text] = p.code
    return _Vocabulary(v)


def _town_lookup(s: Settings) -> dict[str, str]:
    out = {}
    for t in s.towns:
        out[_norm(t.name)] = t.name
        out[_norm(f"{t.name} pv")] = t.name
        for cap in t.cap:
            out[_norm(f"{cap} {t.name}")] = t.name
    return out


def _age_band(values: pd.Series, bands: tuple[str, ...]) -> pd.Series:
    lookup = {_norm(b): b for b in bands}
    lookup.update({_norm(b.replace("+", " e oltre")): b for b in bands if b.endswith("+")})
    lookup.update({_norm(b.replace("+", " piu")): b for b in bands if b.endswith("+")})
    lookup.update({_norm("over " + b.rstrip("+")): b for b in bands if b.endswith("+")})
    table = {u: (lookup.get(_norm(u), pd.NA) if u else pd.NA) for u in pd.unique(values.to_numpy())}
    return values.map(table)



_CONTENT_FIELDS = ("partner", "category", "action", "age_band", "date", "town", "address", "lat",
                   "lon", "quartiere")
_RECORD_FIELDS = ("partner", "report_id", "category", "action", "age_band", "date", "town",
                  "address", "lat", "lon", "quartiere")


def _hash_rows(reports: pd.DataFrame, fields: Iterable[str]) -> pd.Series:
    parts = []
    for f in fields:
        s = reports[f]
        if f == "date":
            s = _iso(s, "D")
        elif f in ("lat", "lon"):
            s = s.round(6).astype(str)
        parts.append(s.astype(str).fillna(""))
    joined = parts[0].str.cat(parts[1:], sep="\x1f") if parts else pd.Series(dtype=str)
    sha1 = hashlib.sha1
    return pd.Series([sha1(t.encode("utf-8")).hexdigest() for t in joined], index=joined.index,
                     dtype=object)


def _iso(dates: pd.Series, unit: str) -> pd.Series:
    """``YYYY-MM-DD`` (unit ``"D"``) or ``YYYY-MM`` (``"M"``) strings, NaN for NaT (fast strftime)."""
    arr = dates.to_numpy(dtype="datetime64[ns]")
    text = np.datetime_as_string(arr.astype(f"datetime64[{unit}]"), unit=unit).astype(object)
    out = pd.Series(text, index=dates.index, dtype=object)
    return out.where(~np.isnat(arr), np.nan)


def record_hash(reports: pd.DataFrame) -> pd.Series:
    """A hash of a report's content (not of where it came from), for idempotent re-ingest."""
    return _hash_rows(reports, _RECORD_FIELDS)
