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
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fragmap._errors import InputFileError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
ODS_SUFFIXES = {".ods"}


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
    notes : tuple of str
        Hints for the coordinator about how the file was read (merged cells...).
    """

    path: Path
    frame: pd.DataFrame
    encoding: str | None = None
    separator: str | None = None
    notes: tuple[str, ...] = ()


def detect_encoding(data: bytes) -> str:
    """``utf-16`` for Excel's "Testo Unicode" (a UTF-16 byte-order mark, or NUL bytes
    every other byte), ``utf-8-sig`` if the bytes are valid UTF-8, else ``cp1252``, else
    ``latin-1``.

    Examples
    --------
    >>> detect_encoding("Data;Indirizzo".encode("utf-16")), detect_encoding("Città".encode("cp1252"))
    ('utf-16', 'cp1252')
    """
    view = memoryview(data)
    return _detect_encoding(data[:4096], lambda: (view[i:i + _BLOCK] for i in range(0, len(data), _BLOCK)))


#: Bytes read at a time when a file is checked without being loaded.
_BLOCK = 1 << 20


def _detect_encoding(head: bytes, blocks: Callable[[], Iterable[bytes | memoryview]]) -> str:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4:
        return "utf-16-be"
    if _decodes_blocks(blocks(), "utf-8"):
        return "utf-8-sig"
    if _decodes_blocks(blocks(), "cp1252"):
        return "cp1252"
    return "latin-1"


def _file_blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            yield block


def _decodes(data: bytes, encoding: str, chunk: int = _BLOCK) -> bool:
    """Whether ``data`` decodes, checked 1 MB at a time (no copy of a large file as text)."""
    view = memoryview(data)
    return _decodes_blocks((view[i:i + chunk] for i in range(0, len(data), chunk)), encoding)


def _decodes_blocks(blocks: Iterable[bytes | memoryview], encoding: str) -> bool:
    import codecs

    dec = codecs.getincrementaldecoder(encoding)()
    try:
        for block in blocks:
            dec.decode(block, final=False)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


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
    >>> t = read_table("data/synthetic/segnalazioni_sintetiche_anffas.csv")
    >>> t.separator, t.encoding
    (';', 'cp1252')
    """
    stream = open_table(path, sheet=sheet)
    parts = list(stream)
    frame = pd.concat(parts, copy=False) if len(parts) > 1 else parts[0]
    # Columns pandas invented for empty header cells ("Unnamed: 3") that hold nothing.
    empty_unnamed = [c for c in frame.columns if c.startswith("Unnamed:") and (frame[c] == "").all()]
    return RawTable(stream.path, frame.drop(columns=empty_unnamed), encoding=stream.encoding,
                    separator=stream.separator, notes=stream.notes)


@dataclass
class TableStream:
    """A spreadsheet read a chunk of rows at a time: iterate it for the chunks.

    Each chunk is a frame as :attr:`RawTable.frame` describes (cells as stripped ``str``,
    index = spreadsheet row numbers, fully blank rows dropped), with every column of the
    header, also the ``Unnamed: n`` ones that may turn out empty in the whole file
    (:func:`read_table` drops those). A CSV is parsed as it is iterated, so a problem further
    down the file (a row longer than the header) raises :class:`InputFileError` then;
    XLSX/ODS files (size-checked) come as one chunk.

    Attributes
    ----------
    path : Path
    columns : list of str
        The header (after title rows above it are skipped).
    encoding, separator : str or None
        What was detected for CSV files.
    notes : tuple of str
        Hints about how the file was read.
    """

    path: Path
    columns: list[str]
    encoding: str | None
    separator: str | None
    notes: tuple[str, ...]
    _chunks: Iterator[pd.DataFrame]

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self._chunks


