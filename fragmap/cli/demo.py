"""``fragmap demo-data``: (re)generate the synthetic demo dataset."""

from __future__ import annotations

from pathlib import Path

import click

from fragmap.cli._common import handle_errors, main


@main.command(name="demo-data")
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/synthetic"),
    show_default=True,
    help="Folder for the synthetic files.",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: the shipped one).")
@click.option("--reports", "n_reports", type=int, default=5000, show_default=True, help="How many reports.")
@handle_errors
def demo_data(out: Path, seed: int | None, n_reports: int) -> None:
    """Generate the SYNTHETIC demo reports and example services (dati dimostrativi sintetici).

    The same seed always gives the same files. Nothing in them is real: the reports are
    invented and laid over the real reference data of Pavia and Vigevano.

    \b
    Example:
        fragmap demo-data --out data/synthetic
    """
    from fragmap.demo import DEFAULT_SEED, write_demo_data

    files = write_demo_data(out, seed=DEFAULT_SEED if seed is None else seed, n_reports=n_reports)
    for f in files:
        click.echo(f"  {f}")
    click.echo(f"fragmap: {len(files)} synthetic files written to {out}")
