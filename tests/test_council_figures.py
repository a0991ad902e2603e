"""Notebook figures and tables a city council would accept (issue 19, item 8).

Maps carry area names, a scale bar, a north arrow, the sources' credits and "popolazione
stimata"; titles carry the period; tables say sì/no and print whole counts; categories are
accepted by name; one parameter name for one or many categories; a publication shows a short
summary; the publication is kept on disk and reused while nothing changed.
"""

from __future__ import annotations

import dataclasses
import pickle
import shutil
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from factories import demo_project_settings, make_publication
from matplotlib.text import Text
from shapely import affinity

from fragmap.explore import (
    LABEL_GID,
    NORTH_GID,
    SCALE_GID,
    compare_months,
    coverage_by_area,
    coverage_summary,
    fragility_index_table,
    plot_choropleth,
    plot_coverage,
    plot_trend,
    quarter_figures,
    trend,
)
from fragmap.publication import TOTAL

matplotlib.use("Agg")

LABELS = {"anziani": "Anziani", "disabilita": "Disabilità", "fragilita_economica": "Fragilità economica",
          "minori_migranti": "Minori e migranti", "contesto_culturale": "Contesto culturale"}
CREDITS = ("Confini comunali: ISTAT via openpolis (CC BY 4.0)", "Popolazione: ISTAT 2023 (CC BY 4.0)")


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _pub(seed: int = 5, **replace):  # type: ignore[no-untyped-def]
    names = [f"Borgo {c}" for c in "ABCDEFGHI"]
    pub = make_publication(seed=seed, names=names)
    return dataclasses.replace(pub, labels=LABELS, attributions=CREDITS, **replace)


def _two_towns(pub):  # type: ignore[no-untyped-def]
    areas = pub.areas.copy()
    far = areas["area_id"].isin(["PV-07", "PV-08", "PV-09"])
    areas.loc[far, "town"] = "Vigevano"
    areas.loc[far, "geometry"] = [affinity.translate(g, xoff=-0.3, yoff=0.13) for g in areas.loc[far, "geometry"]]
    return dataclasses.replace(pub, areas=areas)


def _texts(fig) -> list[Text]:  # type: ignore[no-untyped-def]
    return [x for x in fig.findobj(Text) if x.get_text()]


def _footnote(fig) -> str:  # type: ignore[no-untyped-def]
    notes = [x.get_text() for x in fig.texts if "Fonti" in x.get_text() or "Sources" in x.get_text()]
    assert len(notes) == 1, "one footnote with the credits"
    return notes[0].replace("\n", " ")


# -- maps -------------------------------------------------------------------------------------------
def test_a_map_has_area_names_a_scale_bar_a_north_arrow_and_the_credits() -> None:
    pub = _pub()
    fig = plot_choropleth(pub, category="anziani")
    fig.canvas.draw()
    labels = [x for x in _texts(fig) if x.get_gid() == LABEL_GID]
    names = set(pub.areas["name"])
    assert 1 <= len(labels) <= 5 and {x.get_text() for x in labels} <= names
    # the names written are those of the highest published rates (the first is always written)
    gdf = quarter_figures(pub, category="anziani").dropna(subset=["rate_per_1000"])
    assert gdf.sort_values("rate_per_1000", ascending=False)["name"].iloc[0] in {x.get_text() for x in labels}
    # no two names overlap on the drawn figure
    boxes = [x.get_window_extent() for x in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), "area names drawn over each other"
    # a scale bar with a round length and its unit, and a north arrow
    bars = [a for ax in fig.axes for a in ax.artists if a.get_gid() == SCALE_GID]
    assert len(bars) == 1
    bar_text = [x.get_text() for x in bars[0].findobj(Text) if x.get_text()]
    assert len(bar_text) == 1 and bar_text[0].split()[-1] in ("m", "km") and bar_text[0].split()[0][0] in "125"
    north = [x for x in _texts(fig) if x.get_gid() == NORTH_GID]
    assert [x.get_text() for x in north] == ["N"]
    note = _footnote(fig)
    assert "Fonti: Confini comunali: ISTAT via openpolis (CC BY 4.0); Popolazione: ISTAT 2023 (CC BY 4.0)" in note
    assert "Popolazione stimata" in note  # every factory area has an estimated population


