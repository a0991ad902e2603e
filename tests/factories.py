"""Small builders of test objects shared by several test modules.

``make_publication`` builds a valid :class:`fragmap.publication.Publication` on a grid of
square quarters near Pavia, with primary suppression only (enough for renderer tests;
the privacy module's own tests cover complementary suppression).
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from fragmap.classify import rate_per_1000
from fragmap.publication import ALL_ACTIONS, ALL_PARTNERS, NETWORK, TOTAL, Publication

CATEGORIES = ("anziani", "disabilita", "fragilita_economica", "minori_migranti", "contesto_culturale")


def make_areas(n_side: int = 3, names: list[str] | None = None) -> gpd.GeoDataFrame:
    """``n_side`` x ``n_side`` square quarters of about 800 m in Pavia, plus the town polygon."""
    x0, y0, d = 9.13, 45.17, 0.01
    rows = []
    for i, (ix, iy) in enumerate(itertools.product(range(n_side), range(n_side))):
        name = names[i] if names and i < len(names) else f"Quartiere {i + 1}"
        rows.append(
            {
                "area_id": f"PV-{i + 1:02d}",
                "name": name,
                "town": "Pavia",
                "level": "quarter",
                "population": 1000.0 + 250 * i,
                "population_estimated": True,
                "geometry": box(x0 + ix * d, y0 + iy * d, x0 + (ix + 1) * d, y0 + (iy + 1) * d),
            }
        )
    town = box(x0, y0, x0 + n_side * d, y0 + n_side * d)
    rows.append(
        {
            "area_id": "Pavia",
            "name": "Pavia",
            "town": "Pavia",
            "level": "town",
            "population": sum(r["population"] for r in rows),
            "population_estimated": False,
            "geometry": town,
        }
    )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def make_publication(
    *,
    n_side: int = 3,
    months: tuple[str, ...] = tuple(f"2026-{m:02d}" for m in range(1, 13)),
    threshold: int = 5,
    seed: int = 1,
    names: list[str] | None = None,
    synthetic: bool = True,
    language: str = "it",
) -> Publication:
    """A valid publication with random counts (window 1 and 12), primary suppression only."""
    rng = np.random.default_rng(seed)
    areas = make_areas(n_side, names)
    quarters = areas[areas.level == "quarter"]
    pop = dict(zip(areas.area_id, areas.population))
    rows = []
    for month in months:
        for window in (1, 12):
            for cat in CATEGORIES:
                qvals = rng.poisson(3 * window / 2, size=len(quarters))
                for qid, v in zip(quarters.area_id, qvals):
                    rows.append((qid, "quarter", month, window, cat, int(v)))
                rows.append(("Pavia", "town", month, window, cat, int(qvals.sum())))
                rows.append((NETWORK, "network", month, window, cat, int(qvals.sum())))
    df = pd.DataFrame(rows, columns=["area_id", "level", "month", "window", "category", "value"])
    tot = df.groupby(["area_id", "level", "month", "window"], as_index=False)["value"].sum()
    tot["category"] = TOTAL
    df = pd.concat([df, tot], ignore_index=True)
    df["partner"] = ALL_PARTNERS
    df["action"] = ALL_ACTIONS
    df["value"] = df["value"].astype(float)
    df["suppressed"] = (df["value"] < threshold) & (df["value"] != 0)
    df["reason"] = np.where(df["suppressed"], "primary", "")
    df.loc[df.suppressed, "value"] = np.nan
    df["rate_per_1000"] = rate_per_1000(df["value"], df["area_id"].map(pop))
    df["change_yoy"] = np.nan
    town_tot = df[df.level == "town"].set_index(["month", "window", "category"])["value"]
    key = pd.MultiIndex.from_frame(df[["month", "window", "category"]])
    df["share_of_town"] = df["value"].to_numpy() / town_tot.reindex(key).to_numpy()
    return Publication(
        table=df,
        areas=areas,
        months=months,
        threshold=threshold,
        language=language,
        synthetic=synthetic,
        quarter_source="griglia",
        attributions=("Confini comunali: ISTAT via openpolis, CC BY 4.0",),
        notes=("Popolazione stimata.",),
    )


def with_previous_year(table: pd.DataFrame, previous: object) -> pd.DataFrame:
    """``table`` with ``value_prev`` set to ``previous`` (NaN: hidden or missing a year before) and
    the change and its status computed as :func:`fragmap.privacy.publish` does."""
    from fragmap.change import NOT_COMPUTABLE, classify_changes

    t = table.copy()
    t["value_prev"] = np.asarray(previous, dtype=float)
    ch = classify_changes(t["value"].to_numpy(dtype=float), t["value_prev"].to_numpy(dtype=float))
    t["change_yoy"], t["change_status"] = ch["change"].to_numpy(), ch["status"].to_numpy()
    t.loc[t["suppressed"], ["change_yoy", "value_prev"]] = np.nan
    t.loc[t["suppressed"], "change_status"] = NOT_COMPUTABLE
    return t


def offline_route(external: list[str]):  # type: ignore[no-untyped-def]
    """A Playwright route handler: file: and data: URLs load, anything else is aborted and noted."""

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    return route


def open_offline(browser, url: str, *, width: int = 1100, height: int = 900):  # type: ignore[no-untyped-def]
    """Open ``url`` in a new page that may load only file: and data: URLs.

    Returns ``(page, console_errors, blocked_external_urls)``.
    """
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    external: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", offline_route(external))
    page.goto(url)
    page.wait_for_timeout(300)
    return page, errors, external


def demo_network_toml(*, categories: bool = True) -> str:
    """The ``[[towns]]``, ``[[partners]]`` and ``[[categories]]`` of the demo project file, to
    append to a test's own project file (the library names no town)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "fragmap.toml").read_text(encoding="utf-8")
    start = text.index("[[towns]]")
    end = text.index("\n[[categories]]", start) if not categories else text.index("\n[paths]", start)
    return "\n" + text[start:end] + "\n"


