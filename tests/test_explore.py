"""The notebooks' library API: fragmap.explore over a Publication, and the public names of fragmap."""

from __future__ import annotations

import dataclasses
import inspect
import math
import subprocess
import sys
import warnings
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from shapely import affinity

import fragmap
from factories import make_publication, with_previous_year
from fragmap.explore import (
    compare_months,
    coverage_summary,
    fragility_index_table,
    plot_choropleth,
    plot_coverage,
    plot_trend,
    quarter_figures,
    save_figure,
    show_map,
    trend,
)
from fragmap.publication import TOTAL

matplotlib.use("Agg")

# Public names whose docstring has no "Examples" section yet, and public functions whose
# docstring has no "Parameters" section yet. Their modules belong to other engineers; EMPTY
# THESE SETS as the sections are added (the test fails on a name that is listed but already
# documented, so the lists can only shrink). Exception classes need a docstring only.
EXAMPLES_YET: set[str] = set()  # every public name has Examples now; keep it empty
PARAMETERS_YET: set[str] = set()


def _two_towns(pub):
    """The factory's quarters split over two towns 25 km apart (as Pavia and Vigevano are)."""
    areas = pub.areas.copy()
    far = areas["area_id"].isin(["PV-07", "PV-08", "PV-09"])
    areas.loc[far, "town"] = "Vigevano"
    areas.loc[far, "geometry"] = [affinity.translate(g, xoff=-0.3, yoff=0.13) for g in areas.loc[far, "geometry"]]
    return dataclasses.replace(pub, areas=areas)


def _mostly_zero(pub, category: str = "anziani"):
    """Every quarter at 0 except two (quantiles on such data used to give '0.0, 0.0' classes)."""
    t = pub.table.copy()
    q = (t["level"] == "quarter") & (t["category"] == category)
    keep = t["area_id"].isin(["PV-01", "PV-05"])
    t.loc[q & ~keep, ["value", "rate_per_1000", "share_of_town"]] = 0.0
    t.loc[q & ~keep, ["suppressed"]] = False
    t.loc[q & ~keep, "reason"] = ""
    t.loc[q & keep, "value"] = 12.0
    t.loc[q & keep, "suppressed"] = False
    t.loc[q & keep, "reason"] = ""
    t.loc[q & keep, "rate_per_1000"] = 7.5
    t.loc[q & (t["area_id"] == "PV-09"), ["value", "rate_per_1000", "share_of_town"]] = np.nan
    t.loc[q & (t["area_id"] == "PV-09"), ["suppressed", "reason"]] = [True, "primary"]
    return dataclasses.replace(pub, table=t)


def _legend(fig):
    legends = [leg for a in fig.axes for leg in ([a.get_legend()] if a.get_legend() else [])] + list(fig.legends)
    assert len(legends) == 1, "one legend per figure"
    leg = legends[0]
    return leg.get_title().get_text(), [x.get_text() for x in leg.get_texts()]


