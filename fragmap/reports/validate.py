"""Validate one table (or a file chunk by chunk): accepted reports and rejected rows. Pure."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fragmap._errors import PersonalDataError, ValidationError
from fragmap.i18n import translate
from fragmap.reports.contract import MAX_LISTED, REJECTED_COLUMNS, REPORT_COLUMNS, REQUIRED_FIELDS
from fragmap.reports.guard import _FULL_DATE, _OLD_FULL_DATE, PersonalScan, RowList
from fragmap.reports.headers import ALIASES, _norm_series, match_headers
from fragmap.reports.messages import _MESSAGES, _quote, field_label
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
    v = Validator(frame.columns, settings, source_file=source_file, today=today,
                  town_polygons=town_polygons)
    accepted, rejected = v.add(frame)
    res = v.finish()
    res.accepted, res.rejected = accepted, v.fill_hints(rejected)
    return res


class Validator:
    """Validate one file chunk by chunk: what :func:`validate` does, for a file too large to
    hold in memory at once.

    Every chunk is checked as it comes (:meth:`add` returns its accepted reports and rejected
    rows); what needs the whole file is kept in small accumulators: the personal-data guard's
    findings (:class:`~fragmap.reports.guard.PersonalScan`), the IDs already seen (128-bit
    hashes, for duplicates and collisions across chunks), counts for the notes. :meth:`finish`
    then gives the verdict: it raises when the file must be refused as a whole, so the rows
    :meth:`add` returned are only final once it has returned (the caller writes them in one
    transaction, or keeps them until then). Row numbers are the spreadsheet's, whatever the
    chunk.

    Parameters
    ----------
    columns : list of str
        The file's headers.
    settings, source_file, today, town_polygons
        As in :func:`validate`.
    drop_empty_unnamed : bool
        Columns without a header ("Unnamed: 3") that stay empty in every chunk are treated as
        absent (what :func:`fragmap.io.tables.read_table` does for a whole file).

    Examples
    --------
    >>> v = Validator(stream.columns, settings, source_file="a.csv", today=today)  # doctest: +SKIP
    >>> parts = [v.add(chunk) for chunk in stream]                                  # doctest: +SKIP
    >>> result = v.finish()                    # raises PersonalDataError, ValidationError  # doctest: +SKIP
    """

    def __init__(
        self,
        columns: Iterable[str],
        settings: Settings,
        *,
        source_file: str,
        today: _dt.date,
        town_polygons: Any = None,
        drop_empty_unnamed: bool = False,
    ) -> None:
        lang = self.language = settings.language
        self.settings, self.source_file, self.today = settings, source_file, today
        self.all_columns = list(columns)
        hm = match_headers(self.all_columns)
        self.hm = hm
        self.fields, self.unmatched = hm.fields, hm.unmatched
        self.scan = PersonalScan(self.all_columns, self.fields, self.unmatched, language=lang,
                                 today=today, start_date=settings.start_date)
        structural = []
        for fld, cols in hm.ambiguous.items():
            structural.append(translate(_MESSAGES, "ambiguous_column", lang, file=source_file,
                                        field=field_label(fld, lang),
                                        columns=", ".join(_quote(c, lang) for c in cols)))
        for fld in REQUIRED_FIELDS:
            if fld not in self.fields and fld not in hm.ambiguous:
                structural.append(translate(_MESSAGES, "missing_column", lang, file=source_file,
                                            field=field_label(fld, lang),
                                            aliases=", ".join(ALIASES[fld][:4])))
        if not {"address", "lat", "quartiere"} & (set(self.fields) | set(hm.ambiguous)):
            structural.append(translate(_MESSAGES, "no_location_column", lang, file=source_file))
        self.structural = structural
        self.has_ids = "report_id" in self.fields
        self.drop_empty_unnamed = drop_empty_unnamed
        self._unnamed = {c for c in self.unmatched if str(c).startswith("Unnamed:")}
        self._filled: set[Any] = set()
        # vocabularies, built once per file
        self._partners = _partner_vocabulary(settings)
        self._categories = _category_vocabulary(settings)
        self._actions = _Vocabulary({a: a for a in settings.actions})
        self._single = {p: [c.code for c in settings.categories if p in c.partners]
                        for p in settings.partner_codes}
        self._towns = _town_lookup(settings)
        self._union = None
        if town_polygons is not None:
            import shapely

            self._union = shapely.union_all(np.asarray(town_polygons.geometry.values))
        # what the notes, the hints and the duplicates need from the whole file
        self.read = 0
        self._inferred = self._unknown_age = self._swapped = self._dropped = self._same = 0
        self._fuzzy: dict[str, dict[str, list[Any]]] = {}  # field -> typed -> [code, hidden, rows]
        self._names: dict[str, RowList] = {}
        self._reasons: dict[str, int] = {}
        self._partners_seen: set[str] = set()
        self._first_month: str | None = None
        self._last_month: str | None = None
        self._ids = _KeyIndex(3)  # (partner, id, month) -> first clean row, its record hash (2 halves)
        self._contents = _KeyIndex(1)  # content hash -> rows so far (files without IDs)

    # -- one chunk -------------------------------------------------------------------------
    def add(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Check one chunk (cells as strings, index = spreadsheet row numbers, in file order).

        Returns
        -------
        accepted, rejected : DataFrame
            The chunk's reports and rejected rows (columns :data:`REPORT_COLUMNS`,
            :data:`REJECTED_COLUMNS`); both empty once the file is known to be refused. A
            rejected row's ``partner`` and ``month`` may be None until :meth:`fill_hints`.
        """
        self.read += len(frame)
        for c in self._unnamed - self._filled:
            if (frame[c] != "").any():
                self._filled.add(c)
        self.scan.add(frame)
        if self.structural or self.scan.found:
            # the file will be refused: only the guard's findings matter now
            return _empty_accepted(), pd.DataFrame(columns=list(REJECTED_COLUMNS))
        return self._rows(frame)

    def _rows(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        lang, settings, source_file, today = self.language, self.settings, self.source_file, self.today
        columns = self.fields
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
        has_ids = self.has_ids
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
        partner, fz_p = self._partners.map(col("partner"))
        category, fz_c = self._categories.map(col("category"))
        single = self._single
        infer = category.isna() & (col("category") == "") & partner.notna()
        inferred = partner[infer].map(lambda p: single[p][0] if len(single.get(p, [])) == 1 else pd.NA)
        category[infer] = inferred
        self._inferred += int(inferred.notna().sum())
        flag(col("partner") == "", "partner", "missing", translate(_MESSAGES, "missing", lang))
        flag((col("partner") != "") & partner.isna(), "partner", "unknown_partner",
             translate(_MESSAGES, "unknown_partner", lang, allowed=", ".join(p.name for p in settings.partners)))
        flag(category.isna() & (col("category") == ""), "category", "missing", translate(_MESSAGES, "missing", lang))
        flag(category.isna() & (col("category") != ""), "category", "unknown_category",
             translate(_MESSAGES, "unknown_category", lang,
                       allowed=", ".join(settings.category_label(c) for c in settings.category_codes)))
        actions, fz_a = self._actions.map(col("action"))
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
            seen = self._fuzzy.setdefault(fld, {})
            for typed, code in sorted(fuzzy_of.get(fld, {}).items()):
                rows = typed_col == typed
                entry = seen.setdefault(typed, [code, False, RowList()])
                entry[2].add(idx[rows.to_numpy()])
                if names[rows].any():
                    entry[1] = True  # a property of the typed value: the same in every chunk
                    names = names & ~rows
            if names.any():
                self._names.setdefault(fld, RowList()).add(idx[names.to_numpy()])

        # age band: optional, unknown values left empty with a note
        age = _age_band(col("age_band"), settings.age_bands)
        self._unknown_age += int(((col("age_band") != "") & age.isna()).sum())
        out["age_band"] = age

        # town
        towns = self._towns
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
        if self._union is not None:
            lat, lon, swapped, outside = _check_points(lat, lon, self._union)
            self._swapped += swapped
            self._dropped += int((outside & address.notna()).sum())
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
            occurrence = self._contents.occurrences(_hash128(content))
            out["report_id"] = "h" + content.str[:12] + "-" + pd.Series(occurrence, index=idx).astype(str)
        hashes = record_hash(out)

        # Duplicates among the rows without problems: the same (partner, id, month) twice is one
        # report when the content is identical (an export repeated a row), a conflict otherwise.
        # The first row of a key may be in an earlier chunk: the index remembers it.
        clean = ~idx.isin(list(problems))
        dup_same = pd.Series(False, index=idx)
        if has_ids and clean.any():
            key = (out["partner"].astype(str) + "\x1f" + out["report_id"].astype(str) + "\x1f"
                   + month.fillna(""))[clean]
            rows = key.index.to_numpy(dtype=np.int64)
            own_hash = _hash128(hashes[clean])
            first_row, first_hash = self._ids.first(_hash128(key), rows, own_hash)
            dup = first_row != rows
            same = dup & (first_hash == own_hash).all(axis=1)
            dup_same[key.index[same]] = True
            for row, first in zip(rows[dup & ~same], first_row[dup & ~same]):
                where = translate(_MESSAGES, "row", lang, row=int(first))
                problems.setdefault(row, []).append(
                    ("report_id", "duplicate_id", translate(_MESSAGES, "duplicate_id", lang, first=where)))
        self._same += int(dup_same.sum())

        # assemble the rejected rows, with the partner and month they most likely belong to;
        # what only the whole file can tell (the single partner, the month of rows before the
        # first dated one) is filled by fill_hints
        known_month = month.where(dates.notna()).astype("string")
        month_hint = known_month.ffill()
        if self._last_month is not None:
            month_hint = month_hint.fillna(self._last_month)
        dated = known_month.dropna()
        if len(dated):
            self._first_month = self._first_month or str(dated.iloc[0])
            self._last_month = str(dated.iloc[-1])
        self._partners_seen.update(str(p) for p in partner.dropna().unique())
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
            p, m = partner[row], month_hint[row]
            rejected_rows.append((source_file, int(row), colname, reason, message, typed_id,
                                  None if pd.isna(p) else str(p), None if pd.isna(m) else str(m)))
            for r in dict.fromkeys(reason for _, reason, _ in probs):
                self._reasons[r] = self._reasons.get(r, 0) + 1
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
        return acc, rejected

    # -- the whole file --------------------------------------------------------------------
    @property
    def columns(self) -> list[Any]:
        """The file's columns as read (without empty unnamed ones, see ``drop_empty_unnamed``)."""
        if not self.drop_empty_unnamed:
            return self.all_columns
        return [c for c in self.all_columns if c not in self._unnamed or c in self._filled]

    @property
    def partner_fill(self) -> str | None:
        """The partner of rejected rows that do not say it: the file's only partner, if one."""
        return next(iter(self._partners_seen)) if len(self._partners_seen) == 1 else None

    @property
    def month_fill(self) -> str | None:
        """The month of rejected rows before the file's first dated row: that row's month."""
        return self._first_month

    def fill_hints(self, rejected: pd.DataFrame) -> pd.DataFrame:
        """``rejected`` (from :meth:`add`) with the partner and month hints of the whole file."""
        out = rejected
        for column, value in (("partner", self.partner_fill), ("month", self.month_fill)):
            if value is not None and len(out) and out[column].isna().any():
                out = out.copy() if out is rejected else out
                out[column] = out[column].where(out[column].notna(), value)
        return out

    def finish(self) -> IntakeResult:
        """The verdict on the whole file, once every chunk was added.

        Returns
        -------
        IntakeResult
            Notes, counts and reasons of the whole file; ``accepted`` and ``rejected`` are
            empty (they came chunk by chunk from :meth:`add`).

        Raises
        ------
        PersonalDataError, ValidationError
            As :func:`validate`: personal data first, then the columns.
        """
        lang = self.language
        columns = self.columns
        personal = self.scan.problems(columns)
        if personal:
            head = translate(_MESSAGES, "refused", lang, file=self.source_file)
            raise PersonalDataError(head + "\n  - " + "\n  - ".join(personal), personal)
        if self.structural:
            raise ValidationError("\n".join(self.structural), self.structural)
        unmatched = [c for c in self.unmatched if c in set(columns)]
        pairs = ", ".join(f"{_quote(h, lang)} → {field_label(f, lang)}" for f, h in self.fields.items())
        notes = [translate(_MESSAGES, "columns_read", lang, pairs=pairs)]
        notes += [translate(_MESSAGES, "ignored_column", lang, column=c) for c in unmatched[:MAX_LISTED]]
        if len(unmatched) > MAX_LISTED:
            notes.append(translate(_MESSAGES, "more_ignored", lang, n=len(unmatched) - MAX_LISTED))
        if self._inferred:
            notes.append(translate(_MESSAGES, "inferred_category", lang, n=self._inferred))
        for fld in ("partner", "category", "action", "town", "age_band"):
            for typed, (code, hidden, rows) in sorted(self._fuzzy.get(fld, {}).items()):
                if hidden:
                    notes.append(translate(_MESSAGES, "mapped_hidden", lang, column=self.fields[fld],
                                           rows=rows.text(), code=code))
                else:
                    notes.append(translate(_MESSAGES, "mapped", lang, value=typed, code=code, n=rows.count))
            if fld in self._names:
                notes.append(translate(_MESSAGES, "names_in_column", lang, column=self.fields[fld],
                                       rows=self._names[fld].text()))
        if self._unknown_age:
            notes.append(translate(_MESSAGES, "unknown_age_band", lang, n=self._unknown_age))
        if self._swapped:
            notes.append(translate(_MESSAGES, "coords_swapped", lang, n=self._swapped))
        if self._dropped:
            notes.append(translate(_MESSAGES, "coords_dropped", lang, n=self._dropped))
        if not self.has_ids:
            notes.append(translate(_MESSAGES, "no_id_column", lang))
        if self._same:
            notes.append(translate(_MESSAGES, "identical_copies", lang, n=self._same))
        reasons = dict(sorted(self._reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        return IntakeResult(_empty_accepted(), pd.DataFrame(columns=list(REJECTED_COLUMNS)), notes,
                            read=self.read, has_ids=self.has_ids, columns=dict(self.fields),
                            duplicates=self._same, reasons=reasons)


def _empty_accepted() -> pd.DataFrame:
    return pd.DataFrame(columns=list(REPORT_COLUMNS))


#: Two keys of pandas' SipHash: 128 bits per value, so two different keys never meet by chance.
_HASH_KEYS = ("fragmap-dup-key1", "fragmap-dup-key2")


def _hash128(values: pd.Series) -> np.ndarray:
    """Two 64-bit hashes per value (an ``(n, 2)`` uint64 array)."""
    arr = values.astype(str).to_numpy(dtype=object)
    return np.column_stack([pd.util.hash_array(arr, hash_key=k) for k in _HASH_KEYS])


class _KeyIndex:
    """Keys (128-bit hashes) seen in a file so far, each with a few int64 payloads.

    Sorted by the first 64 bits for :func:`numpy.searchsorted`; new keys are merged in with a
    stable sort (two sorted runs: linear). About 16 bytes per key plus 8 per payload.
    """

    def __init__(self, n_payload: int) -> None:
        self.hi = np.empty(0, np.uint64)
        self.lo = np.empty(0, np.uint64)
        self.payload = [np.empty(0, np.int64) for _ in range(n_payload)]

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Position of each key in the index, -1 when absent."""
        hi, lo = keys[:, 0], keys[:, 1]
        left = np.searchsorted(self.hi, hi, "left")
        right = np.searchsorted(self.hi, hi, "right")
        pos = np.full(len(hi), -1, dtype=np.int64)
        for i in np.flatnonzero(right > left):  # almost always one candidate; loop over those
            for j in range(left[i], right[i]):
                if self.lo[j] == lo[i]:
                    pos[i] = j
                    break
        return pos

    def insert(self, keys: np.ndarray, payload: list[np.ndarray]) -> None:
        """Add keys absent from the index (distinct among themselves)."""
        if not len(keys):
            return
        hi = np.concatenate([self.hi, keys[:, 0]])
        order = np.argsort(hi, kind="stable")
        self.hi = hi[order]
        self.lo = np.concatenate([self.lo, keys[:, 1]])[order]
        self.payload = [np.concatenate([old, new.astype(np.int64)])[order]
                        for old, new in zip(self.payload, payload)]

    def first(self, keys: np.ndarray, rows: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row, the first row of the file with its key, and that row's content hash
        (two 64-bit halves); the chunk's new keys are remembered."""
        pos = self.find(keys)
        first_row = np.empty(len(rows), dtype=np.int64)
        first_hash = np.empty((len(rows), 2), dtype=np.uint64)
        known = pos >= 0
        first_row[known] = self.payload[0][pos[known]]
        first_hash[known, 0] = self.payload[1][pos[known]].view(np.uint64)
        first_hash[known, 1] = self.payload[2][pos[known]].view(np.uint64)
        new = np.flatnonzero(~known)
        if len(new):
            frame = pd.DataFrame({"hi": keys[new, 0], "lo": keys[new, 1]})
            head = ~frame.duplicated(keep="first").to_numpy()
            group = frame.groupby(["hi", "lo"], sort=False).ngroup().to_numpy()
            firsts = new[head]  # the first row of each new key, in group order
            first_row[new] = rows[firsts][group]
            first_hash[new] = hashes[firsts][group]
            self.insert(keys[firsts], [rows[firsts], hashes[firsts, 0].view(np.int64),
                                       hashes[firsts, 1].view(np.int64)])
        return first_row, first_hash

    def occurrences(self, keys: np.ndarray) -> np.ndarray:
        """For each row, how many rows of the file so far (itself included) have its key."""
        pos = self.find(keys)
        frame = pd.DataFrame({"hi": keys[:, 0], "lo": keys[:, 1]})
        occurrence = frame.groupby(["hi", "lo"], sort=False).cumcount().to_numpy() + 1
        known = pos >= 0
        counts = self.payload[0]
        occurrence[known] += counts[pos[known]]
        last = ~frame.duplicated(keep="last").to_numpy()  # one row per key, with its running count
        upd = last & known
        counts[pos[upd]] = occurrence[upd]
        add = last & ~known
        self.insert(keys[add], [occurrence[add]])
        return occurrence


def _check_points(lat: pd.Series, lon: pd.Series, union: Any) -> tuple[pd.Series, pd.Series, int, pd.Series]:
    """Keep points inside the towns (``union``: their polygons as one geometry); fix swapped
    lat/lon; flag those still outside."""
    import shapely

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
    return lat2, lon2, int(swapped_inside.sum()), outside