def demo_defaults(root="."):  # type: ignore[no-untyped-def]
    """Library defaults plus the demo network of ``fragmap.toml`` (its towns, partners,
    categories, names and reference files): the library itself names no town."""
    import dataclasses
    from pathlib import Path

    from fragmap.settings import default_settings, load_settings

    demo = load_settings(Path(__file__).resolve().parent.parent / "fragmap.toml")
    s = default_settings(root)
    paths = dataclasses.replace(s.paths, boundaries=demo.paths.boundaries, population=demo.paths.population,
                                streets=demo.paths.streets, quarter_landmarks=demo.paths.quarter_landmarks,
                                localities=demo.paths.localities, places=demo.paths.places,
                                street_points=demo.paths.street_points)
    return s.replace(name=demo.name, name_en=demo.name_en, towns=demo.towns, partners=demo.partners,
                     categories=demo.categories, paths=paths)


def demo_project_settings(tmp):  # type: ignore[no-untyped-def]
    """The shipped demo project (fragmap.toml) with its private folder and output under ``tmp``."""
    import dataclasses
    from pathlib import Path

    from fragmap.settings import load_settings

    tmp = Path(tmp)
    s = load_settings(Path(__file__).resolve().parent.parent / "fragmap.toml")
    return dataclasses.replace(s, paths=dataclasses.replace(
        s.paths, store=tmp / "private" / "store.sqlite", gazetteer=tmp / "private" / "gazetteer.gpkg",
        cache_dir=tmp / "private" / "cache", output=tmp / "maps", geodata=tmp / "geodati"))


def demo_project_file(s, **replace: str):  # type: ignore[no-untyped-def]
    """A copy of the demo project file pointing at the private folder and output of ``s``.

    ``replace`` maps text of fragmap.toml to what it becomes (e.g. a classification).
    Written next to the store; returns its path.
    """
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "fragmap.toml").read_text(encoding="utf-8")
    text = text.replace('reports = ["data/synthetic/', f'reports = ["{root}/data/synthetic/')
    for key in ("boundaries", "population", "streets", "quarter_landmarks", "localities", "places", "street_points"):
        text = text.replace(f'{key} = "data/', f'{key} = "{root}/data/')
    text = text.replace('    "data/', f'    "{root}/data/')
    text = text.replace('store = "data/private/store.sqlite"', f'store = "{s.paths.store}"')
    text = text.replace('gazetteer = "data/private/gazetteer.gpkg"', f'gazetteer = "{s.paths.gazetteer}"')
    text = text.replace('cache_dir = "data/private/cache"', f'cache_dir = "{s.paths.cache_dir}"')
    text = text.replace('output = "maps"', f'output = "{s.paths.output}"')
    for old, new in replace.items():
        text = text.replace(old, new)
    cfg = s.paths.store.parent / "fragmap.toml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(text, encoding="utf-8")
    return cfg
