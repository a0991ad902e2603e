"""``fragmap geodati scarica | importa | stato``: the one-time OpenStreetMap set-up."""

from __future__ import annotations

from pathlib import Path

import click

from fragmap.cli._common import config_option, get_settings, handle_errors, main, quiet_option
from fragmap.i18n import format_number


@main.group(name="geodati")
def geodati() -> None:
    """Geodati OpenStreetMap dei comuni, da preparare una volta sola.

    Strade con nome, numeri civici, nomi di luoghi e quartieri, rete pedonale,
    acque, ferrovie, parchi, strade principali ed edifici residenziali, salvati in data/geodati/ (o
    [paths] geodata). Dopo, fragmap run li usa da solo, senza Internet.
    Dati © OpenStreetMap contributors, licenza ODbL 1.0.

    \b
    Esempio:
        fragmap geodati scarica --si
        fragmap geodati importa pavia.osm.pbf
        fragmap geodati stato
    """


MESSAGES: dict[str, dict[str, str]] = {
    "ask": {"it": "Procedo con lo scaricamento?", "en": "Go ahead with the download?"},
    "cancelled": {"it": "scaricamento annullato: nulla è stato scaricato",
                  "en": "download cancelled: nothing was downloaded"},
    "summary": {"it": "fragmap: geodati in {folder}: {counts}; {net}; gazetteer ricostruito ({gaz}). {attribution}",
                "en": "fragmap: geodata in {folder}: {counts}; {net}; gazetteer rebuilt ({gaz}). {attribution}"},
    "net": {"it": "rete pedonale {nodes} nodi", "en": "walking network {nodes} nodes"},
    "no_net": {"it": "nessuna rete pedonale", "en": "no walking network"},
    "none": {"it": "fragmap: nessun geodato in {folder}. Per prepararli: fragmap geodati scarica (serve Internet) "
                   "oppure fragmap geodati importa FILE.osm.pbf",
             "en": "fragmap: no geodata in {folder}. To set them up: fragmap geodati scarica (needs internet) "
                   "or fragmap geodati importa FILE.osm.pbf"},
    "status": {"it": "fragmap: geodati in {folder}, del {date}, da {source}; comuni {comuni}",
               "en": "fragmap: geodata in {folder}, of {date}, from {source}; comuni {comuni}"},
    "missing": {"it": "    {file}: manca", "en": "    {file}: missing"},
    "features": {"it": "{n} {n|elemento|elementi}", "en": "{n} {n|feature|features}"},
    "graph": {"it": "{nodes} nodi, {edges} archi", "en": "{nodes} nodes, {edges} edges"},
    "pending": {"it": "    scaricamento interrotto, già arrivati: {layers} (fragmap geodati scarica riprende da lì)",
                "en": "    interrupted download, already here: {layers} (fragmap geodati scarica resumes from there)"},
}


def _t(key: str, language: str, /, **values: object) -> str:
    from fragmap.i18n import translate

    return translate(MESSAGES, key, language, **values)


def _echo(quiet: bool):  # type: ignore[no-untyped-def]
    return (lambda _m: None) if quiet else (lambda m: click.echo(f"  {m}"))


def _summary(settings, result) -> None:  # type: ignore[no-untyped-def]
    lang = settings.language
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    net = _t("no_net", lang) if result.network is None else _t("net", lang, nodes=result.network[0])
    click.echo(_t("summary", lang, folder=result.folder, counts=counts, net=net, gaz=settings.paths.gazetteer.name,
                  attribution=result.meta.get("attribution", "")))


@geodati.command(name="scarica")
@click.option("--si", "--yes", "yes", is_flag=True,
              help="Consenso a scaricare da Internet senza chiedere (per script).")
@click.option("--server", default=None, help="Indirizzo del server Overpass (default: quello di osmnx).")
@config_option
@quiet_option
@handle_errors
def scarica(yes: bool, server: str | None, config: Path | None, quiet: bool) -> None:
    """Scarica da OpenStreetMap i geodati dei comuni configurati (serve Internet, una volta).

    Chiede il consenso prima di collegarsi (o --si). Una richiesta alla volta al
    server Overpass, con pause e nuovi tentativi; ogni strato è salvato appena
    arriva, così se il collegamento cade basta rilanciare il comando. Poi
    ricostruisce il gazetteer; da allora fragmap run usa la rete pedonale da solo.

    \b
    Esempio:
        fragmap geodati scarica
        fragmap geodati scarica --si
    """
    from fragmap.geodata_setup import download_geodata
    from fragmap.io.geodata import consent_text

    settings = get_settings(config)
    click.echo(consent_text(settings, endpoint=server))
    if not yes and not click.confirm(_t("ask", settings.language), default=False):
        raise click.ClickException(_t("cancelled", settings.language))
    result = download_geodata(settings, consent=True, endpoint=server, progress=_echo(quiet))
    _summary(settings, result)


@geodati.command(name="importa")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@quiet_option
@handle_errors
def importa(files: tuple[Path, ...], config: Path | None, quiet: bool) -> None:
    """Prepara i geodati da file OpenStreetMap locali (.osm, .osm.pbf, .graphml), senza Internet.

    Va bene anche un estratto regionale (es. nord-ovest-latest.osm.pbf di
    Geofabrik, o un ritaglio BBBike): si tengono solo i comuni configurati.
    Un .graphml dà la rete pedonale (e le strade, se non c'è altro).

    \b
    Esempio:
        fragmap geodati importa nord-ovest-latest.osm.pbf
        fragmap geodati importa pavia.osm rete_pavia.graphml
    """
    from fragmap.geodata_setup import import_geodata

    settings = get_settings(config)
    result = import_geodata(settings, list(files), progress=_echo(quiet))
    _summary(settings, result)


@geodati.command(name="stato")
@config_option
@handle_errors
def stato(config: Path | None) -> None:
    """Mostra quali geodati ci sono: data, fonte, comuni, file e dimensioni.

    \b
    Esempio:
        fragmap geodati stato
    """
    from fragmap.io.geodata import geodata_status

    settings = get_settings(config)
    lang = settings.language
    st = geodata_status(settings)
    if not st["present"]:
        click.echo(_t("none", lang, folder=st["folder"]))
    else:
        src = st["source"]
        what = (f"Overpass {src.get('endpoint', '')}" if src.get("kind") == "overpass"
                else ", ".join(f.get("file", "") for f in src.get("files", [])))
        comuni = ", ".join(f"{c['name']} ({c['istat']})" for c in st["comuni"])
        click.echo(_t("status", lang, folder=st["folder"], date=st["date"], source=what, comuni=comuni))
        for f in st["files"]:
            if not f["present"]:
                click.echo(_t("missing", lang, file=f["file"]))
                continue
            n = (_t("features", lang, n=f["features"]) if f["features"] is not None
                 else _t("graph", lang, nodes=f["nodes"], edges=f["edges"]) if f["nodes"] is not None else "")
            click.echo(f"    {f['file']}: {format_number(f['bytes'] / 1024, lang)} KB, {n}")
        click.echo(f"    {st['attribution']}")
    if st["pending_download"]:
        click.echo(_t("pending", lang, layers=", ".join(st["pending_download"])))
