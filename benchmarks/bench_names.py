"""Named areas and the honest demo: timings and the figures a coordinator would see (prints, no asserts).

- reading every named place and naming the 500 m and 1.5 km hexagon grids (goal: < 2 s each);
- landmark quarters from the shipped macro-quartieri table (goal: < 2 s);
- the demo's reports placed on a street offline, per partner (the figure the run summary prints),
  and how many 1.5 km hexagons end with no name of their own (named after a neighbour).

Run: ``PYTHONPATH=. python benchmarks/bench_names.py``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, demo_settings, timed  # noqa: E402

from fragmap.io.geo import read_boundaries  # noqa: E402
from fragmap.io.places import read_landmark_table, read_places  # noqa: E402
from fragmap.landmarks import locate_landmarks, quarters_from_landmarks  # noqa: E402
from fragmap.naming import name_areas  # noqa: E402
from fragmap.quarters import hex_grid  # noqa: E402

REF = ROOT / "data" / "reference"


def main() -> None:
    comuni = read_boundaries(REF / "comuni_pavia_vigevano_openpolis.geojson", towns=("Pavia", "Vigevano"))
    places, _ = timed("read named places (4 sources)", lambda: read_places(
        landmarks=REF / "quartieri_punti_riferimento_pavia_vigevano.csv",
        localities=REF / "istat2011_localita_coordinate_geonames_pavia_vigevano.csv",
        geonames=REF / "luoghi_geonames_pavia_vigevano.geojson", boundaries=comuni))
    print(f"{'named places':<60} {len(places):8d}")
    for size in (500, 1500):
        grid = hex_grid(comuni, size_m=size)
        named, _ = timed(f"name {len(grid)} hexagons of {size} m", lambda g=grid: name_areas(g, places))
        own = (named["places"] != "").mean()
        print(f"{'  share holding a named place of their own':<60} {own:8.1%}")
    table = read_landmark_table(REF / "quartieri_macro_pavia_vigevano.csv")
    placed = locate_landmarks(table[~table["landmark"].str.contains("Via ")], None)
    (q, _), _ = timed("landmark quarters (macro-quartieri table, points only)",
                      lambda: quarters_from_landmarks(placed.points, comuni))
    print(f"{'  quarters':<60} {len(q):8d}")

    from fragmap.pipeline import Project
    from fragmap.placement import placement_by_partner

    with tempfile.TemporaryDirectory() as tmp:
        project = Project(demo_settings(Path(tmp)))
        project.ingest()
        geo, _ = timed("demo: geocode 5,000 synthetic reports offline", project.geocoded)
        by = placement_by_partner(geo)
        for r in by.itertuples():
            print(f"{'  placed on a street: ' + r.partner:<60} {r.share:8.1%}")
        print(f"{'  placed on a street: all partners':<60} {by['placed'].sum() / by['reports'].sum():8.1%}")


if __name__ == "__main__":
    main()
