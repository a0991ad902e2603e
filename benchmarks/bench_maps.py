"""Published map size and render time: the demo (1.5 km hexagons) and both towns at 500 m hexagons."""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import demo_settings, timed  # noqa: E402

from fragmap.maps import render_map  # noqa: E402
from fragmap.pipeline import Project  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        for size in (1500.0, 500.0):
            s = demo_settings(Path(d) / str(int(size)))
            s = dataclasses.replace(s, quarters=dataclasses.replace(s.quarters, hex_size_m=size))
            p = Project(s)
            p.ingest()
            pub = p.publication()
            html, t = timed(f"render the map, {size:.0f} m hexagons", lambda: render_map(pub, services=p.locate_services()))
            n = int((pub.areas["level"] == "quarter").sum())
            print(f"    {n} areas x {len(pub.months)} months x 6 layers: {len(html.encode()) / 1024:,.0f} KB (goal < 400 KB)")


if __name__ == "__main__":
    main()
