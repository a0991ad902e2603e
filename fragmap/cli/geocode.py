"""``fragmap geocode`` and ``fragmap gazetteer build``."""

from __future__ import annotations

from pathlib import Path

import click

from fragmap.cli._common import config_option, get_settings, handle_errors, main


@main.command()
@click.argument("infile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "-o", "outfile", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV to write (input columns + lat, lon, match_level, match_score, matched_address, "
                   "uncertainty_m, match_note).")
@click.option("--address-column", default=None, help="Column with the address (default: found by name).")
@config_option
@handle_errors
def geocode(infile: Path, outfile: Path, address_column: str | None, config: Path | None) -> None:
    """Geocode the addresses of a CSV/XLSX file offline (online only if enabled in settings).

    Writes OUT with lat, lon, match_level (civico, via, quartiere, comune,
    non_trovato), match_score, matched_address, uncertainty_m (metres: about 10
    for a known house number, more for a point somewhere on the street) and
    match_note, and beside it a review file of unmatched, uncertain, ambiguous and
    low-score addresses, most frequent first. The output holds addresses and
    points: keep it private.

    \b
    Example:
        fragmap geocode indirizzi.csv -o indirizzi_geocodificati.csv
    """
    import pandas as pd

    from fragmap.geocode import geocode_reports, quality_report, review_table
    from fragmap.io.tables import read_table, write_csv
    from fragmap.reports import match_columns, parse_coordinate

    settings = get_settings(config)
    frame = read_table(infile).frame.reset_index(drop=True)
    cols, _ = match_columns(frame.columns)
    if address_column:
        cols["address"] = address_column
    if "address" not in cols:
        raise click.ClickException(f"{infile}: no address column (use --address-column NAME)")
    reports = pd.DataFrame({
        "address": frame[cols["address"]].replace("", pd.NA),
        "town": frame[cols["town"]].replace("", pd.NA) if "town" in cols else pd.NA,
        "quartiere": frame[cols["quartiere"]].replace("", pd.NA) if "quartiere" in cols else pd.NA,
        "lat": parse_coordinate(frame[cols["lat"]]) if "lat" in cols else float("nan"),
        "lon": parse_coordinate(frame[cols["lon"]]) if "lon" in cols else float("nan"),
    })
    import warnings

    from fragmap.geocode import OnlineUnavailableWarning

    with warnings.catch_warnings():
        # printed once below, from the result (not twice through the warnings machinery)
        warnings.simplefilter("ignore", OnlineUnavailableWarning)
        geo = geocode_reports(reports, settings)
    for message in geo.attrs.get("geocode_messages", []):
        click.echo(f"fragmap: {message}", err=True)
    out = frame.copy()
    for c in ("lat", "lon", "match_level", "match_score", "matched_address", "uncertainty_m", "match_note"):
        out[c] = geo[c].to_numpy()
    write_csv(out, outfile)
    review = outfile.with_name(outfile.stem + "_da_rivedere.csv")
    write_csv(review_table(geo, min_score=settings.geocoding.min_score), review)
    q = quality_report(geo)
    click.echo("  ".join(f"{r.level} {r.reports}" for r in q.itertuples()))
    click.echo(f"fragmap: {len(out)} rows geocoded to {outfile}; to review: {review}")


@main.group()
def gazetteer() -> None:
    """The offline address gazetteer (street names, address points, street lines).

    Built from the ANNCSU street list and the services' addresses, plus what you
    give: an OpenStreetMap file (.osm, .osm.pbf, or an osmnx .graphml graph) and an
    ANNCSU house-number CSV with coordinates. After `fragmap geodati scarica` or
    `importa` the gazetteer is rebuilt with the stored streets and addresses.

    \b
    Example:
        fragmap gazetteer build --osm pavia.osm --anncsu-numbers civici_pavia.csv
    """


@gazetteer.command(name="build")
@click.option("--osm", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A local OpenStreetMap file: .osm XML or .osm.pbf (addr:* tags and named streets) or an "
                   "osmnx .graphml graph (named edges as street lines).")
@click.option("--anncsu-numbers", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="An ANNCSU house-number CSV with coordinates.")
@config_option
@handle_errors
def gazetteer_build(osm: Path | None, anncsu_numbers: Path | None, config: Path | None) -> None:
    """Build the gazetteer from the reference data and the optional sources given.

    The file is replaced atomically (the old one stays if the build fails) and
    records every source file with its size, SHA-256 and date.

    \b
    Example:
        fragmap gazetteer build --osm pavia.osm
        fragmap gazetteer build --osm pavia_walk.graphml
    """
    from fragmap.geocode import default_gazetteer

    settings = get_settings(config)
    g = default_gazetteer(settings, rebuild=True, osm=osm, anncsu_numbers=anncsu_numbers)
    click.echo(f"fragmap: gazetteer {settings.paths.gazetteer}: {len(g.streets)} streets, "
               f"{len(g.points)} address points, {0 if g.lines is None else len(g.lines)} street lines")
    for f in g.source_files:
        if f.get("file"):
            click.echo(f"    source: {f['file']} ({f['bytes']:,} bytes, sha256 {f['sha256'][:12]}, {f['modified']})")
    for n in g.notes:
        click.echo(f"    note: {n}")
    if g.links is not None and len(g.links):
        from fragmap.io.named_points import link_message

        click.echo("    " + link_message(g.links, settings.paths.gazetteer.parent, settings.language))
