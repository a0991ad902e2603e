"""``fragmap check-published``: audit a folder before (or after) it goes online."""

from __future__ import annotations

from pathlib import Path

import click

from fragmap.cli._common import config_option, get_settings, handle_errors, main


@main.command(name="check-published")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@config_option
@handle_errors
def check_published(folder: Path, config: Path | None) -> None:
    """Audit a published folder against the private store; exit 1 on any finding.

    Looks in every HTML, JS, JSON, GeoJSON, CSV and SVG file for a report's coordinates
    (4 decimals), address or id, and for any printed or downloadable count under the
    privacy threshold. Findings never show the private value itself.

    \b
    Example:
        fragmap check-published maps/
    """
    from fragmap import privacy
    from fragmap.pipeline import Project

    settings = get_settings(config)
    # The same fingerprint the pipeline uses: every report point (given and geocoded),
    # address and id, less what is public (service addresses and points, area vertices).
    project = Project(settings)
    result = privacy.audit_folder(folder, project.fingerprint(), settings)
    for name in result.unchecked:
        click.secho(f"  ! {name}: not text, cannot be checked: look at it before publishing "
                    "(a figure must come from published figures, never from report points)", fg="yellow", err=True)
    if result.ok:
        click.echo(f"fragmap: {folder}: {result.files} files checked, nothing points at a person")
        return
    for f in result.findings:
        click.secho(f"  - {f}", fg="red", err=True)
    raise click.ClickException(f"{folder}: {len(result.findings)} privacy finding(s): do not publish")