# -- the public API ---------------------------------------------------------------------------------
def test_every_public_name_imports() -> None:
    """Every name in __all__ resolves, and `from fragmap import *` works (in a fresh interpreter)."""
    for name in fragmap.__all__:
        assert getattr(fragmap, name) is not None, name
    code = "from fragmap import *\nimport fragmap\nmissing = [n for n in fragmap.__all__ if n not in globals()]\nassert not missing, missing"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_api_is_documented() -> None:
    """Every public name has a numpy docstring with Examples (functions: and Parameters)."""
    no_doc, no_examples, no_params, done = [], [], [], []
    for name in fragmap.__all__:
        if name == "__version__":
            continue
        obj = getattr(fragmap, name)
        doc = inspect.getdoc(obj) or ""
        if not doc:
            no_doc.append(name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            continue
        has_ex = "Examples\n--------" in doc or "Example\n-------" in doc
        if not has_ex and name not in EXAMPLES_YET:
            no_examples.append(name)
        if has_ex and name in EXAMPLES_YET:
            done.append(f"EXAMPLES_YET: {name}")
        if inspect.isfunction(obj) and inspect.signature(obj).parameters:
            has_params = "Parameters\n----------" in doc
            if not has_params and name not in PARAMETERS_YET:
                no_params.append(name)
            if has_params and name in PARAMETERS_YET:
                done.append(f"PARAMETERS_YET: {name}")
    assert not no_doc, f"public names without a docstring: {no_doc}"
    assert not no_examples, f"public names without an Examples section: {no_examples}"
    assert not no_params, f"public functions without a Parameters section: {no_params}"
    assert not done, f"documented now, remove from the allow-list: {done}"


def test_notebook_functions_are_public() -> None:
    for name in ("trend", "fragility_index_table", "coverage_summary", "plot_trend", "plot_coverage",
                 "show_map", "save_figure", "explore_map"):
        assert name in fragmap.__all__
    assert fragmap.explore_map.__module__ == "fragmap.explore"  # notebook helpers: maps never imports them


def test_explore_map_shows_the_published_rates_only() -> None:
    """explore_map lives with the notebook helpers (GeoDataFrame.explore), not in the published-map module."""
    import json

    from fragmap.classify import shown_rates
    from fragmap.explore import explore_map

    pub = make_publication(seed=3, threshold=18)  # about half the 12-month cells hidden
    gdf = quarter_figures(pub, category="anziani")
    m = explore_map(pub, category="anziani")
    layer = next(c for c in m._children.values() if type(c).__name__ == "GeoJson")
    features = json.loads(json.dumps(layer.data))["features"]
    assert len(features) == len(gdf)
    caption = "segnalazioni per 1.000 residenti"
    got = {f["properties"]["area_id"]: f["properties"][caption] for f in features}
    for area, rate, hidden in zip(gdf["area_id"], shown_rates(gdf["rate_per_1000"]), gdf["suppressed"]):
        assert (got[area] is None) if (hidden or math.isnan(rate)) else got[area] == rate
    assert gdf["suppressed"].any()  # the check above saw a hidden area
    assert "value" not in features[0]["properties"]  # rates as shown, not the counts behind them


# -- tables -----------------------------------------------------------------------------------------
def test_quarter_figures_match_the_publication_cells() -> None:
    pub = make_publication(seed=3)
    gdf = quarter_figures(pub, category="anziani", window=12)
    assert len(gdf) == 9 and gdf.crs.to_epsg() == 4326
    cells = pub.cells(month=pub.month, window=12, level="quarter", category="anziani").set_index("area_id")
    for row in gdf.itertuples():
        expected = cells.loc[row.area_id, "value"]
        assert (pd.isna(row.value) and math.isnan(expected)) or row.value == expected
    # suppressed quarters carry no figure at all
    assert gdf.loc[gdf.suppressed, ["value", "rate_per_1000"]].isna().all().all()


def test_unknown_category_month_and_window_are_refused_by_name() -> None:
    pub = make_publication(seed=3)
    with pytest.raises(ValueError, match="categoria sconosciuta: 'typo'.*'anziani'"):
        quarter_figures(pub, category="typo")
    with pytest.raises(ValueError, match="mese '2020-01' non è in questa pubblicazione.*da 2026-01 a 2026-12"):
        quarter_figures(pub, month="2020-01")
    with pytest.raises(ValueError, match="mese '2020-01'"):
        compare_months(pub, "2020-01", pub.month)
    with pytest.raises(ValueError, match="comune sconosciuto"):
        quarter_figures(pub, town="Milano")
    with pytest.raises(ValueError, match="area sconosciuta"):
        trend(pub, "nowhere")
    en = make_publication(seed=3, language="en")
    with pytest.raises(ValueError, match="unknown category 'typo'.*'anziani'"):
        quarter_figures(en, category="typo")
    with pytest.raises(ValueError, match="month '2020-01' is not in this publication.*2026-01 to 2026-12"):
        quarter_figures(en, month="2020-01")


def test_monthly_quarter_figures_are_refused_when_not_published() -> None:
    pub = make_publication(seed=3)
    yearly = dataclasses.replace(pub, table=pub.table[pub.table["window"] == 12].reset_index(drop=True))
    with pytest.raises(ValueError, match=r"window=1 non è pubblicata.*finestre pubblicate \(mesi sommati\): 12"):
        quarter_figures(yearly, window=1)
    with pytest.raises(ValueError, match="window=1"):
        plot_choropleth(yearly, window=1)


def test_compare_months_differences_only_where_both_shown() -> None:
    pub = make_publication(seed=4)
    a, b = pub.months[-2], pub.months[-1]
    cmp = compare_months(pub, a, b, window=1, category="disabilita")
    va, vb = "segnalazioni nov 2026", "segnalazioni dic 2026"
    assert list(cmp.columns) == ["codice", "area", "comune", va, vb, "differenza", "variazione %",
                                 "per 1.000 residenti nov 2026", "per 1.000 residenti dic 2026"]
    both = cmp[va].notna() & cmp[vb].notna()
    assert (cmp.loc[both, "differenza"] == cmp.loc[both, vb] - cmp.loc[both, va]).all()
    assert cmp.loc[~both, "differenza"].isna().all()


def test_compare_months_speaks_the_publication_language() -> None:
    pub = make_publication(seed=4, language="en")
    cmp = compare_months(pub, pub.months[-2], pub.month)
    assert {"area_id", "area", "town", "difference", "change %"} <= set(cmp.columns)
    assert "reports Dec 2026" in cmp.columns


def test_trend_has_one_row_per_month() -> None:
    pub = make_publication(seed=6)
    tr = trend(pub, "Pavia", window=12)
    assert list(tr.index) == list(pub.months)
    assert tr.columns[0] == TOTAL and "anziani" in tr.columns


def test_fragility_index_table_is_the_published_index_with_its_rates() -> None:
    from fragmap.privacy import fragility_index

    pub = make_publication(seed=7)
    last = pub.cells(month=pub.month, window=12, level="quarter", category=None)
    idx = fragility_index(last, categories=["anziani", "disabilita", "fragilita_economica"])
    pub = dataclasses.replace(pub, extras={"fragility_index": idx},
                              labels={"anziani": "Anziani", "disabilita": "Disabilità",
                                      "fragilita_economica": "Fragilità economica"})
    table = fragility_index_table(pub)
    assert list(table.columns[:7]) == ["posizione", "codice", "area", "comune", "indice (0-100)",
                                       "categorie usate", "nel 10% più alto"]
    assert "Anziani per 1.000" in table.columns
    shown = table.dropna(subset=["indice (0-100)"])
    assert shown["indice (0-100)"].is_monotonic_decreasing
    assert set(shown["codice"]) == set(idx.dropna(subset=["index_value"])["area_id"])


def test_coverage_summary_weights_areas_by_their_reports() -> None:
    pub = make_publication(seed=8)
    cells = pub.cells(month=pub.month, window=12, level="quarter", category="anziani").set_index("area_id")
    shown = cells[~cells["suppressed"] & (cells["value"] > 0)].index[:2]
    cov = pd.DataFrame({"area_id": list(shown), "category": "anziani", "method": "test",
                        "share_within_5": [0.0, 1.0], "share_within_10": [0.5, 1.0], "share_within_15": [1.0, 1.0],
                        "median_minutes": [6.0, 3.0], "suppressed": False})
    pub = dataclasses.replace(pub, coverage=cov, labels={"anziani": "Anziani"})
    s = coverage_summary(pub).iloc[0]
    n1, n2 = cells.loc[shown[0], "value"], cells.loc[shown[1], "value"]
    assert s["categoria"] == "Anziani"
    assert s["% entro 5 min"] == round(n2 / (n1 + n2) * 100)  # a share of reports, not a mean of areas
    assert s["% entro 15 min"] == 100


# -- figures ----------------------------------------------------------------------------------------
def test_plot_choropleth_draws_one_panel_per_town_with_one_legend() -> None:
    pub = _two_towns(make_publication(seed=5))
    fig = plot_choropleth(pub, category="anziani")
    maps = [a for a in fig.axes if a.get_title()]
    assert [a.get_title() for a in maps] == ["Pavia", "Vigevano"]
    assert sum(len(c.get_paths()) for a in maps for c in a.collections if c.get_facecolor().size) >= 9
    title, _ = _legend(fig)
    assert title == "segnalazioni per 1.000 residenti, ultimi 12 mesi"
    assert fig._suptitle.get_text() == "anziani · gen 2026 - dic 2026"  # the 12 months, not only the last
    assert fig._fragmap_publication


def test_plot_choropleth_classes_handle_ties_and_hidden_areas() -> None:
    pub = _mostly_zero(make_publication(seed=5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # mapclassify used to warn "Setting k to 3"
        fig = plot_choropleth(pub, category="anziani", town="Pavia")
    _, labels = _legend(fig)
    assert labels[0] == "0"
    assert "7,5" in labels[1]
    assert not any("0.0" in x or "0,0 – 0,0" in x for x in labels)
    assert labels[-1] == "nascosto (meno di 5 o per non permettere di ricalcolarlo)"
    hatched = [c for a in fig.axes for c in a.collections if c.get_hatch()]
    assert hatched, "hidden areas are hatched"


def test_small_multiples_share_one_scale_and_one_footnote() -> None:
    pub = make_publication(seed=9)
    cats = ["anziani", "disabilita", "fragilita_economica", "minori_migranti", "contesto_culturale"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_choropleth(pub, categories=cats, town="Pavia")
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    assert titles == cats  # the factory has no labels: the codes name the panels
    assert fig._suptitle.get_text().endswith("· Pavia")
    title, _ = _legend(fig)
    assert "stessa scala" in title
    notes = [t_ for t_ in fig.texts if "sintetici" in t_.get_text()]
    assert len(notes) == 1


def test_change_and_index_maps() -> None:
    from fragmap.privacy import fragility_index

    pub = make_publication(seed=10)
    t = pub.table.copy()
    prev = np.floor(t["value"].to_numpy(dtype=float) / 1.6)
    t = with_previous_year(t, np.where(prev >= 5, prev, np.nan))
    last = t[(t["month"] == pub.month) & (t["window"] == 12) & (t["level"] == "quarter")]
    pub = dataclasses.replace(pub, table=t, extras={"fragility_index": fragility_index(last, categories=["anziani"])})
    fig = plot_choropleth(pub, column="change_yoy")
    title, labels = _legend(fig)
    assert title.startswith("variazione") and "aumento significativo oltre il 25%" in labels
    assert "gen 2026 - dic 2026 rispetto a gen 2025 - dic 2025" in fig._suptitle.get_text()
    fig = plot_choropleth(pub, column="fragility_index")
    title, labels = _legend(fig)
    # the atlas's index classes (fragmap.classify): zero class first, then 0,1-20 ... 80,1-100
    from fragmap.classify import class_labels, index_classes

    assert title.startswith("indice composito") and labels[0] == "0: nessuna segnalazione"
    assert labels[1:6] == class_labels(index_classes(), "it")[1:] == ["0,1 – 20,0", "20,1 – 40,0", "40,1 – 60,0",
                                                                      "60,1 – 80,0", "80,1 – 100,0"]
    with pytest.raises(ValueError, match="reference month"):
        plot_choropleth(pub, column="fragility_index", month=pub.months[0])
    with pytest.raises(ValueError, match="unknown column"):
        plot_choropleth(pub, column="population")


def test_plot_trend_and_coverage_speak_italian() -> None:
    pub = make_publication(seed=6)
    fig = plot_trend(pub, "Pavia")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "mese (fine dei 12 mesi)" and "12 mesi" in ax.get_ylabel()
    assert [t_.get_text() for t_ in ax.get_xticklabels()][0] == "gen 2026"
    cov = pd.DataFrame({"area_id": ["PV-01"], "category": "anziani", "method": "test", "share_within_5": [0.5],
                        "share_within_10": [1.0], "share_within_15": [1.0], "median_minutes": [5.0],
                        "suppressed": False})
    fig = plot_coverage(dataclasses.replace(pub, coverage=cov, labels={"anziani": "Anziani"}))
    assert fig.axes[0].get_xlabel() == "quota delle segnalazioni (%)"


def test_show_map_is_self_contained() -> None:
    pytest.importorskip("IPython")
    html = show_map(make_publication(seed=2)).data
    assert '<iframe srcdoc="' in html and "&lt;script" in html
    assert "unpkg.com" not in html and "cdn." not in html.lower()


def test_save_figure_goes_through_the_privacy_audit(tmp_path) -> None:
    import matplotlib.pyplot as plt

    from fragmap import privacy
    from factories import demo_defaults

    pub = make_publication(seed=2)
    project = SimpleNamespace(
        fingerprint=lambda month=None: privacy.fingerprint(pd.DataFrame({"lat": [45.18123], "lon": [9.15456]})),
        latest_month=lambda: pub.month,
        settings=demo_defaults(),
    )
    files = save_figure(plot_choropleth(pub), tmp_path / "figure", "totale", project=project)
    assert [p.suffix for p in files] == [".svg", ".png"] and all(p.exists() for p in files)
    with pytest.raises(TypeError, match="plot functions"):
        save_figure(plt.figure(), tmp_path / "figure", "altro", project=project)
    leaky = plot_choropleth(pub)
    leaky.text(0.5, 0.5, "45.1812, 9.1546")  # a report's coordinates written on the figure
    with pytest.raises(fragmap.PrivacyError, match="privacy audit"):
        save_figure(leaky, tmp_path / "figure2", "leaky", project=project)
    assert not list((tmp_path / "figure2").iterdir())


def test_refuses_anything_but_a_publication() -> None:
    pub = make_publication()
    with pytest.raises(TypeError, match="Publication"):
        quarter_figures(pub.table)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Publication"):
        plot_choropleth(pub.areas)  # type: ignore[arg-type]


@pytest.mark.parametrize("module", ["fragmap.settings", "fragmap.pipeline", "fragmap.aggregate", "fragmap.privacy",
                                    "fragmap.geocode.normalise", "fragmap.classify", "fragmap.i18n",
                                    "fragmap.naming", "fragmap.placement", "fragmap.landmarks", "fragmap._text"])
def test_docstring_examples_run(module: str) -> None:
    """The examples that are not marked +SKIP are real: they run and print what they say."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {module} fail"
