"""The file-level personal-data guard: headers and values that refuse a whole file. Pure.

The FILE is refused (nothing imported) when a column header names personal data (nome,
cognome, referente, telefono, e-mail, codice fiscale, data di nascita, note...), when any
column holds tax codes, e-mail addresses, IBANs or phone numbers, when an extra column holds
birth dates or person names, or long free text.

:class:`PersonalScan` looks at a file one chunk at a time and keeps only what its verdict
needs (up to five row numbers and a count per finding, sums for the column averages), so a
large file is judged without being held in memory; :func:`find_personal_data` is one scan
over one table.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from fragmap import personal as _personal
from fragmap.i18n import translate
from fragmap.reports.headers import personal_header_kind
from fragmap.reports.messages import _MESSAGES
from fragmap.reports.names import person_mask

#: The patterns shared with the file-name check and the audit (one door: :mod:`fragmap.personal`).
#: The tax code's edges are "not a letter or digit" (an underscore or an accented letter next
#: to it does not hide it, as ``\b`` did).
_CF = _personal.TAX_CODE
_PHONE = _personal.PHONE
#: Ids with a year as one of their parts ("0382-2026-0001", "A3/2026/015"): not phone numbers.
_ID_WITH_YEAR = re.compile(
    r"^[A-Za-z]{0,6}[-_/.]?(?:\d{1,6}[-_/.])?(?:19|20)\d{2}[-_/.]\d{1,6}(?:[-_/.]\d{1,6})?$"
)
_FULL_DATE = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}(?!\d)")
#: A full date before 2000 (dd/mm/yyyy): in an id it is a birth date, not a protocol number.
_OLD_FULL_DATE = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-]19\d{2}(?!\d)")
_DATE_LIKE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:\s.*)?$|^\d{4}-\d{1,2}-\d{1,2}")


#: How many row numbers a message shows (the rest are counted): see :func:`_rows`.
_SHOWN_ROWS = 5


class RowList:
    """The first row numbers of a finding (as many as a message shows) and how many in all."""

    __slots__ = ("count", "first")

    def __init__(self) -> None:
        self.first: list[int] = []
        self.count = 0

    def add(self, rows: Sequence[int] | pd.Index | np.ndarray) -> None:
        room = _SHOWN_ROWS - len(self.first)
        if room > 0:
            self.first.extend(int(r) for r in rows[:room])
        self.count += len(rows)

    def text(self) -> str:
        """The rows as :func:`fragmap.reports.messages._rows` writes them."""
        shown = ", ".join(str(r) for r in self.first)
        return shown + (f" … (+{self.count - _SHOWN_ROWS})" if self.count > _SHOWN_ROWS else "")


_VALUE_KINDS = ("tax_code", "email", "iban", "phone", "name")


class PersonalScan:
    """The personal-data guard over a file read in chunks (see the module docstring).

    Parameters
    ----------
    columns : list of str
        The file's headers, in order.
    fields : mapping
        ``{field: header}`` (see :func:`fragmap.reports.headers.match_headers`).
    unmatched : list of str
        Extra columns: checked for person names, birth dates and free text too.
    language, today, start_date
        As in :func:`find_personal_data`.

    Examples
    --------
    >>> import pandas as pd
    >>> scan = PersonalScan(["Data", "Indirizzo"], {"date": "Data", "address": "Indirizzo"}, [])
    >>> scan.add(pd.DataFrame({"Data": ["1/10/2026"], "Indirizzo": ["Via Roma 3"]}, index=[2]))
    >>> scan.add(pd.DataFrame({"Data": ["2/10/2026"], "Indirizzo": ["x@y.it"]}, index=[3]))
    >>> scan.problems()
    ['la colonna «Indirizzo» contiene valori che sembrano indirizzi e-mail (righe 3): eliminarli dal foglio']
    """

    def __init__(
        self,
        columns: Iterable[str],
        fields: Mapping[str, str],
        unmatched: list[str],
        *,
        language: str = "it",
        today: _dt.date | None = None,
        start_date: str | None = None,
    ) -> None:
        self.columns = list(columns)
        self.unmatched = list(unmatched)
        self.language = language
        self.today = today or _dt.date.today()
        start_year = int(start_date[:4]) if start_date else 2010
        self.cutoff = min(2010, start_year - 10)
        used = set(fields.values())
        # A header cell that IS a personal value (the first row was data, or a name typed as a
        # header) is named by its position only, never echoed.
        self.header_value: dict[str, str] = {}
        for col in self.columns:
            kind = _personal.personal_kind(str(col))
            if kind is None and _DATE_LIKE.match(str(col)):
                year = _years(pd.Series([str(col)]), self.today).iloc[0]
                kind = "birth_date" if year < self.cutoff else None
            if kind is not None:
                self.header_value[col] = kind
        self.header_kind: dict[str, str] = {}
        for col in self.columns:
            if col in used or col in self.header_value:
                continue
            kind = personal_header_kind(col)
            if kind is not None:
                self.header_kind[col] = kind
        self.flagged = set(self.header_value) | set(self.header_kind)
        skip = {fields.get(k) for k in ("date", "lat", "lon")} | self.flagged
        self.id_col = fields.get("report_id")
        self.value_cols = [c for c in self.columns if c not in skip]
        self.age_col = fields.get("age_band")
        self.date_cols = [c for c in [self.age_col, *self.unmatched] if c is not None and c not in self.flagged]
        self.text_cols = [c for c in self.unmatched if c not in self.flagged]
        self.hits: dict[tuple[str, str], RowList] = {}
        # per date-checked column: [non-empty, date-like, date rows (age), old-date rows]
        self.dates: dict[str, list] = {c: [0, 0, RowList(), RowList()] for c in self.date_cols}
        # per extra column: [non-empty, characters, spaces]
        self.text: dict[str, list[int]] = {c: [0, 0, 0] for c in self.text_cols}

    @property
    def found(self) -> bool:
        """Whether the file is already known to be refused (more chunks only add detail)."""
        return bool(self.header_value or self.header_kind or self.hits)

    def add(self, frame: pd.DataFrame) -> None:
        """Look at one chunk (cells as strings, index = spreadsheet row numbers)."""
        for col in self.value_cols:
            values = frame[col]
            values = values[values != ""]
            if values.empty:
                continue
            uniq = pd.Series(values.unique())
            for kind, pattern in (("tax_code", _CF), ("email", _personal.EMAIL), ("iban", _personal.IBAN),
                                  ("phone", _PHONE)):
                cand = uniq
                if kind == "phone" and col == self.id_col:
                    # ids are typed by the partner, often all digits and dashes: only a mobile
                    # number or a number with the +39 prefix is a phone there
                    pattern = _personal.PHONE_STRICT
                elif kind == "phone":
                    cand = uniq[~uniq.str.match(_ID_WITH_YEAR)]
                hit = cand[cand.str.contains(pattern, regex=True)]
                if kind == "iban":
                    hit = hit[hit.map(lambda v: bool(_personal._ibans(v)))]
                if len(hit):
                    self._hit(col, kind, values.index[values.isin(hit)])
            if col in self.unmatched:
                names = person_mask(values)
                if names.any():
                    self._hit(col, "name", values.index[names.to_numpy()])
        for col in self.date_cols:
            values = frame[col][frame[col] != ""]
            if not len(values):
                continue
            is_date = values.str.match(_DATE_LIKE).to_numpy(dtype=bool)
            acc = self.dates[col]
            acc[0] += len(values)
            acc[1] += int(is_date.sum())
            if col == self.age_col:
                acc[2].add(values.index[is_date])
                continue
            years = _years(values[is_date], self.today)
            acc[3].add(years.index[(years < self.cutoff).to_numpy()])
        for col in self.text_cols:
            values = frame[col][frame[col] != ""]
            if len(values):
                acc = self.text[col]
                acc[0] += len(values)
                acc[1] += int(values.str.len().sum())
                acc[2] += int(values.str.count(" ").sum())

    def _hit(self, col: str, kind: str, rows: pd.Index) -> None:
        self.hits.setdefault((col, kind), RowList()).add(rows)

    def problems(self, columns: Iterable[str] | None = None) -> list[str]:
        """Messages naming the column, the kind of data and at most five row numbers, never a
        value (empty list if the file is fine).

        ``columns`` are the headers as the file is shown (default all): a header cell that is
        a personal value is named by its position among them.
        """
        lang = self.language
        shown_cols = list(self.columns if columns is None else columns)
        shown: dict[str, str] = {c: c for c in self.columns}
        problems: list[str] = []
        for i, col in enumerate(shown_cols, start=1):
            kind = self.header_value.get(col)
            if kind is not None:
                shown[col] = translate(_MESSAGES, "column_n", lang, n=i)
                problems.append(translate(_MESSAGES, "personal_header_value", lang, column=shown[col],
                                          kind=translate(_MESSAGES, f"kind_{kind}", lang)))
        for col in self.columns:
            if col in self.header_kind:
                problems.append(translate(_MESSAGES, "personal_header", lang, column=col,
                                          kind=translate(_MESSAGES, f"kind_{self.header_kind[col]}", lang)))
        for col in self.value_cols:
            for kind in _VALUE_KINDS:
                rows = self.hits.get((col, kind))
                if rows is not None:
                    problems.append(translate(_MESSAGES, "personal_values", lang, column=shown[col],
                                              kind=translate(_MESSAGES, f"kind_{kind}", lang),
                                              rows=rows.text()))
        # Full dates in the age column are birth dates; in an extra column, dates long before any
        # report are too (a closing date or an intervention date of 2026 is not).
        for col in self.date_cols:
            n, n_date, date_rows, old_rows = self.dates[col]
            if not n or n_date / n <= 0.5:
                continue
            if col == self.age_col:
                problems.append(translate(_MESSAGES, "birth_dates", lang, column=shown[col],
                                          rows=date_rows.text()))
            elif old_rows.count:
                problems.append(translate(_MESSAGES, "old_dates", lang, column=shown[col],
                                          cutoff=self.cutoff, rows=old_rows.text()))
        # Unknown columns of long free text (notes).
        for col in self.text_cols:
            n, chars, spaces = self.text[col]
            named = any(f"«{col}»" in p or f"'{col}'" in p for p in problems)
            if n and chars / n > 25 and spaces / n >= 3 and not named:
                problems.append(translate(_MESSAGES, "personal_header", lang, column=shown[col],
                                              kind=translate(_MESSAGES, "kind_free_text", lang)))
        return problems


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
    scan = PersonalScan(frame.columns, columns, unmatched, language=language, today=today,
                        start_date=start_date)
    scan.add(frame)
    return scan.problems()


def _years(values: pd.Series, today: _dt.date) -> pd.Series:
    """Year of each date-like string; two-digit years are 20yy unless that is in the future."""
    it = values.str.extract(r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{4}|\d{2})(?:\s.*)?$")[0]
    iso = values.str.extract(r"^(\d{4})-\d{1,2}-\d{1,2}")[0]
    y = pd.to_numeric(it.fillna(iso), errors="coerce")
    two = y < 100
    y = y.where(~two, np.where(2000 + y <= today.year, 2000 + y, 1900 + y))
    return y.fillna(9999)
