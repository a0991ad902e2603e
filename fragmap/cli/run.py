"""``fragmap run``, ``fragmap map`` and ``fragmap atlas``: the monthly job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fragmap.cli._common import (
    config_option,
    get_settings,
    handle_errors,
    main,
    month_option,
    quiet_option,
)


class _Steps:
    """Progress for the CLI: a rich bar over the pipeline stages, one line per finished stage."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.progress: Any = None
        self.task: Any = None

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
        shown = ", ".join(f"{k} {v}" for k, v in figures.items() if not isinstance(v, (dict, list)))
        self.progress.console.print(f"  {stage:<9} {shown}")
        self.progress.update(self.task, advance=1, description=stage)


@main.command()
@config_option
@month_option()
@quiet_option
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed since the last run.")
@handle_errors
def run(config: Path | None, month: str | None, quiet: bool, force: bool) -> None:
    """Run the whole monthly job and publish the map and the atlas.

    Reads the partners' files, checks them, geocodes, counts by quarter, hides
    small counts, renders the map and the atlas, audits them for privacy and
    only then replaces the published folder (maps/ by default).

    \b
    Example:
        fragmap run --month 2026-10
        fragmap run -c /percorso/progetto/fragmap.toml --quiet
    """
    from fragmap.pipeline import run as run_pipeline

    settings = get_settings(config)
    with _Steps(quiet) as steps:
        result = run_pipeline(settings, month=month, on_step=steps, force=force)
    if result.up_to_date:
        click.echo(
            f"fragmap: nothing changed since the last run ({result.month}); {result.output} kept "
            "(use --force to rebuild)"
        )
        return
    c = result.manifest["counts"]
    click.echo(
        f"fragmap: {result.month} published to {result.output} in {result.seconds:.1f} s "
        f"({c.get('accepted')} reports, {c.get('quarters')} areas, "
        f"{c.get('suppressed_cells')} of {c.get('published_cells')} cells suppressed)"
        + (" [dati dimostrativi sintetici]" if settings.synthetic else "")
    )


@main.command(name="map")
@config_option
@month_option()
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: a 'mappa' folder beside the output folder).",
)
@handle_errors
def map_(config: Path | None, month: str | None, out: Path | None) -> None:
    """Render only the interactive map for a month (no atlas, no swap of maps/).

    Useful to preview; `fragmap run` is what publishes.

    \b
    Example:
        fragmap map --month 2026-10 -o anteprima/
    """
    from fragmap import maps, privacy
    from fragmap.pipeline import Project

    settings = get_settings(config)
    project = Project(settings)
    pub = project.publication(month)
    out = out or settings.paths.output.parent / "anteprima-mappa"
    out.mkdir(parents=True, exist_ok=True)
    files = maps.write_map(pub, out, services=project.services)
    _audit_or_fail(privacy, out, project, pub.month)
    click.echo(f"fragmap: map for {pub.month} written to {files[0]}")


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
@handle_errors
def atlas(config: Path | None, month: str | None, out: Path | None) -> None:
    """Render only the atlas for a month (no map, no swap of maps/).

    \b
    Example:
        fragmap atlas --month 2026-10 -o anteprima-atlante/
    """
    from fragmap import atlas as atlas_mod
    from fragmap import privacy
    from fragmap.pipeline import Project, _quality, _with_access

    settings = get_settings(config)
    project = Project(settings)
    pub = project.publication(month)
    pub = _with_access(project, pub, pub.month)
    out = out or settings.paths.output.parent / "anteprima-atlante"
    out.mkdir(parents=True, exist_ok=True)
    quality = _quality(None, project.assigned(pub.month), pub.month)
    files = atlas_mod.render_atlas(pub, out, quality=quality, services=project.services)
    _audit_or_fail(privacy, out, project, pub.month)
    click.echo(f"fragmap: atlas for {pub.month}: {len(files)} files in {out}")


def _audit_or_fail(privacy: Any, folder: Path, project: Any, month: str) -> None:
    result = privacy.audit_folder(folder, project.fingerprint(month), project.settings)
    if not result.ok:
        raise click.ClickException(
            "privacy audit failed, do not publish this folder:\n"
            + "\n".join(f"  - {f}" for f in result.findings[:20])
        )