def test_popolazione_stimata_only_where_the_population_is_estimated() -> None:
    pub = _pub()
    areas = pub.areas.copy()
    areas["population_estimated"] = False
    official = dataclasses.replace(pub, areas=areas)
    assert "Popolazione stimata" not in _footnote(plot_choropleth(official, category="anziani"))
    areas.loc[areas["area_id"] == "PV-03", "population_estimated"] = True
    some = dataclasses.replace(pub, areas=areas)
    assert "Popolazione stimata (non ufficiale): 1 aree su 9" in _footnote(plot_choropleth(some, category="anziani"))
    # a map of counts does not divide by residents: no population note
    assert "Popolazione stimata" not in _footnote(plot_choropleth(pub, column="value"))


def test_labels_can_be_chosen_or_left_out() -> None:
    pub = _pub()
    fig = plot_choropleth(pub, labels=["PV-02", "Borgo E"])
    assert sorted(x.get_text() for x in _texts(fig) if x.get_gid() == LABEL_GID) == ["Borgo B", "Borgo E"]
    fig = plot_choropleth(pub, labels=0)
    assert not [x for x in _texts(fig) if x.get_gid() == LABEL_GID]
    # small multiples: no names by default, one scale bar and one north arrow for the figure
    fig = plot_choropleth(pub, categories=["anziani", "disabilita"])
    assert not [x for x in _texts(fig) if x.get_gid() == LABEL_GID]
    assert len([a for ax in fig.axes for a in ax.artists if a.get_gid() == SCALE_GID]) == 1
    assert len([x for x in _texts(fig) if x.get_gid() == NORTH_GID]) == 1


def test_titles_carry_the_period() -> None:
    pub = _two_towns(_pub())
    assert plot_choropleth(pub)._suptitle.get_text() == "Totale · gen 2026 - dic 2026"
    fig = plot_choropleth(pub, month="2026-06", category="anziani")
    assert fig._suptitle.get_text() == "Anziani · lug 2025 - giu 2026"
    assert plot_trend(pub, "Pavia").axes[0].get_title().endswith("· gen 2026 - dic 2026")
    cov = pd.DataFrame({"area_id": ["PV-01"], "category": "anziani", "method": "test", "share_within_5": [0.5],
                        "share_within_10": [1.0], "share_within_15": [1.0], "median_minutes": [5.0],
                        "suppressed": False})
    fig = plot_coverage(dataclasses.replace(pub, coverage=cov))
    assert fig.axes[0].get_title().endswith("· gen 2026 - dic 2026")
    assert "Fonti:" in _footnote(fig)
    en = dataclasses.replace(pub, language="en")
    assert plot_choropleth(en)._suptitle.get_text() == "Total · Jan 2026 - Dec 2026"


# -- tables -----------------------------------------------------------------------------------------
def _whole(series: pd.Series) -> None:
    assert str(series.dtype) == "Int64", series.name
    assert ".0" not in series.to_string(), series.name


def test_tables_print_whole_counts_and_si_no() -> None:
    from fragmap.privacy import fragility_index

    pub = _pub(seed=7)
    last = pub.cells(month=pub.month, window=12, level="quarter", category=None)
    pub = dataclasses.replace(pub, extras={"fragility_index": fragility_index(last, categories=list(LABELS))})
    table = fragility_index_table(pub)
    assert set(table["nel 10% più alto"]) <= {"sì", "no"} and "sì" in set(table["nel 10% più alto"])
    assert set(fragility_index_table(dataclasses.replace(pub, language="en"))["in the top 10%"]) <= {"yes", "no"}
    _whole(table["posizione"])
    _whole(quarter_figures(pub)["value"])
    tr = trend(pub, "Pavia")
    for c in tr.columns:
        _whole(tr[c])
    cmp = compare_months(pub, pub.months[-2], pub.month, window=1, category="anziani")
    for c in ("segnalazioni nov 2026", "segnalazioni dic 2026", "differenza", "variazione %"):
        _whole(cmp[c])
    # hidden stays missing, shown stays exact
    cells = pub.cells(month=pub.month, window=1, level="quarter", category="anziani").set_index("area_id")
    got = cmp.set_index("codice")["segnalazioni dic 2026"]
    for area, row in cells.iterrows():
        assert (pd.isna(got[area]) and row["suppressed"]) or got[area] == row["value"]


