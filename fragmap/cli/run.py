"""``fragmap run``, ``fragmap map`` and ``fragmap atlas``: the monthly job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fragmap.i18n import format_number
from fragmap.cli._common import (
    config_option,
    get_settings,
    handle_errors,
    main,
    month_option,
    quiet_option,
)


#: Italian words for the stage names and figures the pipeline reports (English: the keys).
_STEP_WORDS_IT = {
    "ingest": "lettura", "services": "servizi", "quarters": "aree", "geocode": "geocodifica",
    "assign": "assegnazione", "privacy": "riservatezza", "access": "accessibilità", "map": "mappa",
    "atlas": "atlante", "audit": "verifica", "publish": "pubblicazione",
    "files": "file", "read": "righe lette", "accepted": "accettate", "rejected": "scartate",
    "duplicates": "doppioni", "refused_files": "file rifiutati", "files_without_ids": "file senza id",
    "inserted": "nuove", "updated": "corrette", "unchanged": "già presenti",
    "collisions": "ID già usato da un altro file (tenute entrambe)", "ledger_rows": "nel registro scarti",
    "unlocated": "non localizzati", "source": "fonte", "reports": "segnalazioni", "assigned": "con area",
    "unassigned": "senza area", "cells": "celle", "suppressed": "nascoste", "method": "metodo",
    "pages": "pagine", "findings": "problemi", "output": "cartella", "check": "controllo",
    "network": "rete stradale", "up_to_date": "invariato",
    "where_next_greedy": "nuovo sportello: raggiunte dalla classifica", "where_next_optimal": "dall'insieme ottimo",
    "notes": "note", "level": "livello",
    "level_coordinate": "coordinate", "level_civico": "civico", "level_via": "via",
    "level_quartiere": "quartiere", "level_comune": "solo comune", "level_non_trovato": "non trovate",
}


class _Steps:
    """Progress for the CLI: a rich bar over the pipeline stages, one line per finished stage."""

    def __init__(self, quiet: bool, language: str = "it") -> None:
        self.quiet = quiet
        self.words = _STEP_WORDS_IT if language == "it" else {}
        self.progress: Any = None
        self.task: Any = None
        self.seen: set[str] = set()

    def __enter__(self) -> _Steps:
        if not self.quiet:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            from fragmap.pipeline import STAGES

            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("fragmap run", total=len(STAGES))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, stage: str, figures: dict[str, Any]) -> None:
        if self.progress is None:
            return
        w = self.words
        from fragmap.i18n import format_number

        def value(v: Any) -> str:
            return format_number(v, "it") if w and isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)

        shown = ", ".join(f"{w.get(k, k)} {value(v)}" for k, v in figures.items() if not isinstance(v, (dict, list)))
        self.progress.console.print(f"  {w.get(stage, stage):<13} {shown}")
        self.seen.add(stage)
        self.progress.update(self.task, completed=len(self.seen), description=w.get(stage, stage))


@main.command()
@config_option
@month_option()
@quiet_option
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed since the last run.")
@click.option("--tiles", metavar="URL", default=None,
              help="Online base map under the areas of the interactive map (tile URL or provider name; "
              "default: none, the map draws offline on a plain background).")
@handle_errors
def run(config: Path | None, month: str | None, quiet: bool, force: bool, tiles: str | None) -> None:
    """Run the whole monthly job and publish the map and the atlas.

    Reads the partners' files, checks them, geocodes, counts by quarter, hides
    small counts, renders the map and the atlas, audits them for privacy and
    only then replaces the published folder (maps/ by default).

    \b
    Example:
        fragmap run --month 2026-10
        fragmap run -c /percorso/progetto/fragmap.toml --quiet
    """
    from fragmap.desk.db import stored_corrections

    settings = get_settings(config)
    fixes = stored_corrections(settings.paths.store)  # address corrections made in the desk
    it = settings.language == "it"

    def unchanged(last_month: str, output: Path) -> None:
        click.echo(
            f"fragmap: nessuna novità dall'ultima esecuzione ({last_month}); {output} invariata "
            "(--force per ricostruire)" if it else
            f"fragmap: nothing changed since the last run ({last_month}); {output} kept "
            "(use --force to rebuild)"
        )

    if not force and (fixes is None or not len(fixes)):  # decided before importing the pipeline
        from fragmap.freshness import unchanged_manifest

        previous = unchanged_manifest(settings, month, tiles=tiles)
        if previous is not None:
            unchanged(previous.get("month", month or ""), settings.paths.output)
            return
    from fragmap.pipeline import run as run_pipeline

    with _Steps(quiet, settings.language) as steps:
        result = run_pipeline(settings, month=month, on_step=steps, force=force, tiles=tiles,
                              address_corrections=fixes)
    if result.up_to_date:
        unchanged(result.month, result.output)
        return
    c = result.manifest["counts"]
    n = {k: format_number(c.get(k), settings.language) for k in ("accepted", "quarters", "suppressed_cells",
                                                                   "published_cells", "unassigned")}
    click.echo(
        f"fragmap: {result.month} pubblicato in {result.output} in {result.seconds:.1f} s "
        f"({n['accepted']} segnalazioni, {n['quarters']} aree, {n['suppressed_cells']} celle nascoste "
        f"su {n['published_cells']}, {n['unassigned']} segnalazioni degli ultimi 12 mesi senza area)"
        + (" [dati dimostrativi sintetici]" if settings.synthetic else "")
        if it else
        f"fragmap: {result.month} published to {result.output} in {result.seconds:.1f} s "
        f"({n['accepted']} reports, {n['quarters']} areas, {n['suppressed_cells']} of "
        f"{n['published_cells']} cells hidden, {n['unassigned']} reports of the last 12 months without an area)"
        + (" [synthetic demo data]" if settings.synthetic else "")
    )
    towns = result.output / "comuni"
    if "comuni" in settings.levels and towns.is_dir():  # [project] levels: each town alone too
        names = ", ".join(sorted(p.name for p in towns.iterdir() if p.is_dir()))
        click.echo(f"  ogni comune da solo in {towns}: {names}" if it else f"  each town alone in {towns}: {names}")
    from fragmap.placement import placement_lines, placement_summary

    figures = c.get("placed_by_partner") or []
    if quiet:  # one line: the share on a street and, when low, the fix
        click.echo(placement_summary(figures, settings.language))
        return
    names = {p.code: p.name for p in settings.partners}
    lines = placement_lines(figures, settings.language, names=names)
    for i, line in enumerate(lines):
        low = i == len(lines) - 1 and bool(c.get("placement_fix"))
        click.secho(("  " if 0 < i and not low else "") + line, fg="yellow" if low else None)


@main.command(name="map")
@config_option
@month_option()
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: an 'anteprima-mappa' folder beside the output folder).",
)
@click.option(
    "--tiles",
    metavar="URL",
    default=None,
    help="Online base map under the areas: a tile URL with {z}/{x}/{y} or a provider name such as "
    "'OpenStreetMap' or 'CartoDB Positron' (default: none; offline the map keeps its plain background).",
)
@handle_errors
def map_(config: Path | None, month: str | None, out: Path | None, tiles: str | None) -> None:
    """Render only the interactive map for a month (no atlas, no swap of maps/).

    Useful to preview; `fragmap run` is what publishes. Classes follow [classification]
    in the project file (scheme, k), as in `fragmap run`.

    \b
    Example:
        fragmap map --month 2026-10 -o anteprima/
        fragmap map --month 2026-10 --tiles OpenStreetMap
    """
    from fragmap.io import publish as io_publish
    from fragmap.pipeline import Project, audit_or_refuse, build_map

    settings = get_settings(config)
    out = out or settings.paths.output.parent / "anteprima-mappa"
    _check_preview_folder(settings, out)
    project = Project(settings)
    pub = project.with_access(month)  # as `fragmap run` publishes it (its notes say how certain access is)
    with io_publish.staging_folder(out) as tmp:  # built aside, audited, then swapped in
        files = build_map(project, pub, tmp, tiles=tiles)
        audit_or_refuse(project, tmp, pub.month, pub=pub)
        io_publish.replace_folder(tmp, out, language=settings.language)
    click.echo(f"fragmap: map for {pub.month} written to {out / files[0].relative_to(tmp)}")


@main.command()
@config_option
@month_option()
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: an 'anteprima-atlante' folder beside the output).",
)
@click.option(
    "--pdf",
    is_flag=True,
    help="Also print the whole atlas to atlas.pdf (A4) with the installed Chromium (optional).",
)
@handle_errors
def atlas(config: Path | None, month: str | None, out: Path | None, pdf: bool) -> None:
    """Render only the atlas for a month (no map, no swap of maps/).

    The folder is built aside, audited for privacy, and only then replaces the
    previous preview. Rows read and rejected come from the store's ingest record
    (or the last published manifest).

    \b
    Example:
        fragmap atlas --month 2026-10 -o anteprima-atlante/
        fragmap atlas --pdf
    """
    from fragmap import atlas as atlas_mod
    from fragmap.io import publish as io_publish
    from fragmap.pipeline import Project, audit_or_refuse, build_atlas, data_quality

    settings = get_settings(config)
    if pdf:
        atlas_mod.check_pdf()  # fail before the work, with the reason, when Chromium is missing
    out = out or settings.paths.output.parent / "anteprima-atlante"
    _check_preview_folder(settings, out)
    project = Project(settings)
    pub = project.with_access(month)  # the stages of `fragmap run`, without its ingest and swap
    with io_publish.staging_folder(out) as tmp:
        files = build_atlas(project, pub, tmp, quality=data_quality(project, pub.month))
        audit_or_refuse(project, tmp, pub.month, pub=pub)
        if pdf:
            files.append(atlas_mod.write_pdf(tmp))
        io_publish.replace_folder(tmp, out, language=settings.language)
    click.echo(f"fragmap: atlas for {pub.month}: {len(files)} files in {out}"
               + (f" (PDF: {out / 'atlas.pdf'})" if pdf else ""))


def _check_preview_folder(settings: Any, out: Path) -> None:
    """Refuse a preview folder that is, holds or lies in the project's data, or is not fragmap's."""
    from fragmap.io.publish import check_replaceable
    from fragmap.settings import output_problem

    why = output_problem(settings, out)
    if why:
        raise click.ClickException(why.replace("paths.output", "--out"))
    check_replaceable(out, settings.language)