def open_table(path: str | Path, *, sheet: str | int = 0, chunk_rows: int | None = None) -> TableStream:
    """Open a CSV, XLSX or ODS file to read it a chunk of rows at a time.

    Parameters
    ----------
    path : str or Path
        The file.
    sheet : str or int
        Sheet name or index for XLSX/ODS (default the first).
    chunk_rows : int, optional
        Rows per CSV chunk (default :data:`CSV_CHUNK_ROWS`).

    Returns
    -------
    TableStream

    Raises
    ------
    InputFileError
        As :func:`read_table` (also while iterating, for a CSV row longer than the header).

    Examples
    --------
    >>> stream = open_table("segnalazioni.csv", chunk_rows=50_000)   # doctest: +SKIP
    >>> sum(len(chunk) for chunk in stream)                           # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found / file non trovato")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _open_csv(path, chunk_rows or CSV_CHUNK_ROWS)
    if suffix in EXCEL_SUFFIXES | ODS_SUFFIXES:
        table = _read_spreadsheet(path, sheet, engine="odf" if suffix in ODS_SUFFIXES else xlsx_engine())
        return TableStream(path, list(table.frame.columns), None, None, table.notes, iter([table.frame]))
    raise InputFileError(
        f"{path}: unsupported file type {suffix!r}; save it as CSV, XLSX or ODS "
        f"/ formato non supportato: salvare come CSV, XLSX o ODS"
    )


def _open_csv(path: Path, chunk_rows: int) -> TableStream:
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not any(block.strip() for block in _file_blocks(path)):
        raise InputFileError(f"{path}: the file is empty / il file è vuoto")
    encoding = _detect_encoding(head[:4096], lambda: _file_blocks(path))
    if not _decodes_blocks(_file_blocks(path), encoding):
        raise InputFileError(
            f"{path}: the text encoding cannot be read ({encoding}); save it again as "
            f"'CSV UTF-8' / codifica del testo illeggibile: salvarlo di nuovo come «CSV UTF-8»"
        )
    first = head.decode(encoding, errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    sep = sniff_separator(first)
    chunks = _csv_chunks(path, encoding, sep, chunk_rows)
    columns = next(chunks)  # the header, once title rows above it are skipped
    return TableStream(path, columns, encoding.replace("-sig", ""), sep, (), chunks)


#: Rows parsed at a time: each chunk's cells are stripped and shared (one ``str`` per distinct
#: value of a column) before the next is parsed; ingest validates and stores a chunk before
#: reading the next, so its memory stays a small multiple of one chunk.
CSV_CHUNK_ROWS = 100_000


def _csv_chunks(path: Path, encoding: str, sep: str, chunk_rows: int) -> Iterator[Any]:
    """The header (first item), then the file's chunks as :class:`TableStream` describes."""
    import warnings

    reader = pd.read_csv(
        path,
        encoding=encoding,
        sep=sep,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        engine="c",
        quotechar='"',
        # rows ending with an extra separator ("1;2;3;") must not shift every column
        index_col=False,
        iterator=True,
    )
    shared: dict[str, dict[str, str] | None] = {}

    def parse(n: int) -> pd.DataFrame | None:
        try:
            with warnings.catch_warnings():
                # pandas warns (and drops the values) when a row has more values than the header
                warnings.simplefilter("error", pd.errors.ParserWarning)
                chunk = reader.get_chunk(n)
        except StopIteration:
            return None
        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
            reader.close()
            rows = _rows_longer_than_header(path, encoding, sep)
            where = f" (rows / righe {', '.join(map(str, rows[:5]))}{' …' if len(rows) > 5 else ''})" if rows else ""
            raise InputFileError(
                f"{path}: some rows have more values than the header has columns{where}; check the "
                f"separators and add the missing column names / alcune righe hanno più valori delle "
                f"colonne dell'intestazione{where.replace('rows / righe', 'righe')}: controllare i separatori "
                f"e aggiungere i nomi di colonna mancanti"
            ) from exc
        for c in chunk.columns:
            chunk[c] = _shared_strip(chunk[c], shared, c)
        chunk.columns = [c.lstrip("\ufeff") if isinstance(c, str) else c for c in chunk.columns]
        return chunk

    with reader:
        # the first chunk holds the rows where a real header below title rows is looked for
        first = parse(max(chunk_rows, HEADER_SEARCH_ROWS + 1))
        if first is None:  # pragma: no cover - pandas raises EmptyDataError before
            raise InputFileError(f"{path}: the file is empty / il file è vuoto")
        titled = _find_header(first)
        labels = list(titled.columns)
        header_row = int(titled.attrs.get("header_row", 1))
        yield [str(c).strip() for c in labels]
        next_row = header_row + 1
        chunk: pd.DataFrame | None = titled
        while chunk is not None:
            if chunk is not titled:
                chunk.columns = labels
            chunk = _finish(chunk, first_row=next_row, stripped=titled is first)
            next_row += int(chunk.attrs["rows"])
            yield chunk
            chunk = parse(chunk_rows)


