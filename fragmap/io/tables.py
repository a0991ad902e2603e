"""Read the partners' spreadsheets (CSV, XLSX, ODS) into tables of strings.

Everything is read as text so nothing is lost or silently converted (a civic
number "3/B" stays "3/B", a date stays as typed); parsing belongs to
:mod:`fragmap.reports`. Row numbers are kept as the spreadsheet shows them:
the header is row 1, the first data row is row 2, blank rows still count.

CSV: the separator (``,`` ``;`` tab) is sniffed from the header line and the
encoding is UTF-8 (with or without BOM) or, failing that, cp1252 (Italian Excel
on Windows) with latin-1 as the last resort.

:func:`write_csv` writes a table for the coordinator (``;``-separated, UTF-8 with BOM so
Italian Excel opens it) atomically: a reader sees the old file or the new one, never half.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fragmap._errors import InputFileError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
ODS_SUFFIXES = {".ods"}
SUPPORTED = CSV_SUFFIXES | EXCEL_SUFFIXES | ODS_SUFFIXES


@dataclass(frozen=True)
class RawTable:
    """A spreadsheet read as text.

    Attributes
    ----------
    path : Path
        The file read.
    frame : pandas.DataFrame
        All cells as ``str`` ("" for empty), columns as in the header, index = spreadsheet
        row number (header = 1). Fully blank rows are dropped (their numbers are skipped).
    encoding, separator : str or None
        What was detected for CSV files (None for spreadsheets).
    """

    path: Path
    frame: pd.DataFrame
    encoding: str | None = None
    separator: str | None = None


def detect_encoding(data: bytes) -> str:
    """``utf-8-sig`` if the bytes are valid UTF-8, else ``cp1252``, else ``latin-1``."""
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff_separator(header_line: str) -> str:
    """The most frequent of ``;`` ``,`` tab in the header line (``;`` wins ties: Italian Excel)."""
    counts = {sep: header_line.count(sep) for sep in (";", "\t", ",")}
    best = max(counts.values())
    if best == 0:
        return ";"
    for sep in (";", "\t", ","):
        if counts[sep] == best:
            return sep
    return ";"  # pragma: no cover


def read_table(path: str | Path, *, sheet: str | int = 0) -> RawTable:
    """Read a CSV, XLSX or ODS file as a table of strings.

    Parameters
    ----------
    path : str or Path
        The file.
    sheet : str or int
        Sheet name or index for XLSX/ODS (default the first).

    Returns
    -------
    RawTable

    Raises
    ------
    InputFileError
        Missing file, unknown extension, unreadable content, or no header.

    Examples
    --------
    >>> t = read_table("segnalazioni.csv")      # doctest: +SKIP
    >>> t.separator, t.encoding                 # doctest: +SKIP
    (';', 'cp1252')
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found / file non trovato")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    if suffix in EXCEL_SUFFIXES | ODS_SUFFIXES:
        return _read_spreadsheet(path, sheet, engine="odf" if suffix in ODS_SUFFIXES else "openpyxl")
    raise InputFileError(
        f"{path}: unsupported file type {suffix!r}; save it as CSV, XLSX or ODS "
        f"/ formato non supportato: salvare come CSV, XLSX o ODS"
    )


def _read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise InputFileError(f"{path}: the file is empty / il file è vuoto")
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    sep = sniff_separator(first)
    try:
        frame = pd.read_csv(
            io.StringIO(text.lstrip("\ufeff")),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
            quotechar='"',
        )
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{path}: cannot read the CSV ({exc}); check that every row has the same number of "
            f"columns / impossibile leggere il CSV: controllare che ogni riga abbia le stesse colonne"
        ) from exc
    return RawTable(path, _finish(frame), encoding=encoding.replace("-sig", ""), separator=sep)


def _read_spreadsheet(path: Path, sheet: str | int, engine: str) -> RawTable:
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object, engine=engine, header=0)
    except Exception as exc:  # openpyxl/odf raise many kinds
        raise InputFileError(f"{path}: cannot read the spreadsheet ({exc})") from exc
    frame = frame.map(_cell_text)
    return RawTable(path, _finish(frame))


def _cell_text(v: object) -> str:
    """A spreadsheet cell as text: dates ISO, whole floats without ``.0``, empty for NaN."""
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return ""
    if isinstance(v, _dt.datetime):
        return v.date().isoformat() if v.time() == _dt.time() else v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _strip(col: pd.Series) -> pd.Series:
    """Strip spaces, each distinct value once (most columns repeat a few values)."""
    uniq = pd.unique(col.to_numpy())
    if len(uniq) * 2 > len(col):
        return col.str.strip()
    return col.map({u: u.strip() for u in uniq})


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.fillna("").astype(str)
    frame = frame.apply(_strip)
    frame.index = pd.RangeIndex(2, 2 + len(frame))  # spreadsheet row numbers
    blank = (frame == "").all(axis=1)
    frame = frame[~blank]
    # Columns pandas invented for empty header cells ("Unnamed: 3") that hold nothing.
    empty_unnamed = [c for c in frame.columns if c.startswith("Unnamed:") and (frame[c] == "").all()]
    return frame.drop(columns=empty_unnamed)


#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
#: (OWASP "CSV injection"): ``=`` ``+`` ``-`` ``@``, tab and carriage return.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """``value`` made inert for spreadsheets: text starting like a formula gets a leading ``'``.

    Numbers are left alone (a negative number is a number, not a formula); only text is
    changed, and only when it could be executed.

    Examples
    --------
    >>> print(neutralise_cell('=HYPERLINK("http://x","click")'))
    '=HYPERLINK("http://x","click")
    >>> neutralise_cell("via Roma 3"), neutralise_cell(-2.5)
    ('via Roma 3', -2.5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and header cannot run as spreadsheet formulas.

    Parameters
    ----------
    frame : DataFrame
        Any table about to be written for people to open in a spreadsheet.

    Returns
    -------
    DataFrame
        The same values, with :func:`neutralise_cell` applied to every text cell and
        column name.

    Examples
    --------
    >>> t = pd.DataFrame({"=id": ["=cmd|' /C calc'!A0", "12"], "n": [-1, 2]})
    >>> neutralise_formulas(t).to_dict("list")
    {"'=id": ["'=cmd|' /C calc'!A0", '12'], 'n': [-1, 2]}
    """
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, *, decimal: str = ",") -> Path:
    """Write a table for the coordinator: the one format of every CSV fragmap writes for people.

    ``;``-separated, UTF-8 with BOM and CRLF (Italian Excel opens it in columns, with
    accents), decimal comma, formula-looking text neutralised (:func:`neutralise_formulas`),
    written atomically: the table goes to a temporary file in the same folder, flushed to
    disk, then renamed over ``path``.

    Parameters
    ----------
    frame : DataFrame
        The table; its column names are the header.
    path : str or Path
        Destination (its folder is created when missing).
    decimal : str
        Decimal separator for floats (``,`` for Italian spreadsheets).

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = neutralise_formulas(frame)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            safe.to_csv(fh, sep=";", index=False, lineterminator="\r\n", decimal=decimal)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
