"""``fragmap quarters from-streets`` and ``fragmap quarters check``: build and check quarter files."""

from __future__ import annotations

from pathlib import Path

import click

from fragmap.cli._common import config_option, get_settings, handle_errors, main
from fragmap.i18n import translate

_TEXT: dict[str, dict[str, str]] = {
    "no_column": {"it": "{file}: nessuna colonna {col!r}; colonne presenti: {cols}",
                  "en": "{file}: no column {col!r}; the columns are {cols}"},
    "unplaced": {"it": "{n} {n|riga non localizzata|righe non localizzate} (da correggere nello stradario):",
                 "en": "{n} {n|row|rows} could not be placed (fix {n|it|them} in the street list):"},
    "placed": {"it": "{rows} {rows|riga localizzata|righe localizzate}, {points} {points|punto|punti}",
               "en": "{rows} {rows|row|rows} placed, {points} {points|point|points}"},
    "check": {"it": "controllo dei quartieri:", "en": "quarter check:"},
    "written": {"it": "fragmap: {n} {n|quartiere|quartieri} (da stradario, non {n|ufficiale|ufficiali}) {n|scritto|scritti} in {out}",
                "en": "fragmap: {n} {n|quarter|quarters} (from a street list, not official) written to {out}"},
    "use": {"it": "per usarli: [paths] quarters = \"{out}\" in fragmap.toml",
            "en": "to use them: [paths] quarters = \"{out}\" in fragmap.toml"},
    "checked": {"it": "fragmap: {file}: {n} {n|quartiere|quartieri} ({source})",
                "en": "fragmap: {file}: {n} {n|quarter|quarters} ({source})"},
    "landmarks_unplaced": {"it": "{n} {n|punto di riferimento non localizzato|punti di riferimento non localizzati} (da correggere nella tabella):",
                           "en": "{n} {n|landmark|landmarks} could not be placed (fix {n|it|them} in the table):"},
    "landmarks_placed": {"it": "{n} {n|punto di riferimento localizzato|punti di riferimento localizzati}",
                         "en": "{n} {n|landmark|landmarks} placed"},
    "landmarks_written": {"it": "fragmap: {n} {n|quartiere|quartieri} (confini approssimativi, non {n|ufficiale|ufficiali}) {n|scritto|scritti} in {out}",
                          "en": "fragmap: {n} {n|quarter|quarters} (approximate boundaries, not official) written to {out}"},
    "landmarks_use": {"it": "per usarli: [paths] quarters = \"{out}\" in fragmap.toml "
                            "(oppure direttamente [quarters] landmarks = \"{table}\")",
                      "en": "to use them: [paths] quarters = \"{out}\" in fragmap.toml "
                            "(or directly [quarters] landmarks = \"{table}\")"},
}
#: Written in the ``nota`` column of every quarter drawn around landmarks.
APPROXIMATE = {"it": "confini approssimativi", "en": "approximate boundaries"}


def _t(key: str, lang: str, /, **values: object) -> str:
    return translate(_TEXT, key, lang, **values)


@main.group()
def quarters() -> None:
    """Quarters: build them from a street list, or check a boundary file."""


@quarters.command(name="from-streets")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quarter-column", default="quartiere", show_default=True, help="Column with the quarter name.")
@click.option("--street-column", default="via", show_default=True,
              help="Column with the street (may include the house number).")
