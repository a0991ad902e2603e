"""Passwords, file names and uploaded-file checks for the desk (pure apart from reading the upload)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fragmap.i18n import translate

_HASHER = PasswordHasher()

#: File types the intake reads (same as ``fragmap ingest``).
ALLOWED_SUFFIXES = (".csv", ".xlsx", ".ods")
#: Largest uncompressed size of a spreadsheet (XLSX/ODS are zip archives).
MAX_UNZIPPED = 200 * 1024 * 1024
#: Largest compression ratio of one member: above it the archive is a zip bomb.
MAX_RATIO = 150
MAX_MEMBERS = 5000
MIN_PASSWORD = 10

MESSAGES: dict[str, dict[str, str]] = {
    "bad_type": {
        "it": "«{name}»: tipo di file non accettato; inviare un foglio CSV, XLSX o ODS",
        "en": "«{name}»: file type not accepted; send a CSV, XLSX or ODS sheet",
    },
    "too_big": {
        "it": "«{name}»: file troppo grande ({mb} MB); il massimo è {max} MB. Dividerlo per mese",
        "en": "«{name}»: file too large ({mb} MB); the maximum is {max} MB. Split it by month",
    },
    "empty": {"it": "«{name}»: il file è vuoto", "en": "«{name}»: the file is empty"},
    "not_sheet": {
        "it": "«{name}»: il file non è un foglio {kind} valido (salvarlo di nuovo dal programma di fogli di calcolo)",
        "en": "«{name}»: the file is not a valid {kind} sheet (save it again from the spreadsheet program)",
    },
    "bomb": {
        "it": "«{name}»: il foglio si espande a dimensioni anomale (archivio sospetto): rifiutato",
        "en": "«{name}»: the sheet expands to an abnormal size (suspicious archive): refused",
    },
    "binary_csv": {
        "it": "«{name}»: il file non è un testo CSV (contiene dati binari)",
        "en": "«{name}»: the file is not CSV text (it holds binary data)",
    },
    "short_password": {
        "it": "la password deve avere almeno {n} caratteri",
        "en": "the password must have at least {n} characters",
    },
}


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (argon2-cffi's defaults)."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (never raises)."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, language: str = "it") -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return translate(MESSAGES, "short_password", language, n=MIN_PASSWORD)
    return None


def safe_file_name(name: str, *, max_length: int = 80) -> str:
    """A file name safe to store and show: no folders, no control or markup characters.

    Examples
    --------
    >>> safe_file_name("../../etc/passwd")
    'passwd'
    >>> safe_file_name('<script>alert(1)</script>.csv')     # the last "/" starts the name
    'script.csv'
    >>> safe_file_name('ottobre <b>"2026"</b>.csv'.replace("/", ""))
    'ottobre_b_2026_b.csv'
    >>> safe_file_name("C:\\\\Users\\\\Anna\\\\ottobre 2026.xlsx")
    'ottobre_2026.xlsx'
    """
    name = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("_.") or "file"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()[:8]
    stem = stem[: max_length - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(name: str, data: bytes, *, max_bytes: int, language: str = "it") -> str | None:
    """Why an uploaded file is refused before the intake reads it, or None.

    Checks the type (suffix and content), the size, and for XLSX/ODS the archive itself:
    a corrupt archive, too many members or a member that expands far beyond its size
    (a zip bomb) are refused without unpacking anything.
    """
    lang = language
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        return translate(MESSAGES, "bad_type", lang, name=name)
    if not data:
        return translate(MESSAGES, "empty", lang, name=name)
    if len(data) > max_bytes:
        return translate(MESSAGES, "too_big", lang, name=name, mb=f"{len(data) / 2**20:.1f}",
                         max=f"{max_bytes / 2**20:.0f}")
    if suffix == ".csv":
        head = data[:65536]
        if b"\x00" in head or head.startswith(b"PK\x03\x04"):
            return translate(MESSAGES, "binary_csv", lang, name=name)
        return None
    kind = suffix[1:].upper()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS:
                return translate(MESSAGES, "bomb", lang, name=name)
            total = 0
            for m in members:
                total += m.file_size
                if m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                    return translate(MESSAGES, "bomb", lang, name=name)
            if total > MAX_UNZIPPED:
                return translate(MESSAGES, "bomb", lang, name=name)
            names = {m.filename for m in members}
            needed = "xl/workbook.xml" if suffix == ".xlsx" else "content.xml"
            if needed not in names:
                return translate(MESSAGES, "not_sheet", lang, name=name, kind=kind)
    except (zipfile.BadZipFile, OSError, ValueError):
        return translate(MESSAGES, "not_sheet", lang, name=name, kind=kind)
    return None
