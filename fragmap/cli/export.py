"""``fragmap export``: the published figures as Excel, GeoPackage (QGIS) and CSV files."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click

from fragmap.cli._common import config_option, get_settings, handle_errors, main, month_option

FORMATS = ("xlsx", "gpkg", "csv")


@main.command(name="export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@config_option
@month_option()
@click.option("--format", "-f", "formats", type=click.Choice(FORMATS), multiple=True,
              help="File formats to write (repeat the option; default: all three).")
@click.option("--language", "-l", type=click.Choice(["it", "en"]), default=None,
              help="Language of column names and notes (default: the project's).")
@handle_errors
def export(folder: Path, config: Path | None, month: str | None, formats: tuple[str, ...],
           language: str | None) -> None:
    """Write the published (suppressed) figures of a month as files planners share.

    Excel (every month, the month, notes and credits), GeoPackage for QGIS (area polygons
    with the month's figures, the table, the notes) and CSV. Hidden counts are written as
    "< 5" or "n.d.". The files are audited like the published folder before they are
    moved into FOLDER; nothing is written if the audit finds anything.

    \b
    Example:
        fragmap export downloads/ --month 2026-10 --format xlsx --format gpkg
    """
    from fragmap import privacy
    from fragmap.pipeline import Project

    settings = get_settings(config)
    project = Project(settings)
    month = month or project.latest_month()
    pub = project.publication(month)
    base = f"rete_fragilita_{month}"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fragmap-export-", dir=folder) as tmp:
        staged = Path(tmp)
        for fmt in formats or FORMATS:
            {"xlsx": pub.to_excel, "gpkg": pub.to_gpkg, "csv": pub.to_csv}[fmt](
                str(staged / f"{base}.{fmt}"), language=language)
        result = privacy.audit_folder(staged, project.fingerprint(month), settings)
        result.raise_for_findings(f"{len(result.findings)} privacy finding(s) in the export: nothing written")
        written = []
        for p in sorted(staged.iterdir()):
            shutil.move(str(p), folder / p.name)
            written.append(p.name)
    click.echo(f"fragmap: {folder}: {', '.join(written)} ({result.files} files audited, nothing points at a person)")
