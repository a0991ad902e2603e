"""End to end, as a coordinator runs it: one command builds and publishes, safely and atomically."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from fragmap import PrivacyError
from fragmap.cli import main
from fragmap.i18n import format_number, format_share
from fragmap.pipeline import Project, run

from factories import demo_project_file, demo_project_settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo project run once (module scope: about 10 s)."""
    s = demo_project_settings(tmp_path_factory.mktemp("demo"))
    result = run(s)
    return s, result


def test_one_run_publishes_map_atlas_and_manifest(demo) -> None:
    s, r = demo
    out = s.paths.output
    assert r.month == "2026-10"
    for f in ("mappa.html", "embed.html", "manifest.json", "atlas/index.html", "atlas/atlas.css", "README.md"):
        assert (out / f).exists(), f
    quarter_pages = list((out / "atlas" / "quartieri").glob("*.html"))
    assert len(quarter_pages) == r.manifest["counts"]["quarters"] > 50
    public = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # the published manifest: no input files, no report counts (they may be small)
    assert "inputs" not in public and "run_key" not in public
    assert set(public["counts"]) <= {"quarters", "published_cells", "suppressed_cells",
                                     "suppressed_primary", "suppressed_secondary"}
    # the full one is private, beside the store
    m = json.loads((s.paths.store.parent / "manifest-2026-10.json").read_text(encoding="utf-8"))
    assert m["built_at"] == public["built_at"] and m == r.manifest
    c = m["counts"]
    assert c["read"] == 5000 and c["accepted"] + c["rejected"] == c["read"]
    assert sum(c["geocoded_by_level"].values()) == c["accepted"]
    assert 0 < c["suppressed_cells"] < c["published_cells"]
    assert m["synthetic"] is True and m["settings"]["privacy_threshold"] == 5
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])
    names = {i["file"] for i in m["inputs"]}
    # every input the run read, named relative to the project (no private absolute paths)
    assert {"data/reference/anncsu_stradario_pavia_vigevano_20250209.csv",
            "data/reference/comuni_pavia_vigevano_openpolis.geojson",
            "data/synthetic/segnalazioni_sintetiche_articolo3.xlsx"} <= names
    assert not any(n.startswith("/") for n in names)
    assert {"numpy", "scipy", "networkx", "osmnx", "folium"} <= set(m["versions"])
    assert m["settings"]["geocoding_online"] is False and m["settings"]["elderly_speed_ms"] == 0.8
    assert (out / "mappa.html").stat().st_size < 400_000


def test_unassigned_reports_are_listed_privately_by_reason(demo) -> None:
    s, r = demo
    c = r.manifest["counts"]
    by_reason = c["unassigned_by_reason"]
    assert sum(by_reason.values()) == c["unassigned"] > 0
    private = s.paths.store.parent / "elenchi" / f"non_assegnate-{r.month}.csv"
    text = private.read_text(encoding="utf-8-sig")
    # one format for every private list: ';' (Italian Excel opens it in columns), as scarti.csv
    assert text.splitlines()[0] == "partner;report_id;source_file;source_row;reason"
    assert len(text.splitlines()) == c["unassigned"] + 1
    published = [p.name for p in s.paths.output.rglob("*")]
    assert not any("non_assegnate" in n for n in published)


def test_services_with_an_address_only_are_placed_or_reported(tmp_path: Path) -> None:
    """The network's own sites carry addresses only: they are geocoded, or named with a reason."""
    s = demo_project_settings(tmp_path)
    steps = []
    p = Project(s, on_step=lambda n, f: steps.append((n, f)))
    names = set(p.locate_services()["name"])
    assert "Spazio Auser Vigevano" in names and "centro" in set(p.locate_services()["type"])
    reported = {n for n, f in steps if n == "services" for n in f}
    for name in p.unplaced_services()["name"]:
        assert any(k.startswith(name) for k in reported), name
    assert len(p.locate_services()) + len(p.unplaced_services()) == 160


def test_every_page_says_synthetic_and_carries_attribution(demo) -> None:
    s, _ = demo
    for page in s.paths.output.rglob("*.html"):
        if page.name == "embed.html":
            continue
        text = page.read_text(encoding="utf-8")
        assert "Dati dimostrativi sintetici" in text, page
        assert "ISTAT via openpolis (CC BY 4.0)" in text, page


