"""Atomic publication of the output folder, and the run manifest.

The published folder (``settings.paths.output``, ``maps/`` by default) is never
edited in place: a run builds everything in a sibling temporary folder, the
privacy audit checks it, and only then is it swapped in with two renames. A
failed build or audit leaves last month's folder untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fragmap._errors import OutputFolderError

OUTPUT_README = """# maps/

Generated output of `fragmap run` (the published map and atlas). This folder is rebuilt
as a whole each month: do not edit files here, they are replaced.
Nothing here contains a report's location or a count under the privacy threshold;
`fragmap check-published maps/` proves it.
"""


#: The file that marks a folder as built by fragmap: only such a folder is ever replaced.
MARKER = ".fragmap-pubblicazione.txt"  # text, so the audit reads it like every published file
_MARKER_TEXT = "Cartella costruita da fragmap: viene sostituita per intero a ogni esecuzione.\n"

_NOT_OURS = {
    "it": "{folder} esiste e non è una cartella pubblicata da fragmap (contiene per esempio «{example}»): "
          "fragmap sostituisce per intero la cartella di uscita e non cancella file che non ha scritto. "
          "Scegliere una cartella nuova o vuota.",
    "en": "{folder} exists and is not a folder fragmap published (it holds e.g. «{example}»): fragmap "
          "replaces its output folder as a whole and never deletes files it did not write. Choose a new "
          "or empty folder.",
}


def check_replaceable(folder: Path, language: str = "it") -> None:
    """Refuse to replace ``folder`` unless fragmap built it (or it is missing or empty).

    A folder is fragmap's when it holds the :data:`MARKER` file (every folder built through
    :func:`staging_folder` has it) or, for publications of earlier versions, a
    ``manifest.json``; the repository's own ``maps/README.md`` alone is also accepted.

    Raises
    ------
    OutputFolderError
        Naming the folder and one of the files it would have deleted.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> check_replaceable(d)            # empty: fine
    >>> _ = (d / "tesi.docx").write_text("mine")
    >>> check_replaceable(d)
    Traceback (most recent call last):
    ...
    fragmap._errors.OutputFolderError: ...
    """
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputFolderError(_NOT_OURS.get(language, _NOT_OURS["it"]).format(folder=folder, example=folder.name))
    names = sorted(p.name for p in folder.iterdir())
    if not names or MARKER in names or "manifest.json" in names or names == ["README.md"]:
        return
    raise OutputFolderError(_NOT_OURS.get(language, _NOT_OURS["it"]).format(folder=folder, example=names[0]))


@contextmanager
def staging_folder(output: Path) -> Iterator[Path]:
    """A fresh temporary folder beside ``output`` (same file system, so rename is atomic).

    The folder carries :data:`MARKER`, so a later run may replace it once published. It is
    removed on exit unless :func:`swap_in` moved it into place.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    (tmp / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def swap_in(staged: Path, output: Path, *, language: str = "it") -> None:
    """Replace ``output`` by ``staged`` with two renames; the old folder is then deleted.

    If the process dies between the renames, :func:`recover` (called at the start of
    every run) puts the previous folder back.
    """
    staged, output = Path(staged), Path(output)
    (staged / "README.md").write_text(OUTPUT_README, encoding="utf-8")
    replace_folder(staged, output, language=language)


def replace_folder(staged: Path, output: Path, *, language: str = "it") -> None:
    """Put ``staged`` in place of ``output`` with two renames, then delete the old folder.

    Only a folder fragmap built is ever deleted (:func:`check_replaceable`); anything else
    raises :class:`~fragmap._errors.OutputFolderError` before a file is touched.
    """
    staged, output = Path(staged), Path(output)
    check_replaceable(output, language)
    old = output.parent / f".{output.name}.previous"
    if old.exists():
        shutil.rmtree(old)
    if output.exists():
        os.replace(output, old)
    os.replace(staged, output)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def recover(output: Path) -> bool:
    """Restore the previous published folder if a swap was interrupted. True if it did."""
    output = Path(output)
    old = output.parent / f".{output.name}.previous"
    if old.exists() and not output.exists():
        os.replace(old, output)
        return True
    return False


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: Path, data: Any) -> None:
    """Write JSON deterministically (sorted keys, UTF-8, trailing newline)."""
    Path(path).write_text(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )


def clean_stale_builds(output: Path) -> list[Path]:
    """Delete the staging folders (``.<output>.build-*``) that a killed run left beside ``output``.

    Call it only while holding the project's run lock (:func:`fragmap.io.guard.run_lock`):
    then no other run is building, and every staging folder is a leftover. Returns the
    folders removed.
    """
    output = Path(output)
    removed = []
    if not output.parent.exists():
        return removed
    for p in sorted(output.parent.glob(f".{output.name}.build-*")):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed
