"""Validate partner report tables: columns, values, and the personal-data guard.

Pure: takes a table of strings (from :func:`fragmap.io.tables.read_table`) and
returns accepted reports (the "Reports" contract in docs/ARCHITECTURE.md) and
rejected rows, each with its reason. Nothing is lost: every input row ends up
in exactly one of the two. Every problem of a file is collected before
reporting, so a coordinator fixes a sheet once.

Messages are Italian by default (``settings.language``) and name the file, the
spreadsheet row and the column. A personal value is never copied into a
message, a log or the store.

Example
-------
>>> from fragmap.io.tables import read_table                          # doctest: +SKIP
>>> result = validate(read_table("export.csv").frame, settings,
...                   source_file="export.csv", today=date(2026, 11, 1))  # doctest: +SKIP
>>> result.accepted.shape, result.rejected["reason"].value_counts()   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from fragmap._errors import PersonalDataError, ValidationError
from fragmap.i18n import translate
from fragmap.settings import Settings

REPORT_COLUMNS = (
    "report_id", "partner", "category", "action", "age_band", "date", "month", "town",
    "address", "lat", "lon", "quartiere", "source_file", "source_row", "record_hash",
)
REJECTED_COLUMNS = ("source_file", "source_row", "column", "reason", "message", "report_id")

#: Accepted header spellings per field (compared after :func:`_norm`).
ALIASES: dict[str, tuple[str, ...]] = {
    "report_id": ("id", "id segnalazione", "codice", "codice segnalazione", "report id", "n segnalazione",
                  "numero segnalazione", "identificativo"),
    "date": ("data", "data segnalazione", "date", "report date", "data della segnalazione"),
    "address": ("indirizzo", "via", "address", "indirizzo segnalazione", "street"),
    "town": ("comune", "citta", "town", "city", "municipality", "localita"),
    "lat": ("lat", "latitudine", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitudine", "longitude", "x"),
    "quartiere": ("quartiere", "quarter", "zona", "quartieri", "rione", "neighbourhood", "neighborhood"),
    "category": ("categoria", "category", "ambito", "area", "tipo fragilita", "fragilita"),
    "partner": ("associazione", "ente", "partner", "organizzazione", "organisation", "organization"),
    "action": ("azione", "attivita", "intervento", "action", "tipo intervento", "servizio"),
    "age_band": ("fascia eta", "fascia d eta", "eta", "age band", "age_band", "fascia", "age"),
}

#: Headers that name personal data: the file is refused.
PERSONAL_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("nome", "cognome", "name", "surname", "first name", "last name", "nominativo",
             "nome e cognome", "cognome e nome", "full name", "utente", "beneficiario"),
    "tax_code": ("codice fiscale", "cf", "c f", "tax code", "fiscal code"),
    "phone": ("telefono", "tel", "cellulare", "cell", "phone", "mobile", "recapito", "recapito telefonico"),
    "email": ("email", "e mail", "mail", "posta elettronica", "pec"),
    "birth_date": ("data di nascita", "data nascita", "nato il", "nata il", "nato a", "luogo di nascita",
                   "birth date", "date of birth", "dob", "birthday", "nascita"),
    "free_text": ("note", "notes", "osservazioni", "descrizione", "commento", "commenti", "dettagli",
                  "description", "comments", "annotazioni", "situazione"),
    "document": ("documento", "carta d identita", "passaporto", "permesso di soggiorno", "iban", "tessera sanitaria"),
}

_CF = re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\d,.])(?:\+|00)?(?:39[\s.-]?)?(?:3\d{2}|0\d{1,3})[\s./-]?\d{3,4}[\s./-]?\d{3,4}(?![\d,.])")
# "c/o Rossi", "sig.ra Bianchi": an honorific followed by a capitalised word. "presso" is not
# used: it is common in real addresses ("presso Casa Circondariale").
_HONORIFIC = re.compile(r"(?i:\bc/o|\bsig\.?(?:ra|na)?\.?|\bsignor[ae]?)\s+[A-Z][a-zà-ù]+")

_MESSAGES: dict[str, dict[str, str]] = {
    "where": {"it": "{file}, riga {row}, colonna «{column}»", "en": "{file}, row {row}, column '{column}'"},
    "missing_column": {
        "it": "{file}: manca la colonna obbligatoria «{field}» (nomi accettati: {aliases})",
        "en": "{file}: required column '{field}' is missing (accepted names: {aliases})",
    },
    "no_location_column": {
        "it": "{file}: serve almeno una colonna di posizione (indirizzo, lat/lon o quartiere)",
        "en": "{file}: at least one location column is needed (address, lat/lon or quarter)",
    },
    "missing": {"it": "valore mancante", "en": "missing value"},
    "bad_date": {"it": "data non valida: usare gg/mm/aaaa", "en": "invalid date: use dd/mm/yyyy"},
    "future_date": {"it": "data nel futuro", "en": "date in the future"},
    "early_date": {"it": "data precedente all'inizio del progetto ({start})",
                   "en": "date before the project start ({start})"},
    "unknown_category": {"it": "categoria sconosciuta; valori ammessi: {allowed}",
                         "en": "unknown category; allowed: {allowed}"},
    "unknown_partner": {"it": "associazione sconosciuta; valori ammessi: {allowed}",
                        "en": "unknown partner; allowed: {allowed}"},
    "unknown_action": {"it": "azione sconosciuta; valori ammessi: {allowed}",
                       "en": "unknown action; allowed: {allowed}"},
    "outside_towns": {"it": "comune fuori dal progetto (ammessi: {allowed})",
                      "en": "town outside the project (allowed: {allowed})"},
    "bad_coordinates": {"it": "coordinate non valide: servono lat e lon in gradi decimali (es. 45,1847)",
                        "en": "invalid coordinates: lat and lon in decimal degrees are needed (e.g. 45.1847)"},
    "coordinates_outside": {"it": "coordinate fuori dai comuni del progetto e nessun indirizzo",
                            "en": "coordinates outside the project's towns and no address"},
    "no_location": {"it": "nessuna posizione: indicare indirizzo, coordinate o quartiere",
                    "en": "no location: give an address, coordinates or a quarter"},
    "duplicate_id": {"it": "ID ripetuto nel file con contenuto diverso (tenuta la prima riga, {first})",
                     "en": "ID repeated in the file with different content (first row kept, {first})"},
    "personal_header": {
        "it": "la colonna «{column}» sembra contenere dati personali ({kind}): eliminarla dal foglio",
        "en": "column '{column}' looks like personal data ({kind}): delete it from the sheet",
    },
    "personal_values": {
        "it": "la colonna «{column}» contiene valori che sembrano {kind} (righe {rows}): "
              "eliminarli dal foglio",
        "en": "column '{column}' holds values that look like {kind} (rows {rows}): "
              "delete them from the sheet",
    },
    "birth_dates": {
        "it": "la colonna «{column}» contiene date complete (righe {rows}): sembrano date di nascita; "
              "usare la fascia d'età (es. 65-74)",
        "en": "column '{column}' holds full dates (rows {rows}): they look like birth dates; "
              "use an age band (e.g. 65-74)",
    },
    "refused": {
        "it": "{file}: file RIFIUTATO, sembra contenere dati personali. Nulla è stato importato.\n"
              "Correggere il foglio e reinviarlo:",
        "en": "{file}: file REFUSED, it looks like it contains personal data. Nothing was imported.\n"
              "Fix the sheet and send it again:",
    },
    "kind_name": {"it": "nomi di persona", "en": "personal names"},
    "kind_tax_code": {"it": "codici fiscali", "en": "tax codes"},
    "kind_phone": {"it": "numeri di telefono", "en": "phone numbers"},
    "kind_email": {"it": "indirizzi e-mail", "en": "e-mail addresses"},
    "kind_birth_date": {"it": "date di nascita", "en": "birth dates"},
    "kind_free_text": {"it": "testo libero (note)", "en": "free text (notes)"},
    "kind_document": {"it": "documenti", "en": "identity documents"},
    "mapped": {"it": "«{value}» letto come «{code}»", "en": "'{value}' read as '{code}'"},
    "inferred_category": {"it": "categoria mancante dedotta dall'associazione ({n} righe)",
                          "en": "missing category inferred from the partner ({n} rows)"},
    "ignored_column": {"it": "colonna «{column}» ignorata", "en": "column '{column}' ignored"},
    "coords_swapped": {"it": "lat e lon invertite, corrette ({n} righe)",
                       "en": "lat and lon swapped, corrected ({n} rows)"},
    "coords_dropped": {"it": "coordinate fuori dai comuni scartate, resta l'indirizzo ({n} righe)",
                       "en": "coordinates outside the towns dropped, address kept ({n} rows)"},
    "unknown_age_band": {"it": "fascia d'età non riconosciuta lasciata vuota ({n} righe)",
                         "en": "unrecognised age band left empty ({n} rows)"},
}


def _norm(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9+]+", " ", text.lower())
    return text.strip()


def _norm_series(s: pd.Series) -> pd.Series:
    u = pd.Series(s.unique())
    mapped = dict(zip(u, u.map(_norm)))
    return s.map(mapped)


@dataclass
class IntakeResult:
    """Outcome of validating one table.

    Attributes
    ----------
    accepted : DataFrame
        Reports (columns :data:`REPORT_COLUMNS`).
    rejected : DataFrame
        One row per rejected input row (columns :data:`REJECTED_COLUMNS`); a row with
        several problems has them all in ``message``, the first in ``reason``.
    notes : list of str
        What was fixed or inferred (misspellings mapped, ignored columns...).
    read : int
        Non-blank input rows.
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    read: int = 0

    def summary(self) -> dict[str, Any]:
        reasons = self.rejected["reason"].value_counts().to_dict() if len(self.rejected) else {}
        return {"read": self.read, "accepted": len(self.accepted), "rejected": len(self.rejected),
                "reasons": reasons}