def test_coverage_tables_print_whole_percentages() -> None:
    pub = _pub(seed=8)
    cells = pub.cells(month=pub.month, window=12, level="quarter", category="anziani").set_index("area_id")
    shown = cells[~cells["suppressed"] & (cells["value"] > 0)].index[:2]
    cov = pd.DataFrame({"area_id": list(shown), "category": "anziani", "method": "test",
                        "share_within_5": [0.25, 1.0], "share_within_10": [0.5, 1.0], "share_within_15": [1.0, 1.0],
                        "median_minutes": [6.0, 3.0], "suppressed": False})
    pub = dataclasses.replace(pub, coverage=cov)
    s = coverage_summary(pub)
    for c in ("segnalazioni (12 mesi)", "% entro 5 min", "% entro 15 min", "% segnalazioni incluse"):
        _whole(s[c])
    by_area = coverage_by_area(pub, category="Anziani")
    _whole(by_area["% entro 15 min"])
    assert list(by_area["categoria"]) == ["Anziani", "Anziani"]


# -- categories -------------------------------------------------------------------------------------
def test_categories_are_accepted_by_name() -> None:
    pub = _pub()
    by_code = quarter_figures(pub, category="fragilita_economica")
    for name in ("Fragilità economica", "fragilita economica", "FRAGILITÀ ECONOMICA"):
        pd.testing.assert_frame_equal(quarter_figures(pub, category=name), by_code)
    assert list(trend(pub, "Pavia", category="Disabilità").columns) == ["disabilita"]
    assert pub.category_code("Totale") == TOTAL
    assert len(pub.cells(category="Anziani")) == len(pub.cells(category="anziani")) > 0
    fig = plot_choropleth(pub, category="Anziani")
    assert fig._suptitle.get_text().startswith("Anziani ·")
    fig = plot_trend(pub, categories=["Anziani", "disabilita"])
    assert [x.get_text() for x in fig.axes[0].get_legend().get_texts()] == ["Anziani", "Disabilità"]


def test_an_unknown_category_is_refused_in_italian_with_the_choices() -> None:
    pub = _pub()
    for call in (lambda: quarter_figures(pub, category="Anzani"), lambda: plot_choropleth(pub, category="Anzani"),
                 lambda: trend(pub, category="Anzani"), lambda: compare_months(pub, pub.months[0], pub.month,
                                                                                category="Anzani"),
                 lambda: plot_trend(pub, category="Anzani"), lambda: pub.cells(category="Anzani")):
        with pytest.raises(ValueError) as err:
            call()
        msg = str(err.value)
        assert msg.startswith("categoria sconosciuta: 'Anzani'")
        for code, name in LABELS.items():
            assert f"'{code}' ({name})" in msg
        assert "'totale' (Totale)" in msg
    with pytest.raises(ValueError, match="unknown category 'Anzani'.*'anziani' \\(Anziani\\)"):
        quarter_figures(dataclasses.replace(pub, language="en"), category="Anzani")


def test_one_name_for_one_category_and_one_for_many() -> None:
    pub = _pub()
    cats = ["anziani", "disabilita"]
    new = plot_choropleth(pub, categories=cats)
    with pytest.warns(DeprecationWarning, match="categories="):
        old = plot_choropleth(pub, category=cats)
    assert [a.get_title() for a in old.axes if a.get_title()] == [a.get_title() for a in new.axes if a.get_title()] \
        == ["Anziani", "Disabilità"]
    with pytest.raises(TypeError, match="categories"):
        plot_choropleth(pub, category="anziani", categories=cats)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_choropleth(pub, category="anziani")
        plot_trend(pub, category="anziani")
    import inspect

    from fragmap import explore

    for name in explore.__all__:  # `category` takes one, `categories` many: nowhere else a spelling
        fn = getattr(explore, name)
        if callable(fn):
            params = set(inspect.signature(fn).parameters)
            assert not params & {"cat", "cats", "category_code", "category_codes"}, name


