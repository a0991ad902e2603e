"""Validate one table (or a file chunk by chunk): accepted reports and rejected rows. Pure."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fragmap._errors import PersonalDataError, ValidationError
from fragmap.i18n import translate
from fragmap.reports.contract import MAX_LISTED, REJECTED_COLUMNS, REPORT_COLUMNS, REQUIRED_FIELDS
from fragmap.reports.guard import _FULL_DATE, _OLD_FULL_DATE, find_personal_data
from fragmap.reports.headers import ALIASES, _norm_series, match_headers
from fragmap.reports.messages import _MESSAGES, _quote, _rows, field_label
from fragmap.reports.names import person_mask
from fragmap.reports.values import (
    _CONTENT_FIELDS,
    _age_band,
    _category_vocabulary,
    _hash_rows,
    _iso,
    _partner_vocabulary,
    _town_lookup,
    _Vocabulary,
    parse_coordinate,
    parse_dates,
    record_hash,
)
from fragmap.settings import Settings


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
        What was read, fixed or inferred (columns taken, misspellings mapped, ignored
        columns...). Notes never echo a value that looks like a person's name.
    read : int
        Non-blank input rows.
    has_ids : bool
        Whether the file had an ID column. Without one, each report's ID is a hash of its
        content plus its occurrence number in the file, so corrections cannot be matched.
    columns : dict
        ``{field: header}`` as read.
    duplicates : int
        Rows identical to an earlier row with the same ID and month, counted once.
    reasons : dict
        ``{reason: rows}`` over every problem of every rejected row (a row with a bad date
        and a name in the address counts under both), most frequent first.
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    read: int = 0
    has_ids: bool = True
    columns: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0

    reasons: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"read": self.read, "accepted": len(self.accepted), "rejected": len(self.rejected),
                "duplicates": self.duplicates, "has_ids": self.has_ids, "reasons": dict(self.reasons)}



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
        A required column (date, partner, action, a location) is missing, or two columns
        fit one field (the message names them).

    Notes
    -----
    Without an ID column each report's ID is ``h`` + a hash of its normalised content +
    ``-`` + its occurrence number among identical rows of the file: two identical rows are
    two reports, and the same file (or an overlapping export) ingested again gives the same
    IDs. A corrected row then has another ID: it cannot replace the old one (a note says so).
    """
    lang = settings.language
    hm = match_headers(frame.columns)
    columns, unmatched = hm.fields, hm.unmatched
    personal = find_personal_data(frame, columns, unmatched, language=lang, today=today,
                                  start_date=settings.start_date)
    if personal:
        head = translate(_MESSAGES, "refused", lang, file=source_file)
        raise PersonalDataError(head + "\n  - " + "\n  - ".join(personal), personal)
    structural = []
    for fld, cols in hm.ambiguous.items():
        structural.append(translate(_MESSAGES, "ambiguous_column", lang, file=source_file,
                                    field=field_label(fld, lang),
                                    columns=", ".join(_quote(c, lang) for c in cols)))
    for fld in REQUIRED_FIELDS:
        if fld not in columns and fld not in hm.ambiguous:
            structural.append(translate(_MESSAGES, "missing_column", lang, file=source_file,
                                        field=field_label(fld, lang),
                                        aliases=", ".join(ALIASES[fld][:4])))
    if not {"address", "lat", "quartiere"} & (set(columns) | set(hm.ambiguous)):
        structural.append(translate(_MESSAGES, "no_location_column", lang, file=source_file))
    if structural:
        raise ValidationError("\n".join(structural), structural)

    pairs = ", ".join(f"{_quote(h, lang)} → {field_label(f, lang)}" for f, h in columns.items())
    notes = [translate(_MESSAGES, "columns_read", lang, pairs=pairs)]
    notes += [translate(_MESSAGES, "ignored_column", lang, column=c) for c in unmatched[:MAX_LISTED]]
    if len(unmatched) > MAX_LISTED:
        notes.append(translate(_MESSAGES, "more_ignored", lang, n=len(unmatched) - MAX_LISTED))
    n = len(frame)
    idx = frame.index

    def col(fld: str) -> pd.Series:
        name = columns.get(fld)
        return frame[name] if name is not None else pd.Series("", index=idx)

    problems: dict[int, list[tuple[str, str, str]]] = {}  # row -> [(field, reason, message)]

    def flag(mask: pd.Series, fld: str, reason: str, message: str) -> None:
        for row in idx[np.asarray(mask, dtype=bool)]:
            problems.setdefault(row, []).append((fld, reason, message))

    personal_msg = translate(_MESSAGES, "personal_name", lang)
    out = pd.DataFrame(index=idx)
    # report id: given (and checked like any kept text), else made from the content below
    has_ids = "report_id" in columns
    rid = col("report_id")
    id_is_name = person_mask(rid) if has_ids else pd.Series(False, index=idx)
    # a birth date typed as the id ("12/03/1941"): neither kept nor echoed
    id_is_date = (rid.str.contains(_OLD_FULL_DATE, regex=True) if has_ids
                  else pd.Series(False, index=idx))
    if has_ids:
        flag(rid == "", "report_id", "missing", translate(_MESSAGES, "missing", lang))
        flag(id_is_name, "report_id", "personal_name", personal_msg)
        flag(id_is_date & ~id_is_name, "report_id", "personal_value",
             translate(_MESSAGES, "personal_value", lang))
        id_is_name = id_is_name | id_is_date
    out["report_id"] = rid

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

    # partner, category, action: stored as codes, the typed text is dropped
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
    flag(col("action") == "", "action", "missing", translate(_MESSAGES, "missing", lang))
    flag((col("action") != "") & actions.isna(), "action", "unknown_action",
         translate(_MESSAGES, "unknown_action", lang, allowed=", ".join(settings.actions)))
    out["partner"], out["category"], out["action"] = partner, category, actions
    # Coded columns: the typed text is not kept, only the code; a cell that carries a name is
    # never echoed (the note names the column, the rows and the code it was read as).
    fuzzy_of = {"partner": fz_p, "category": fz_c, "action": fz_a}
    for fld in ("partner", "category", "action", "town", "age_band"):
        if fld not in columns:
            continue
        typed_col = col(fld)
        names = person_mask(typed_col) | typed_col.str.contains(_FULL_DATE, regex=True)
        for typed, code in sorted(fuzzy_of.get(fld, {}).items()):
            rows = typed_col == typed
            if names[rows].any():
                notes.append(translate(_MESSAGES, "mapped_hidden", lang, column=columns[fld],
                                       rows=_rows(idx[rows.to_numpy()]), code=code))
                names = names & ~rows
            else:
                notes.append(translate(_MESSAGES, "mapped", lang, value=typed, code=code,
                                       n=int(rows.sum())))
        if names.any():
            notes.append(translate(_MESSAGES, "names_in_column", lang, column=columns[fld],
                                   rows=_rows(idx[names.to_numpy()])))

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
    # Kept free text: a name in it rejects the row (the value is neither kept nor echoed).
    for fld in ("address", "quartiere"):
        if fld in columns:
            flag(person_mask(col(fld)), fld, "personal_name", personal_msg)
            # a full date has no place in an address: a birth date typed in the wrong cell
            flag(col(fld).str.contains(_FULL_DATE, regex=True), fld, "personal_value",
                 translate(_MESSAGES, "personal_value", lang))
    no_loc = out["address"].isna() & out["lat"].isna() & out["quartiere"].isna()
    flag(no_loc & ~pd.Series([r in problems for r in idx], index=idx), "address", "no_location",
         translate(_MESSAGES, "no_location", lang))

    month = _iso(dates, "M")
    out["month"] = month
    if not has_ids:
        content = _hash_rows(out, _CONTENT_FIELDS)
        occurrence = content.groupby(content).cumcount() + 1
        out["report_id"] = "h" + content.str[:12] + "-" + occurrence.astype(str)
        notes.append(translate(_MESSAGES, "no_id_column", lang))
    hashes = record_hash(out)

    # Duplicates among the rows without problems: the same (partner, id, month) twice is one
    # report when the content is identical (an export repeated a row), a conflict otherwise.
    clean = ~idx.isin(list(problems))
    dup_same = pd.Series(False, index=idx)
    if has_ids and clean.any():
        key = (out["partner"].astype(str) + "\x1f" + out["report_id"].astype(str) + "\x1f"
               + month.fillna(""))[clean]
        h = hashes[clean]
        first_hash = h.groupby(key).transform("first")
        first_row = pd.Series(key.index, index=key.index).groupby(key).transform("first")
        dup = key.duplicated(keep="first")
        same = dup & (h == first_hash)
        dup_same[same.index[same.to_numpy()]] = True
        for row in key.index[(dup & ~same).to_numpy()]:
            where = translate(_MESSAGES, "row", lang, row=first_row[row])
            problems.setdefault(row, []).append(
                ("report_id", "duplicate_id", translate(_MESSAGES, "duplicate_id", lang, first=where)))
    n_same = int(dup_same.sum())
    if n_same:
        notes.append(translate(_MESSAGES, "identical_copies", lang, n=n_same))

    # assemble the rejected rows, with the partner and month they most likely belong to
    known_month = month.where(dates.notna()).astype("string")
    month_hint = known_month.ffill().bfill()
    partners_seen = partner.dropna().unique()
    partner_hint = partner.copy()
    if len(partners_seen) == 1:
        partner_hint = partner_hint.fillna(partners_seen[0])
    rejected_rows = []
    for row, probs in sorted(problems.items()):
        fld, reason, _ = probs[0]
        colname = columns.get(fld) or field_label(fld, lang)
        message = "; ".join(
            translate(_MESSAGES, "where", lang, file=source_file, row=row,
                      column=columns.get(f) or field_label(f, lang)) + f": {m}"
            for f, _, m in probs
        )
        typed_id = str(rid[row]) if has_ids and not id_is_name[row] else ""
        p, m = partner_hint[row], month_hint[row]
        rejected_rows.append((source_file, int(row), colname, reason, message, typed_id,
                              None if pd.isna(p) else str(p), None if pd.isna(m) else str(m)))
    rejected = pd.DataFrame(rejected_rows, columns=list(REJECTED_COLUMNS))
    keep = ~idx.isin(list(problems)) & ~dup_same.to_numpy()
    acc = out[keep].copy()
    acc["source_file"] = source_file
    acc["source_row"] = acc.index.astype(int)
    acc["record_hash"] = hashes[keep]
    acc = acc.reset_index(drop=True)[list(REPORT_COLUMNS)]
    for c in ("partner", "category", "action", "age_band", "town", "address", "quartiere"):
        acc[c] = acc[c].astype("string")
    acc["month"] = acc["month"].astype(str)
    counts: dict[str, int] = {}
    for probs in problems.values():
        for r in dict.fromkeys(reason for _, reason, _ in probs):
            counts[r] = counts.get(r, 0) + 1
    reasons = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return IntakeResult(acc, rejected, notes, read=n, has_ids=has_ids, columns=dict(columns),
                        duplicates=n_same, reasons=reasons)



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