def _shared_strip(col: pd.Series, shared: dict[str, dict[str, str] | None], name: str) -> pd.Series:
    """Strip a column's cells, one shared ``str`` per distinct value (columns repeat a few
    values: a date, a category, an association). A column of mostly distinct values (ids)
    is only stripped (``shared[name]`` becomes None)."""
    seen = shared.setdefault(name, {})
    if seen is None:
        return col.str.strip()
    uniq = pd.unique(col.to_numpy())
    if (len(uniq) * 2 > len(col) and len(col) > 1000) or len(seen) > 200_000:
        shared[name] = None
        return col.str.strip()
    table = {u: seen.setdefault(u, u.strip()) if isinstance(u, str) else u for u in uniq}
    return col.map(table)


def _rows_longer_than_header(path: Path, encoding: str, sep: str) -> list[int]:
    """Spreadsheet rows (header = 1) holding values beyond the header's columns (the file is
    read as a stream, never whole)."""
    import csv

    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=sep, quotechar='"')
        width = len(next(reader, []))
        out = []
        for n, row in enumerate(reader, start=2):
            if len(row) > width and any(c.strip() for c in row[width:]):
                out.append(n)
    return out


def _find_header(frame: pd.DataFrame) -> pd.DataFrame:
    """Skip title rows typed above the header ("Segnalazioni ottobre", blank lines...).

    When most header cells are empty, the first of the next :data:`HEADER_SEARCH_ROWS` rows
    that fills most columns is the header; the frame is re-labelled with it, and the index
    keeps the spreadsheet's row numbers (after :func:`_finish`).
    """
    cols = [str(c) for c in frame.columns]
    unnamed = sum(c.startswith("Unnamed:") or not c.strip() for c in cols)
    if len(cols) < 3 or unnamed * 2 < len(cols):
        return frame
    head = frame.head(HEADER_SEARCH_ROWS).fillna("").astype(str)
    filled = (head.apply(lambda c: c.str.strip()) != "").sum(axis=1)
    named = len(cols) - unnamed
    for pos, n in enumerate(filled.to_numpy()):
        if n > named and n * 5 >= len(cols) * 3:
            labels = [v.strip() or f"Unnamed: {i}" for i, v in enumerate(head.iloc[pos])]
            seen: dict[str, int] = {}
            for i, lab in enumerate(labels):
                if lab in seen:
                    seen[lab] += 1
                    labels[i] = f"{lab}.{seen[lab]}"
                else:
                    seen[lab] = 0
            body = frame.iloc[pos + 1:].copy()
            body.columns = labels
            body.attrs["header_row"] = pos + 2  # the spreadsheet row of the real header
            return body
    return frame


def xlsx_engine() -> str:
    """The pandas engine that reads XLSX: ``calamine`` when python-calamine is installed.

    python-calamine (Rust, wheels for Windows, macOS and Linux) reads a sheet about nine times
    faster than openpyxl (10,000 rows: 0.7 s instead of 6.5 s) and gives the same cells
    (dates and durations as pandas' own types, made plain by :func:`_cell_text`), empty rows
    above the header included, so row numbers do not move. openpyxl stays the fallback.
    """
    import importlib.util

    return "calamine" if importlib.util.find_spec("python_calamine") is not None else "openpyxl"


def _read_spreadsheet(path: Path, sheet: str | int, engine: str) -> RawTable:
    notes = check_spreadsheet_size(path)
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object, engine=engine, header=0)
    except MemoryError as exc:
        raise InputFileError(
            f"{path}: the spreadsheet is too large for this computer's memory; split it by month "
            f"/ il foglio è troppo grande per la memoria di questo computer: dividerlo per mese"
        ) from exc
    except Exception as exc:  # openpyxl/calamine/odf raise many kinds
        raise InputFileError(f"{path}: cannot read the spreadsheet ({exc})") from exc
    if frame.dropna(how="all").empty and sheet == 0:
        others = _other_sheets_with_data(path, engine)
        if others:
            names = ", ".join(f"«{n}»" for n in others[:5])
            raise InputFileError(
                f"{path}: the first sheet is empty; the data are on sheet {names}: move them to "
                f"the first sheet / il primo foglio è vuoto, i dati sono nel foglio {names}: "
                f"spostarli nel primo foglio"
            )
    frame = frame.map(_cell_text)
    frame = _find_header(frame)
    frame = _finish(frame, first_row=int(frame.attrs.get("header_row", 1)) + 1)
    empty_unnamed = [c for c in frame.columns if c.startswith("Unnamed:") and (frame[c] == "").all()]
    return RawTable(path, frame.drop(columns=empty_unnamed), notes=tuple(notes))