@click.option("--number-column", default=None, help="Column with the house number (empty = the whole street).")
@click.option("--town-column", default=None, help="Column with the town (default: looked up in every town).")
@click.option("--out", "-o", "outfile", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage to write (.gpkg).")
@config_option
@handle_errors
def from_streets(table: Path, quarter_column: str, street_column: str, number_column: str | None,
                 town_column: str | None, outfile: Path, config: Path | None) -> None:
    """Build quarter polygons from a street list (CSV/XLSX assigning streets to quarters).

    Each row names a street (or an address) and its quarter. Addresses are placed with
    the project's offline gazetteer; a whole street uses every known point of it. The
    polygons are Voronoi cells around the points, merged by quarter and clipped to the
    comune: indicative, not official (source = "stradario", kept in the file). Rows that
    could not be placed are printed with their row number, then the quarter check.

    \b
    Example:
        fragmap quarters from-streets stradario.xlsx --quarter-column quartiere \\
            --street-column via --number-column civico -o quartieri.gpkg
    """
    import pandas as pd

    from fragmap.geocode import Geocoder, default_gazetteer
    from fragmap.io.geo import read_boundaries, write_quarters
    from fragmap.io.tables import read_table
    from fragmap.quarters import locate_street_table, quarters_from_points

    settings = get_settings(config)
    lang = settings.language
    frame = read_table(table).frame
    cols = list(frame.columns)
    for c in (quarter_column, street_column, number_column, town_column):
        if c is not None and c not in frame.columns:
            raise click.ClickException(_t("no_column", lang, file=table.name, col=c, cols=", ".join(cols)))
    streets = pd.DataFrame({
        "street": frame[street_column],
        "quartiere": frame[quarter_column],
        "number": frame[number_column] if number_column else "",
        "town": frame[town_column] if town_column else "",
    }, index=frame.index)
    boundaries = read_boundaries(settings.paths.boundaries, towns=settings.town_names, codes=settings.town_codes)
    gazetteer = default_gazetteer(settings)
    geocoder = Geocoder(gazetteer, towns=boundaries, town_names=settings.town_names)
    placed = locate_street_table(streets, gazetteer, geocoder=geocoder, town_names=settings.town_names)
    click.echo(_t("placed", lang, rows=placed.points["row"].nunique(), points=len(placed.points)))
    if len(placed.unplaced):
        click.secho(_t("unplaced", lang, n=len(placed.unplaced)), fg="yellow")
        for line in placed.lines(lang):
            click.echo(f"  {line}")
    result, check = quarters_from_points(placed.points, boundaries, with_check=True)
    click.echo(_t("check", lang))
    for line in check.summary(lang).splitlines():
        click.echo(f"  {line}")
    write_quarters(result, outfile)
    click.echo(_t("written", lang, n=len(result), out=outfile))
    click.echo(_t("use", lang, out=outfile))


@quarters.command(name="from-landmarks")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "-o", "outfile", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage to write (.gpkg).")
@config_option
@handle_errors
def from_landmarks(table: Path, outfile: Path, config: Path | None) -> None:
    """Build approximate quarters from a table of landmarks (town; quartiere; landmark).

    Each row gives a quarter and one of its landmarks: an address ("Via Solferino 38")
    placed with the project's offline gazetteer, or a point ("45.1922, 9.1816"); a quarter
    may have several rows. The quarters are Voronoi cells around the landmarks, merged by
    quarter and clipped to the comune: approximate boundaries, not official (source =
    "punti_riferimento", nota = "confini approssimativi"). A landmark outside its comune
    stops the command with its row; rows that could not be placed are listed.
    Also available in Italian as `fragmap quartieri da-punti-riferimento`.

    \b
    Example:
        fragmap quarters from-landmarks data/reference/quartieri_macro_pavia_vigevano.csv \\
            -o quartieri.gpkg
    """
    from fragmap.geocode import make_geocoder
    from fragmap.io.geo import read_boundaries, write_quarters
    from fragmap.io.places import read_landmark_table
    from fragmap.landmarks import locate_landmarks, quarters_from_landmarks

    settings = get_settings(config)
    lang = settings.language
    frame = read_landmark_table(table)
    boundaries = read_boundaries(settings.paths.boundaries, towns=settings.town_names)
    placed = locate_landmarks(frame, make_geocoder(settings, towns=boundaries), town_names=settings.town_names)
    click.echo(_t("landmarks_placed", lang, n=len(placed.points)))
    if len(placed.unplaced):
        click.secho(_t("landmarks_unplaced", lang, n=len(placed.unplaced)), fg="yellow")
        for line in placed.lines(lang):
            click.echo(f"  {line}")
    result, report = quarters_from_landmarks(placed.points, boundaries, language=lang)
    click.echo(_t("check", lang))
    for line in report.summary(lang).splitlines():
        click.echo(f"  {line}")
    write_quarters(result.assign(nota=APPROXIMATE["en" if lang == "en" else "it"]), outfile)
    click.echo(_t("landmarks_written", lang, n=len(result), out=outfile))
    click.echo(_t("landmarks_use", lang, out=outfile, table=table))


@quarters.command(name="check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name-column", default=None, help="Column with the quarter names (default: [quarters] name_column).")
@click.option("--town-column", default=None, help="Column with the town, if the file has one.")
@config_option
@handle_errors
def check(file: Path, name_column: str | None, town_column: str | None, config: Path | None) -> None:
    """Check a quarter boundary file: repairs, overlaps, gaps, parts outside (hectares).

    Reads the file in any coordinate system and prints what fragmap would repair or
    report when the file is used as [paths] quarters; the file is not changed.

    \b
    Example:
        fragmap quarters check quartieri.gpkg --name-column nome
    """
    from fragmap.io.geo import read_boundaries, read_quarters
    from fragmap.quarters import prepare_quarters

    settings = get_settings(config)
    lang = settings.language
    raw = read_quarters(file, name_column=name_column or settings.quarters.name_column, town_column=town_column)
    boundaries = read_boundaries(settings.paths.boundaries, towns=settings.town_names, codes=settings.town_codes)
    result, report = prepare_quarters(raw, boundaries)
    sources = ", ".join(sorted(set(result["source"].astype(str))))
    click.echo(_t("checked", lang, file=file.name, n=len(result), source=sources))
    for line in report.summary(lang).splitlines():
        click.echo(f"  {line}")


# Italian names of the same commands (the coordinators' language); one command, two names.
quarters.add_command(from_landmarks, name="da-punti-riferimento")
main.add_command(quarters, name="quartieri")