def match_columns(columns: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Map header names to fields. Returns ``({field: header}, [unmatched headers])``."""
    lookup = {alias: f for f, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, str] = {}
    unmatched = []
    for col in columns:
        key = _norm(col).replace("_", " ")
        f = lookup.get(key)
        if f is not None and f not in found:
            found[f] = col
        else:
            unmatched.append(col)
    return found, unmatched


def find_personal_data(
    frame: pd.DataFrame, columns: Mapping[str, str], unmatched: list[str], *, language: str = "it"
) -> list[str]:
    """Problems that make a table look like it holds personal data (empty list if none).

    Messages name the column, the kind of data and at most five row numbers; never a value.
    """
    lang = language
    problems: list[str] = []
    header_kind = {alias: kind for kind, aliases in PERSONAL_HEADERS.items() for alias in aliases}
    for col in frame.columns:
        kind = header_kind.get(_norm(col))
        if kind is not None and col not in columns.values():
            problems.append(translate(_MESSAGES, "personal_header", lang, column=col,
                                      kind=translate(_MESSAGES, f"kind_{kind}", lang)))
    skip = {columns.get(k) for k in ("date", "lat", "lon")}
    for col in frame.columns:
        if col in skip:
            continue
        values = frame[col]
        values = values[values != ""]
        if values.empty:
            continue
        for kind, pattern in (("tax_code", _CF), ("email", _EMAIL), ("phone", _PHONE)):
            hit = values.str.contains(pattern, regex=True)
            if hit.any():
                problems.append(_values_problem(col, kind, values.index[hit], lang))
        if col == columns.get("address") or col == columns.get("quartiere") or col in unmatched:
            hit = values.str.contains(_HONORIFIC, regex=True)
            if hit.any():
                problems.append(_values_problem(col, "name", values.index[hit], lang))
    # Full dates in the age column, or an unknown column mostly of dates, look like birth dates.
    date_like = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$|^\d{4}-\d{2}-\d{2}")
    for col in [columns.get("age_band"), *unmatched]:
        if col is None:
            continue
        values = frame[col][frame[col] != ""]
        if len(values) and values.str.match(date_like).mean() > 0.5:
            rows = values.index[values.str.match(date_like)]
            problems.append(translate(_MESSAGES, "birth_dates", lang, column=col, rows=_rows(rows)))
    # Unknown columns of long free text (notes).
    for col in unmatched:
        values = frame[col][frame[col] != ""]
        if len(values) and values.str.len().mean() > 25 and values.str.count(" ").mean() >= 3:
            if not any(col in p for p in problems):
                problems.append(translate(_MESSAGES, "personal_header", lang, column=col,
                                          kind=translate(_MESSAGES, "kind_free_text", lang)))
    return problems


def _values_problem(col: str, kind: str, rows: pd.Index, lang: str) -> str:
    return translate(_MESSAGES, "personal_values", lang, column=col,
                     kind=translate(_MESSAGES, f"kind_{kind}", lang), rows=_rows(rows))


def _rows(rows: Iterable[int]) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:5])
    return shown + (f" … (+{len(rows) - 5})" if len(rows) > 5 else "")


def parse_dates(values: pd.Series) -> pd.Series:
    """Italian and ISO dates to ``datetime64``: dd/mm/yyyy, d/m/yy, dd.mm.yyyy, yyyy-mm-dd[ time].

    Impossible dates (31/02/2025) and anything else become NaT. Two-digit years are 20yy.
    """
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
    return values.map(lambda x: lookup.get(_norm(x), pd.NA) if x else pd.NA)


def validate(
    frame: pd.DataFrame,
    settings: Settings,
    *,
    source_file: str,
    today: _dt.date,
    town_polygons: Any = None,
) -> IntakeResult:
    """Validate one table of strings and split it into accepted reports and rejected rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cells as strings, index = spreadsheet row numbers (see :mod:`fragmap.io.tables`).
    settings : Settings
        Vocabulary (categories, partners, actions, age bands), towns, start date, language.
    source_file : str
        File name used in messages and kept with each report.
    today : datetime.date
        Reports dated after it are rejected (explicit, so results are reproducible).
    town_polygons : geopandas.GeoDataFrame, optional
        Comune polygons (``name`` column, EPSG:4326); coordinates outside them are dropped
        (the address is kept) or the row rejected when nothing else locates it.

    Returns
    -------
    IntakeResult

    Raises
    ------
    PersonalDataError
        The file looks like it holds personal data; nothing of it may be used.
    ValidationError
        A required column is missing (the message lists accepted names).
    """
    lang = settings.language
    columns, unmatched = match_columns(frame.columns)
    personal = find_personal_data(frame, columns, unmatched, language=lang)
    if personal:
        head = translate(_MESSAGES, "refused", lang, file=source_file)
        raise PersonalDataError(head + "\n  - " + "\n  - ".join(personal), personal)
    structural = []
    for fld in ("date", "partner"):
        if fld not in columns:
            structural.append(translate(_MESSAGES, "missing_column", lang, file=source_file, field=fld,
                                        aliases=", ".join(ALIASES[fld][:4])))
    if not {"address", "lat", "quartiere"} & set(columns):
        structural.append(translate(_MESSAGES, "no_location_column", lang, file=source_file))
    if structural:
        raise ValidationError("\n".join(structural), structural)

    notes = [translate(_MESSAGES, "ignored_column", lang, column=c) for c in unmatched]
    n = len(frame)
    idx = frame.index

    def col(fld: str) -> pd.Series:
        name = columns.get(fld)
        return frame[name] if name is not None else pd.Series("", index=idx)

    problems: dict[str, list[tuple[str, str]]] = {}  # field -> (reason, message) per row

    def flag(mask: pd.Series, fld: str, reason: str, message: str) -> None:
        for row in idx[mask.to_numpy()]:
            problems.setdefault(row, []).append((fld, reason, message))  # type: ignore[arg-type]

    out = pd.DataFrame(index=idx)
    # report id: given, else a content hash (stable across re-exports of the same row)
    rid = col("report_id")
    content = frame.astype(str).agg("\x1f".join, axis=1)
    if "report_id" in columns:
        flag(rid == "", "report_id", "missing", translate(_MESSAGES, "missing", lang))
        out["report_id"] = rid
    else:
        out["report_id"] = "h" + content.map(lambda s: hashlib.sha1(s.encode()).hexdigest()[:12])

    # date
    dates = parse_dates(col("date"))
    out["date"] = dates
    flag(col("date") == "", "date", "missing", translate(_MESSAGES, "missing", lang))
    flag((col("date") != "") & dates.isna(), "date", "bad_date", translate(_MESSAGES, "bad_date", lang))
    flag(dates.notna() & (dates > pd.Timestamp(today)), "date", "future_date",
         translate(_MESSAGES, "future_date", lang))
    start = pd.Timestamp(settings.start_date)
    flag(dates.notna() & (dates < start), "date", "early_date",
         translate(_MESSAGES, "early_date", lang, start=settings.start_date))

    # partner, category, action
    partner, fz_p = _partner_vocabulary(settings).map(col("partner"))
    category, fz_c = _category_vocabulary(settings).map(col("category"))
    single = {p: [c.code for c in settings.categories if p in c.partners] for p in settings.partner_codes}
    infer = category.isna() & (col("category") == "") & partner.notna()
    inferred = partner[infer].map(lambda p: single[p][0] if len(single.get(p, [])) == 1 else pd.NA)
    category[infer] = inferred
    if inferred.notna().sum():
        notes.append(translate(_MESSAGES, "inferred_category", lang, n=int(inferred.notna().sum())))
    flag(col("partner") == "", "partner", "missing", translate(_MESSAGES, "missing", lang))
    flag((col("partner") != "") & partner.isna(), "partner", "unknown_partner",
         translate(_MESSAGES, "unknown_partner", lang, allowed=", ".join(p.name for p in settings.partners)))
    flag(category.isna() & (col("category") == ""), "category", "missing", translate(_MESSAGES, "missing", lang))
    flag(category.isna() & (col("category") != ""), "category", "unknown_category",
         translate(_MESSAGES, "unknown_category", lang,
                   allowed=", ".join(settings.category_label(c) for c in settings.category_codes)))
    actions, fz_a = _Vocabulary({a: a for a in settings.actions}).map(col("action"))
    if "action" in columns:
        flag(col("action") == "", "action", "missing", translate(_MESSAGES, "missing", lang))
        flag((col("action") != "") & actions.isna(), "action", "unknown_action",
             translate(_MESSAGES, "unknown_action", lang, allowed=", ".join(settings.actions)))
    else:
        actions = pd.Series(settings.actions[0], index=idx)
    for typed, code in sorted({**fz_p, **fz_c, **fz_a}.items()):
        notes.append(translate(_MESSAGES, "mapped", lang, value=typed, code=code))
    out["partner"], out["category"], out["action"] = partner, category, actions

    # age band: optional, unknown values left empty with a note
    age = _age_band(col("age_band"), settings.age_bands)
    unknown_age = int(((col("age_band") != "") & age.isna()).sum())
    if unknown_age:
        notes.append(translate(_MESSAGES, "unknown_age_band", lang, n=unknown_age))
    out["age_band"] = age

    # town
    towns = _town_lookup(settings)
    town_typed = col("town")
    town = _norm_series(town_typed).map(lambda k: towns.get(k, pd.NA) if k else pd.NA)
    flag((town_typed != "") & town.isna(), "town", "outside_towns",
         translate(_MESSAGES, "outside_towns", lang, allowed=", ".join(settings.town_names)))
    out["town"] = town

    # coordinates
    lat, lon = parse_coordinate(col("lat")), parse_coordinate(col("lon"))
    typed_any = (col("lat") != "") | (col("lon") != "")
    bad = typed_any & (lat.isna() | lon.isna() | ~lat.between(-90, 90) | ~lon.between(-180, 180))
    flag(bad & (col("address") == ""), "lat", "bad_coordinates", translate(_MESSAGES, "bad_coordinates", lang))
    lat, lon = lat.where(~bad), lon.where(~bad)
    address = col("address").replace("", pd.NA)
    if town_polygons is not None:
        lat, lon, swapped, dropped, outside = _check_points(lat, lon, town_polygons)
        if swapped:
            notes.append(translate(_MESSAGES, "coords_swapped", lang, n=swapped))
        n_drop = int((outside & address.notna()).sum())
        if n_drop:
            notes.append(translate(_MESSAGES, "coords_dropped", lang, n=n_drop))
        flag(outside & address.isna(), "lat", "coordinates_outside",
             translate(_MESSAGES, "coordinates_outside", lang))
    out["lat"], out["lon"] = lat, lon
    out["address"] = address
    out["quartiere"] = col("quartiere").replace("", pd.NA)
    no_loc = out["address"].isna() & out["lat"].isna() & out["quartiere"].isna()
    flag(no_loc & ~pd.Series([r in problems for r in idx], index=idx), "address", "no_location",
         translate(_MESSAGES, "no_location", lang))

    # duplicates inside the file: identical rows collapse silently, conflicting ids are rejected
    key = out["partner"].astype(str) + "\x1f" + out["report_id"].astype(str)
    has_id = out["report_id"] != ""
    dup_same = has_id & (key + "\x1f" + content).duplicated(keep="first")
    dup_diff = has_id & key.duplicated(keep="first") & ~dup_same
    if dup_diff.any():
        first_row = pd.Series(idx, index=idx).groupby(key).transform("first")
        for row in idx[dup_diff.to_numpy()]:
            problems.setdefault(row, []).append(
                ("report_id", "duplicate_id",
                 translate(_MESSAGES, "duplicate_id", lang, first=f"riga {first_row[row]}"
                           if lang == "it" else f"row {first_row[row]}")))

    # assemble
    rejected_rows = []
    for row, probs in sorted(problems.items()):
        fld, reason, _ = probs[0]
        colname = columns.get(fld, fld)
        message = "; ".join(
            f"{translate(_MESSAGES, 'where', lang, file=source_file, row=row, column=columns.get(f, f))}: {m}"
            for f, _, m in probs
        )
        rejected_rows.append((source_file, int(row), colname, reason, message,
                              str(out.at[row, "report_id"]) if "report_id" in columns else ""))
    rejected = pd.DataFrame(rejected_rows, columns=list(REJECTED_COLUMNS))
    keep = ~idx.isin(list(problems)) & ~dup_same.to_numpy()
    acc = out[keep].copy()
    acc["month"] = acc["date"].dt.strftime("%Y-%m")
    acc["source_file"] = source_file
    acc["source_row"] = acc.index.astype(int)
    acc["record_hash"] = record_hash(acc)
    acc = acc.reset_index(drop=True)[list(REPORT_COLUMNS)]
    for c in ("partner", "category", "action", "age_band", "town", "address", "quartiere"):
        acc[c] = acc[c].astype("string")
    return IntakeResult(acc, rejected, notes, read=n)


def record_hash(reports: pd.DataFrame) -> pd.Series:
    """A hash of a report's content (not of where it came from), for idempotent re-ingest."""
    fields = ["partner", "report_id", "category", "action", "age_band", "date", "town", "address",
              "lat", "lon", "quartiere"]
    parts = []
    for f in fields:
        s = reports[f]
        if f == "date":
            s = s.dt.strftime("%Y-%m-%d")
        elif f in ("lat", "lon"):
            s = s.round(6).astype(str)
        parts.append(s.astype(str).fillna(""))
    joined = parts[0].str.cat(parts[1:], sep="\x1f") if parts else pd.Series(dtype=str)
    return joined.map(lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest())


def _check_points(lat: pd.Series, lon: pd.Series, polygons: Any) -> tuple[pd.Series, pd.Series, int, int, pd.Series]:
    """Keep points inside the towns; fix swapped lat/lon; flag those still outside."""
    import shapely

    union = shapely.union_all(np.asarray(polygons.geometry.values))
    has = lat.notna() & lon.notna()
    x, y = lon.to_numpy(dtype=float), lat.to_numpy(dtype=float)
    inside = np.zeros(len(lat), dtype=bool)
    inside[has.to_numpy()] = shapely.contains_xy(union, x[has.to_numpy()], y[has.to_numpy()])
    swap = has.to_numpy() & ~inside
    swapped_inside = np.zeros(len(lat), dtype=bool)
    if swap.any():
        swapped_inside[swap] = shapely.contains_xy(union, y[swap], x[swap])
    lat2, lon2 = lat.copy(), lon.copy()
    lat2[swapped_inside], lon2[swapped_inside] = lon[swapped_inside], lat[swapped_inside]
    outside = pd.Series(has.to_numpy() & ~inside & ~swapped_inside, index=lat.index)
    lat2[outside], lon2[outside] = np.nan, np.nan
    return lat2, lon2, int(swapped_inside.sum()), int(outside.sum()), outside