#: Limits checked before a spreadsheet is parsed (XLSX and ODS are zip files of XML: a
#: few MB can expand to GBs and exhaust the memory). A real export of a partner is far below.
MAX_UNCOMPRESSED_BYTES = 200 * 1024**2
MAX_COMPRESSION_RATIO = 150
MAX_ROWS = 500_000
#: How many rows under a mostly empty first row are searched for the real header.
HEADER_SEARCH_ROWS = 10


def check_spreadsheet_size(path: str | Path) -> list[str]:
    """Refuse an XLSX/ODS whose content expands beyond the limits, before parsing it.

    Checks the uncompressed size of every part of the zip (:data:`MAX_UNCOMPRESSED_BYTES`,
    :data:`MAX_COMPRESSION_RATIO`) and, for XLSX, the rows each sheet declares
    (:data:`MAX_ROWS`). Returns notes for the coordinator (merged cells found).

    Raises
    ------
    InputFileError
        The file is not a valid spreadsheet or is too large; the message says what to do.
    """
    import re
    import zipfile

    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(
            f"{path}: not a valid XLSX/ODS file (damaged, or another format renamed); open it and "
            f"save it again / file XLSX/ODS non valido (danneggiato o rinominato): aprirlo e salvarlo di nuovo"
        ) from exc
    notes: list[str] = []
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > MAX_UNCOMPRESSED_BYTES or (total > 10 * 1024**2 and total / packed > MAX_COMPRESSION_RATIO):
            raise InputFileError(
                f"{path}: the spreadsheet expands to {total / 1024**2:.0f} MB (limit "
                f"{MAX_UNCOMPRESSED_BYTES // 1024**2} MB): it is too large or damaged; export only "
                f"the report columns, one month per file / il foglio si espande a "
                f"{total / 1024**2:.0f} MB (limite {MAX_UNCOMPRESSED_BYTES // 1024**2} MB): troppo "
                f"grande o danneggiato; esportare solo le colonne delle segnalazioni, un mese per file"
            )
        for info in infos:
            if not re.fullmatch(r"xl/worksheets/sheet\d+\.xml", info.filename):
                continue
            with zf.open(info) as fh:
                head = fh.read(4096).decode("utf-8", "replace")
            m = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
            if m and int(m.group(1)) > MAX_ROWS:
                raise InputFileError(
                    f"{path}: a sheet declares {int(m.group(1)):,} rows (limit {MAX_ROWS:,}); "
                    f"split the file / un foglio dichiara {int(m.group(1)):,} righe (limite "
                    f"{MAX_ROWS:,}): dividere il file"
                )
            if info.filename == "xl/worksheets/sheet1.xml" and info.file_size < 50 * 1024**2:
                with zf.open(info) as fh:
                    if b"<mergeCell " in fh.read():
                        notes.append(
                            "the first sheet has merged cells: only the first cell of each merged "
                            "group holds the value, the others are read as empty / il primo foglio "
                            "ha celle unite: solo la prima cella di ogni gruppo ha il valore, le "
                            "altre risultano vuote (separare le celle e ripetere il valore)"
                        )
    return notes


def _other_sheets_with_data(path: Path, engine: str) -> list[str]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine=engine, header=None)
    except Exception:  # noqa: BLE001 - only a hint
        return []
    return [str(n) for n, f in list(sheets.items())[1:] if not f.dropna(how="all").empty]


def _cell_text(v: object) -> str:
    """A spreadsheet cell as text: dates ISO, whole floats without ``.0``, empty for NaN."""
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timedelta):  # calamine's durations: written as openpyxl's (1 day, 6:00:00)
        v = v.to_pytimedelta()
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


def _finish(frame: pd.DataFrame, *, first_row: int, stripped: bool = False) -> pd.DataFrame:
    """Cells as stripped text, the index as spreadsheet row numbers from ``first_row``, fully
    blank rows dropped (their numbers skipped); ``attrs["rows"]`` is how many rows came in."""
    n = len(frame)
    frame.columns = [str(c).strip() for c in frame.columns]
    if not stripped:  # CSV chunks arrive as stripped text already (see _csv_chunks)
        frame = frame.fillna("").astype(str)
        frame = frame.apply(_strip)
    frame.index = pd.RangeIndex(first_row, first_row + n)  # spreadsheet row numbers
    blank = (frame == "").all(axis=1)
    frame = frame[~blank]
    frame.attrs["rows"] = n
    return frame


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
