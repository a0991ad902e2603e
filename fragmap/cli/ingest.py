"""``fragmap ingest``: read, check and store the partners' report files."""

from __future__ import annotations

from pathlib import Path

import click

from fragmap.cli._common import config_option, get_settings, handle_errors, main, quiet_option
from fragmap.i18n import translate

_MESSAGES: dict[str, dict[str, str]] = {
    "file_line": {
        "it": "{file}: righe lette {read}, accettate {accepted} (nuove {new}, corrette {corrected}, "
              "già presenti {unchanged}), scartate {rejected}{reasons}",
        "en": "{file}: {read} rows read, {accepted} accepted ({new} new, {corrected} corrected, "
              "{unchanged} already stored), {rejected} rejected{reasons}",
    },
    "no_ids": {"it": "    attenzione: {note}", "en": "    warning: {note}"},
    "collisions": {
        "it": "    ATTENZIONE: {n} {n|segnalazione ha|segnalazioni hanno} ID e mese già usati da segnalazioni diverse di "
              "{files}: sono tenute entrambe come segnalazioni distinte (ID ricominciati da capo in "
              "ogni file). Se questo file voleva correggerle, rinviate invece il file originale "
              "corretto con il suo nome.",
        "en": "    WARNING: {n} {n|report reuses|reports reuse} the ID and month of different reports in {files}: both "
              "are kept as distinct reports (IDs restarted in each file). If this file was meant to "
              "correct them, resend the original file, corrected, under its own name instead.",
    },
    "note": {"it": "    nota: {note}", "en": "    note: {note}"},
    "ledger": {
        "it": "righe scartate da correggere (tutti i file e gli invii): {n}, elencate in {path}",
        "en": "rejected rows to fix (all files and runs): {n}, listed in {path}",
    },
    "ledger_empty": {"it": "nessuna riga scartata da correggere", "en": "no rejected rows to fix"},
}


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@quiet_option
@handle_errors
def ingest(files: tuple[Path, ...], config: Path | None, quiet: bool) -> None:
    """Read partner exports (CSV, XLSX, ODS), check them and add them to the private store.

    Rows with problems are kept aside with the reason (file, row, column) in
    data/private/scarti/scarti.csv, one list for all files, to fix and send again.
    A file that looks like it holds personal data (names, tax codes, phones,
    e-mails, birth dates, notes) is refused whole. Ingesting the same file twice
    changes nothing; a corrected file replaces the earlier version of its reports.
    Messages follow the project language (fragmap.toml, [project] language).

    \b
    Example:
        fragmap ingest export_auser_ottobre.csv export_le_torri.xlsx
    """
    from fragmap.ingest import ingest_files
    from fragmap.io.store import Store
    from fragmap.reports import no_id_note, reason_label

    settings = get_settings(config)
    lang = settings.language
    store = Store(settings.paths.store, language=lang)
    result = ingest_files(list(files), settings, store=store)
    for f in result.files:
        if f.refused:
            click.secho(f.refused, fg="red", err=True)
            continue
        # every reason, with the rows it concerns (a row with two problems counts under both)
        ranked = sorted(f.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        reasons = ", ".join(f"{reason_label(k, lang)} {v}" for k, v in ranked)
        up = f.upsert
        if up is None:  # pragma: no cover - every file not refused was stored
            continue
        click.echo(translate(
            _MESSAGES, "file_line", lang, file=f.file.name, read=f.read, accepted=f.accepted,
            new=up.inserted, corrected=up.updated, unchanged=up.unchanged, rejected=f.rejected,
            reasons=f" ({reasons})" if reasons else "",
        ))
        if up.collisions:
            click.secho(translate(_MESSAGES, "collisions", lang, n=up.collisions,
                                  files=", ".join(up.collision_files)), fg="yellow", err=True)
        skip = no_id_note(lang)
        if not f.has_ids:
            click.echo(translate(_MESSAGES, "no_ids", lang, note=skip))
        if not quiet:
            for note in f.notes:
                if note != skip:
                    click.echo(translate(_MESSAGES, "note", lang, note=note))
    if result.ledger_rows:
        click.echo(translate(_MESSAGES, "ledger", lang, n=result.ledger_rows, path=result.ledger))
    else:
        click.echo(translate(_MESSAGES, "ledger_empty", lang))
    if all(f.refused for f in result.files):
        raise SystemExit(1)