# -- the publication's summary ----------------------------------------------------------------------
def test_a_publication_shows_a_short_summary() -> None:
    pub = _two_towns(_pub(title="Rete <Prova>"))
    text = repr(pub)
    hidden, total = int(pub.table["suppressed"].sum()), len(pub.table)
    network = pub.cells(month=pub.month, window=12, level="network", category=TOTAL)["value"].iloc[0]
    assert text.startswith("Pubblicazione «Rete <Prova>» · DATI DIMOSTRATIVI SINTETICI")
    assert "gen 2026 - dic 2026" in text
    assert "Pavia, Vigevano" in text
    assert "9 (griglia esagonale" in text
    assert "Anziani, Disabilità, Fragilità economica, Minori e migranti, Contesto culturale" in text
    assert f"{int(network):,}".replace(",", ".") in text
    assert f"{hidden:,} su {total:,}".replace(",", ".") in text
    assert len(text.splitlines()) <= 10, "a summary, not the tables"
    html = pub._repr_html_()
    assert "Rete &lt;Prova&gt;" in html and "<Prova>" not in html
    assert "<table>" in html and "Soglia di riservatezza" in html


# -- the publication kept on disk -------------------------------------------------------------------
def _extra_report(tmp: Path) -> Path:
    """One more report for the store: a copy of a demo row under a new id."""
    src = Path(__file__).resolve().parent.parent / "data" / "synthetic" / "segnalazioni_sintetiche_anffas.csv"
    lines = src.read_bytes().splitlines()
    header, row = lines[0], lines[2]
    new = b"999999" + row[row.index(b";"):]
    path = tmp / "extra.csv"
    path.write_bytes(header + b"\r\n" + new + b"\r\n")
    return path


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        elif isinstance(x, dict) and any(isinstance(v, pd.DataFrame) for v in x.values()):
            assert x.keys() == y.keys()
            for k in x:
                pd.testing.assert_frame_equal(x[k], y[k])
        else:
            assert x == y, f.name


@pytest.mark.slow
def test_the_publication_is_built_once_and_reused_until_an_input_changes(tmp_path, monkeypatch) -> None:
    from fragmap import privacy
    from fragmap.io import pubcache
    from fragmap.pipeline import Project

    s = demo_project_settings(tmp_path)
    first = Project(s)
    first.ingest()
    built = first.publication()
    files = list(pubcache.folder(s).glob("*.pkl"))
    assert len(files) == 1 and files[0].name.startswith(built.month)

    real_publish = privacy.publish
    calls: list[int] = []

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(privacy, "publish", counted)
    cached = Project(s).publication()  # another notebook: loaded, not built
    assert calls == []
    _same(cached, built)
    with pytest.raises(ValueError):  # loaded through the constructor: read-only again
        cached.table.loc[cached.table.index[0], "value"] = 2.0
    # the same as a publication built afresh without any cache
    shutil.rmtree(pubcache.folder(s))
    _same(Project(s).publication(), cached)
    assert calls == [1]

    # a setting changes: built again
    stricter = dataclasses.replace(s, privacy=dataclasses.replace(s.privacy, threshold=s.privacy.threshold + 1))
    assert Project(stricter).publication().threshold == s.privacy.threshold + 1
    assert calls == [1, 1]
    # the store changes (a report from the desk or `fragmap ingest`, not in [paths] reports): built again
    p = Project(s)
    key = pubcache.publication_key(p, built.month)
    p.ingest([_extra_report(tmp_path)])
    assert pubcache.publication_key(Project(s), built.month) != key
    Project(s).publication()
    assert calls == [1, 1, 1]
    assert len(list(pubcache.folder(s).glob(f"{built.month}-*.pkl"))) == 1, "one file per month"

    # a cache file changed by hand (a hidden count written in) is refused and rebuilt, never shown
    path = next(pubcache.folder(s).glob("*.pkl"))
    stored = pickle.loads(path.read_bytes())
    table = stored["fields"]["table"].copy()
    hidden = table.index[table["suppressed"]][0]
    table.loc[hidden, "value"] = 2.0
    stored["fields"]["table"] = table
    path.write_bytes(pickle.dumps(stored))
    again = Project(s).publication()
    assert calls == [1, 1, 1, 1]
    assert np.isnan(again.table.loc[hidden, "value"])
