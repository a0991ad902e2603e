"""The file-level personal-data guard: headers and values that refuse a whole file. Pure."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from fragmap import personal as _personal
from fragmap.i18n import translate
from fragmap.reports.headers import personal_header_kind
from fragmap.reports.messages import _MESSAGES, _rows
from fragmap.reports.names import person_mask

_CF = re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\d,.])(?:\+|00)?(?:39[\s.-]?)?(?:3\d{2}|0\d{1,3})[\s./-]?\d{3,4}[\s./-]?\d{3,4}(?![\d,.])"
)
#: Ids with a year as one of their parts ("0382-2026-0001", "A3/2026/015"): not phone numbers.
_ID_WITH_YEAR = re.compile(
    r"^[A-Za-z]{0,6}[-_/.]?(?:\d{1,6}[-_/.])?(?:19|20)\d{2}[-_/.]\d{1,6}(?:[-_/.]\d{1,6})?$"
)
_FULL_DATE = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}(?!\d)")
#: A full date before 2000 (dd/mm/yyyy): in an id it is a birth date, not a protocol number.
_OLD_FULL_DATE = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-]19\d{2}(?!\d)")
_DATE_LIKE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:\s.*)?$|^\d{4}-\d{1,2}-\d{1,2}")


def find_personal_data(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    unmatched: list[str],
    *,
    language: str = "it",
    today: _dt.date | None = None,
    start_date: str | None = None,
) -> list[str]:
    """Problems that make a table look like it holds personal data (empty list if none).

    Parameters
    ----------
    frame : DataFrame
        The table of strings.
    columns : mapping
        ``{field: header}`` (see :func:`match_headers`).
    unmatched : list of str
        Extra columns: they are checked for person names, birth dates and free text too.
    language : str
        Language of the messages.
    today, start_date : optional
        For the two-digit years and the birth-date plausibility cut-off (dates before
        2010, or ten years before the project start if earlier, are not report dates).

    Returns
    -------
    list of str
        Messages naming the column, the kind of data and at most five row numbers; never a value.
    """
    lang = language
    today = today or _dt.date.today()
    start_year = int(start_date[:4]) if start_date else 2010
    cutoff = min(2010, start_year - 10)
    problems: list[str] = []
    used = set(columns.values())
    flagged: set[str] = set()
    # A header cell that IS a personal value (the first row was data, or a name typed as a
    # header) is named by its position only, never echoed.
    shown: dict[str, str] = {}
    for i, col in enumerate(frame.columns, start=1):
        value_kind = _personal.personal_kind(str(col))
        if value_kind is None and _DATE_LIKE.match(str(col)):
            year = _years(pd.Series([str(col)]), today).iloc[0]
            value_kind = "birth_date" if year < cutoff else None
        shown[col] = col if value_kind is None else translate(_MESSAGES, "column_n", lang, n=i)
        if value_kind is not None:
            flagged.add(col)
            problems.append(translate(_MESSAGES, "personal_header_value", lang, column=shown[col],
                                      kind=translate(_MESSAGES, f"kind_{value_kind}", lang)))
    for col in frame.columns:
        kind = personal_header_kind(col) if col not in used and col not in flagged else None
        if kind is not None:
            flagged.add(col)
            problems.append(translate(_MESSAGES, "personal_header", lang, column=col,
                                      kind=translate(_MESSAGES, f"kind_{kind}", lang)))
    skip = {columns.get(k) for k in ("date", "lat", "lon")} | flagged
    id_col = columns.get("report_id")
    for col in frame.columns:
        if col in skip:
            continue
        values = frame[col]
        values = values[values != ""]
        if values.empty:
            continue
        uniq = pd.Series(values.unique())
        for kind, pattern in (("tax_code", _CF), ("email", _personal.EMAIL), ("iban", _personal.IBAN),
                              ("phone", _PHONE)):
            cand = uniq
            if kind == "phone" and col == id_col:
                # ids are typed by the partner, often all digits and dashes: only a mobile
                # number or a number with the +39 prefix is a phone there
                pattern = _personal.PHONE_STRICT
            elif kind == "phone":
                cand = uniq[~uniq.str.match(_ID_WITH_YEAR)]
            hit = cand[cand.str.contains(pattern, regex=True)]
            if kind == "iban":
                hit = hit[hit.map(lambda v: bool(_personal._ibans(v)))]
            if len(hit):
                problems.append(_values_problem(shown[col], kind, values.index[values.isin(hit)], lang))
        if col in unmatched:
            names = person_mask(values)
            if names.any():
                problems.append(_values_problem(shown[col], "name", values.index[names.to_numpy()], lang))
    # Full dates in the age column are birth dates; in an extra column, dates long before any
    # report are too (a closing date or an intervention date of 2026 is not).
    age_col = columns.get("age_band")
    for col in [age_col, *unmatched]:
        if col is None or col in flagged:
            continue
        values = frame[col][frame[col] != ""]
        if not len(values):
            continue
        is_date = values.str.match(_DATE_LIKE)
        if is_date.mean() <= 0.5:
            continue
        if col == age_col:
            problems.append(translate(_MESSAGES, "birth_dates", lang, column=shown[col],
                                      rows=_rows(values.index[is_date.to_numpy()])))
            continue
        years = _years(values[is_date], today)
        old = years < cutoff
        if old.any():
            problems.append(translate(_MESSAGES, "old_dates", lang, column=shown[col], cutoff=cutoff,
                                      rows=_rows(years.index[old.to_numpy()])))
    # Unknown columns of long free text (notes).
    for col in unmatched:
        if col in flagged:
            continue
        values = frame[col][frame[col] != ""]
        if len(values) and values.str.len().mean() > 25 and values.str.count(" ").mean() >= 3:
            if not any(f"«{col}»" in p or f"'{col}'" in p for p in problems):
                problems.append(translate(_MESSAGES, "personal_header", lang, column=shown[col],
                                          kind=translate(_MESSAGES, "kind_free_text", lang)))
    return problems


def _years(values: pd.Series, today: _dt.date) -> pd.Series:
    """Year of each date-like string; two-digit years are 20yy unless that is in the future."""
    it = values.str.extract(r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{4}|\d{2})(?:\s.*)?$")[0]
    iso = values.str.extract(r"^(\d{4})-\d{1,2}-\d{1,2}")[0]
    y = pd.to_numeric(it.fillna(iso), errors="coerce")
    two = y < 100
    y = y.where(~two, np.where(2000 + y <= today.year, 2000 + y, 1900 + y))
    return y.fillna(9999)


def _values_problem(col: str, kind: str, rows: pd.Index, lang: str) -> str:
    return translate(_MESSAGES, "personal_values", lang, column=col,
                     kind=translate(_MESSAGES, f"kind_{kind}", lang), rows=_rows(rows))
