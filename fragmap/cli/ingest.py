"""``fragmap ingest``: read, check and store the partners' report files."""

from __future__ import annotations

from pathlib import Path

import click

from fragmap.cli._common import config_option, get_settings, handle_errors, main, quiet_option


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@quiet_option
@handle_errors
def ingest(files: tuple[Path, ...], config: Path | None, quiet: bool) -> None:
    """Read partner exports (CSV, XLSX, ODS), check them and add them to the private store.

    Rows with problems are kept aside with the reason (file, row, column) in
    data/private/scarti/ to fix and send again. A file that looks like it holds
    personal data (names, tax codes, phones, e-mails, birth dates, notes) is
    refused whole. Ingesting the same file twice changes nothing; a corrected
    file replaces the earlier version of its reports.

    \b
    Example:
        fragmap ingest export_auser_ottobre.csv export_le_torri.xlsx
    """
    from fragmap.ingest import ingest_files
    from fragmap.io.store import Store

    settings = get_settings(config)
    store = Store(settings.paths.store)
    result = ingest_files(list(files), settings, store=store)
    for f in result.files:
        if f.refused:
            click.secho(f.refused, fg="red", err=True)
            continue
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(f.reasons.items(), key=lambda kv: -kv[1])[:3])
        up = f.upsert
        click.echo(
            f"{f.file.name}: {f.read} rows, {f.accepted} accepted "
            f"({up.inserted} new, {up.updated} corrected, {up.unchanged} already stored), "
            f"{f.rejected} rejected" + (f" ({reasons})" if reasons else "")
        )
        if not quiet:
            for note in f.notes[:10]:
                click.echo(f"    note: {note}")
    if result.ledger is not None:
        click.echo(f"rejected rows to fix: {result.ledger}")
    if all(f.refused for f in result.files):
        raise SystemExit(1)