def test_the_published_folder_passes_the_audit_from_the_cli(demo) -> None:
    s, _ = demo
    cfg = _config(s)
    res = CliRunner().invoke(main, ["check-published", str(s.paths.output), "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "nothing points at a person" in res.output


def test_a_leak_planted_in_the_folder_fails_the_cli_audit(demo, tmp_path: Path) -> None:
    import shutil

    s, _ = demo
    leaky = tmp_path / "leaky"
    shutil.copytree(s.paths.output, leaky)
    rep = Project(s).geocoded("2026-10")
    p = rep[rep["match_level"] == "coordinate"].iloc[0]
    (leaky / "extra.json").write_text(json.dumps({"lat": round(p.lat, 5), "lon": round(p.lon, 5)}), encoding="utf-8")
    res = CliRunner().invoke(main, ["check-published", str(leaky), "--config", str(_config(s))])
    assert res.exit_code == 1 and "report coordinate" in res.output


def test_nothing_changed_means_nothing_rebuilt(demo) -> None:
    s, first = demo
    before = (s.paths.output / "manifest.json").read_bytes()
    again = run(s)
    assert again.up_to_date and (s.paths.output / "manifest.json").read_bytes() == before


def test_forced_rebuild_is_byte_identical_except_the_manifest(demo) -> None:
    s, _ = demo
    pages = sorted(p for p in s.paths.output.rglob("*") if p.is_file() and p.name != "manifest.json")
    before = {p: p.read_bytes() for p in pages}
    run(s, force=True)
    after = sorted(p for p in s.paths.output.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert after == pages
    assert all(p.read_bytes() == before[p] for p in pages)


def test_cli_decides_an_unchanged_month_without_loading_the_pipeline(demo) -> None:
    import subprocess
    import sys

    s, _ = demo
    cfg = _config(s)
    first = CliRunner().invoke(main, ["run", "--config", str(cfg), "--quiet"])  # brings the folder up to date
    assert first.exit_code == 0, first.output
    before = (s.paths.output / "manifest.json").read_bytes()
    code = ("import sys\nfrom fragmap.cli import main\n"
            f"try:\n    main(['run', '--config', {str(cfg)!r}, '--quiet'])\nexcept SystemExit as e:\n    assert not e.code\n"
            "print('loaded:', sorted(m for m in ('fragmap.pipeline', 'pandas', 'geopandas', 'folium') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert "nessuna novità" in res.stdout and "loaded: []" in res.stdout, res.stdout
    assert (s.paths.output / "manifest.json").read_bytes() == before
    # another month is not the run that was published: the quick check says so
    from fragmap.freshness import unchanged_manifest

    assert unchanged_manifest(s, "2026-09") is None


def test_a_failed_audit_leaves_last_months_folder_untouched(demo, monkeypatch: pytest.MonkeyPatch) -> None:
    from fragmap import privacy

    s, _ = demo
    before = (s.paths.output / "atlas" / "index.html").read_bytes()
    bad = privacy.AuditResult([privacy.Finding("x.html", "report coordinate", "here", "near 45.18, 9.15")])
    monkeypatch.setattr(privacy, "audit_folder", lambda *a, **k: bad)
    with pytest.raises(PrivacyError, match="untouched"):
        run(s, force=True)
    assert (s.paths.output / "atlas" / "index.html").read_bytes() == before
    assert not list(s.paths.output.parent.glob(".maps.build-*"))


def test_cli_run_prints_one_summary_line(demo) -> None:
    s, _ = demo
    res = CliRunner().invoke(main, ["run", "--config", str(_config(s)), "--quiet", "--force"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert len(lines) == 2 and "pubblicato" in lines[0] and "sintetici" in lines[0]
    assert "published" not in res.output  # one language per line
    # offline, the demo places few reports on a street: the one command that fixes it is named
    assert lines[1].startswith("fragmap: segnalazioni localizzate su una via:") and "fragmap geodati scarica" in lines[1]


def test_run_summary_and_atlas_give_the_street_share_per_partner(demo) -> None:
    s, r = demo
    figures = {f["partner"]: f for f in r.manifest["counts"]["placed_by_partner"]}
    assert set(figures) == set(s.partner_codes)
    levels = r.manifest["counts"]["geocoded_by_level"]
    on_street = sum(v for k, v in levels.items() if k in ("civico", "via", "coordinate"))
    assert sum(f["placed"] for f in figures.values()) == on_street
    assert sum(f["reports"] for f in figures.values()) == r.manifest["counts"]["accepted"]
    assert all(f["low"] == (f["share"] < 0.6) for f in figures.values())
    res = CliRunner().invoke(main, ["run", "--config", str(_config(s)), "--force"])
    assert res.exit_code == 0, res.output
    for code, f in figures.items():
        share, n, of = format_share(f["share"], "it"), format_number(f["placed"], "it"), format_number(f["reports"], "it")
        assert f"{s.partner_name(code)}: {share} ({n} su {of})" in res.output
    assert "fragmap geodati scarica" in res.output
    index = (s.paths.output / "atlas" / "index.html").read_text(encoding="utf-8")
    quality = unescape(index[index.index('class="quality"'):])
    for code, f in figures.items():  # shares only on the published page
        assert f"{s.partner_name(code)}: {format_share(f['share'], 'it')}<" in quality
    assert "fragmap geodati scarica" in quality


def test_the_demo_names_vallone_and_the_station(demo) -> None:
    s, _ = demo
    page = (s.paths.output / "mappa.html").read_text(encoding="utf-8")
    index = (s.paths.output / "atlas" / "index.html").read_text(encoding="utf-8")
    # a whole area name, as the map's data and the atlas's ranking table give it
    assert '"Vallone"' in page or '"Vallone / ' in page
    assert ">Vallone<" in index or ">Vallone / " in index
    assert "Stazione" in page and "Stazione" in index
    assert not re.search(r"\bcella \d", index) and not re.search(r"\bcella \d", page)  # no "Pavia · cella 03-03"


def test_cli_ingest_and_geocode(demo, tmp_path: Path) -> None:
    s, _ = demo
    cfg = _config(s)
    src = Path(__file__).resolve().parent.parent / "data" / "synthetic" / "segnalazioni_sintetiche_le_torri.csv"
    res = CliRunner().invoke(main, ["ingest", str(src), "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "già presenti" in res.output and "scartate" in res.output
    addr = tmp_path / "indirizzi.csv"
    addr.write_text("indirizzo;comune\nC.so Strada Nuova 45;Pavia\nVia Roma 1, Milano;\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(main, ["geocode", str(addr), "-o", str(out), "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8-sig")
    assert "civico" in text and "non_trovato" in text
    assert (tmp_path / "out_da_rivedere.csv").exists()


def _config(s) -> Path:
    """A project file pointing at the test's private folder and output."""
    return demo_project_file(s)


def test_older_residents_far_from_a_help_desk_are_in_the_atlas(demo) -> None:
    """#19.5: coverage of people; before the geodata set-up the uniform estimate, labelled."""
    s, r = demo
    cov = r.publication.extras["resident_coverage"]
    towns = cov[cov["level"] == "town"]
    assert set(towns["area_id"]) == set(s.town_names)
    assert (towns["distribution"] == "stima: distribuzione uniforme").all()
    assert (cov["residents"].dropna() % 10 == 0).all()  # rounded estimates
    index = unescape((s.paths.output / "atlas" / "index.html").read_text(encoding="utf-8"))
    assert ("dei residenti con 65 anni e più vive a più di 15 minuti a piedi (0,8 m/s) da uno sportello della "
            "rete") in index and "stima: distribuzione uniforme" in index


def test_cli_previews_are_the_runs_stages(demo, tmp_path: Path) -> None:
    """`fragmap atlas` and `fragmap map` call the stages `run` composes: same pages, byte for byte."""
    import fragmap.cli.run as cli_run

    s, _ = demo
    import ast

    tree = ast.parse(Path(cli_run.__file__).read_text(encoding="utf-8"))
    taken = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "fragmap.pipeline"
             for a in n.names}
    assert {"build_atlas", "build_map", "audit_or_refuse", "data_quality"} <= taken
    assert not {n for n in taken if n.startswith("_")} and "expand_inputs" not in taken
    res = CliRunner().invoke(main, ["run", "--config", str(_config(s)), "--quiet", "--force"])
    assert res.exit_code == 0, res.output
    atlas_out, map_out = tmp_path / "anteprima-atlante", tmp_path / "anteprima-mappa"
    for args in (["atlas", "-o", str(atlas_out)], ["map", "-o", str(map_out)]):
        res = CliRunner().invoke(main, [*args, "--config", str(_config(s))])
        assert res.exit_code == 0, res.output
    published = s.paths.output
    for page in ("index.html", *(p.relative_to(published / "atlas").as_posix()
                                 for p in sorted((published / "atlas" / "quartieri").glob("*.html"))[:3])):
        assert (atlas_out / page).read_bytes() == (published / "atlas" / page).read_bytes(), page
    assert (map_out / "mappa.html").read_bytes() == (published / "mappa.html").read_bytes()


def test_project_caches_one_way_and_hides_no_work_behind_properties(tmp_path: Path) -> None:
    """Stages are methods memoised in one dict; the old property names are deprecated aliases of them."""
    import functools
    import inspect
    import warnings

    members = dict(inspect.getmembers(Project))
    assert not [n for n, m in members.items() if isinstance(m, functools.cached_property)]
    aliases = {"boundaries": "load_boundaries", "background": "load_background", "quarters": "build_quarters",
               "places": "load_places", "services": "locate_services", "unlocated_services": "unplaced_services",
               "help_desks": "help_desk_services", "graph": "street_network"}
    properties = {n for n, m in members.items() if isinstance(m, property)}
    assert properties == {"store", "private", *aliases}  # store and private only open light objects
    p = Project(demo_project_settings(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the methods warn about nothing
        boundaries = p.load_boundaries()
    with pytest.warns(DeprecationWarning, match=r"Project\.boundaries is deprecated: call Project\.load_boundaries"):
        assert p.boundaries is boundaries  # the alias returns the one cached result
    assert p.load_boundaries() is boundaries
    for old, new in aliases.items():
        assert callable(getattr(Project, new)) and new in (members[old].__doc__ or ""), old
