"""Static SVG charts for the atlas: locator maps, small-multiple maps, trend lines, bars.

Hand-written SVG strings rather than matplotlib: a few kilobytes each, byte-identical
from run to run, no fonts embedded, and every text escaped here. Pure functions.

Examples
--------
>>> svg = trend_svg([5, None, 7], [False, True, False], ["gen", "feb", "mar"], title="Totale")
>>> svg.startswith("<svg")
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

import numpy as np

HATCH = (
    '<defs><pattern id="h" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)">'
    '<rect width="5" height="5" fill="#ececec"/><line x1="0" y1="0" x2="0" y2="5" stroke="#9e9e9e" stroke-width="2.5"/>'
    "</pattern></defs>"
)


def _rings(geom: object) -> list[np.ndarray]:
    polys = getattr(geom, "geoms", [geom])
    out = []
    for p in polys:
        if p.geom_type != "Polygon":
            continue
        out.append(np.asarray(p.exterior.coords))
        out += [np.asarray(r.coords) for r in p.interiors]
    return out


def map_svg(
    geoms: Sequence[object],
    fills: Sequence[str],
    *,
    width: int = 360,
    height: int = 300,
    titles: Sequence[str] | None = None,
    highlight: int | None = None,
    label: str = "",
) -> str:
    """A choropleth of projected polygons (metres) as SVG; ``fills`` may be ``"hatch"``.

    Parameters
    ----------
    geoms : sequence of shapely geometries
        Polygons in a projected CRS (y up).
    fills : sequence of str
        A CSS colour per polygon, or ``"hatch"`` for a suppressed area.
    titles : sequence of str, optional
        Hover text per polygon (escaped).
    highlight : int, optional
        Index of a polygon to outline (the locator map's area).
    label : str
        Accessible label of the whole figure.
    """
    allb = np.array([g.bounds for g in geoms])
    minx, miny = allb[:, 0].min(), allb[:, 1].min()
    maxx, maxy = allb[:, 2].max(), allb[:, 3].max()
    pad = 4
    s = min((width - 2 * pad) / max(maxx - minx, 1), (height - 2 * pad) / max(maxy - miny, 1))
    ox = pad + ((width - 2 * pad) - (maxx - minx) * s) / 2
    oy = pad + ((height - 2 * pad) - (maxy - miny) * s) / 2

    def path(g: object) -> str:
        parts = []
        for ring in _rings(g):
            x = ox + (ring[:, 0] - minx) * s
            y = oy + (maxy - ring[:, 1]) * s
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))
            parts.append(f"M{pts}Z")
        return "".join(parts)

    body = []
    order = [i for i in range(len(geoms)) if i != highlight] + ([highlight] if highlight is not None else [])
    for i in order:
        fill = "url(#h)" if fills[i] == "hatch" else escape(fills[i])
        stroke = ' stroke="#000" stroke-width="2.5"' if i == highlight else ' stroke="#fff" stroke-width="0.6"'
        title = f"<title>{escape(titles[i])}</title>" if titles else ""
        body.append(f'<path d="{path(geoms[i])}" fill="{fill}"{stroke} fill-rule="evenodd">{title}</path>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}">{HATCH}{"".join(body)}</svg>'
    )


def trend_svg(
    values: Sequence[float | None],
    suppressed: Sequence[bool],
    labels: Sequence[str],
    *,
    title: str,
    width: int = 220,
    height: int = 90,
    value_format: str = "{:.0f}",
    formatter: Callable[[float], str] | None = None,
) -> str:
    """A small line chart; suppressed points are gaps marked with a hollow grey dot at the base."""
    n = len(values)
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    top = max(vals) if vals else 1.0
    top = top if top > 0 else 1.0
    left, right, top_pad, bottom = 6, 6, 16, 16
    w, h = width - left - right, height - top_pad - bottom
    xs = [left + (w * i / max(n - 1, 1)) for i in range(n)]

    def y(v: float) -> float:
        return top_pad + h - h * (v / top)

    segs, cur = [], []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)) or suppressed[i]:
            if cur:
                segs.append(cur)
            cur = []
        else:
            cur.append((xs[i], y(float(v))))
    if cur:
        segs.append(cur)
    lines = "".join(
        f'<polyline fill="none" stroke="#24527a" stroke-width="1.8" points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in seg)}"/>'
        if len(seg) > 1 else f'<circle cx="{seg[0][0]:.1f}" cy="{seg[0][1]:.1f}" r="2" fill="#24527a"/>'
        for seg in segs
    )
    marks = "".join(
        f'<circle cx="{xs[i]:.1f}" cy="{top_pad + h:.1f}" r="2.5" fill="none" stroke="#757575"/>'
        for i in range(n) if suppressed[i]
    )
    last = next((v for v, s in zip(reversed(values), reversed(suppressed)) if v is not None and not s
                 and not (isinstance(v, float) and math.isnan(v))), None)
    last_txt = (formatter(last) if formatter else value_format.format(last)) if last is not None else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">'
        f'<text x="{left}" y="11" font-size="11" fill="#1a1a1a">{escape(title)}</text>'
        f'<line x1="{left}" y1="{top_pad + h:.1f}" x2="{left + w}" y2="{top_pad + h:.1f}" stroke="#bbb"/>'
        f"{lines}{marks}"
        f'<text x="{left}" y="{height - 3}" font-size="9" fill="#4d4d4d">{escape(labels[0] if labels else "")}</text>'
        f'<text x="{left + w}" y="{height - 3}" font-size="9" fill="#4d4d4d" text-anchor="end">{escape(labels[-1] if labels else "")}</text>'
        f'<text x="{left + w}" y="11" font-size="11" fill="#24527a" text-anchor="end">{escape(last_txt)}</text>'
        "</svg>"
    )


def bars_svg(
    items: Sequence[tuple[str, float | None, float | None]],
    *,
    title: str,
    width: int = 420,
    row: int = 22,
    value_format: str = "{:.1f}",
    reference_label: str = "",
    formatter: Callable[[float], str] | None = None,
) -> str:
    """Horizontal bars (label, value, reference) with the reference (e.g. the town average) as a tick."""
    vals = [v for _, v, r in items for v in (v, r) if v is not None and not math.isnan(v)]
    top = max(vals) if vals else 1.0
    top = top if top > 0 else 1.0
    lab_w, val_w = 150, 50
    bw = width - lab_w - val_w - 10
    height = 20 + row * len(items) + 14
    out = [f'<text x="0" y="12" font-size="11" fill="#1a1a1a">{escape(title)}</text>']
    for i, (label, v, ref) in enumerate(items):
        y0 = 20 + i * row
        out.append(f'<text x="0" y="{y0 + 14}" font-size="11" fill="#1a1a1a">{escape(label)}</text>')
        if v is not None and not math.isnan(v):
            out.append(f'<rect x="{lab_w}" y="{y0 + 4}" width="{bw * v / top:.1f}" height="{row - 8}" fill="#41b6c4"/>')
            shown = formatter(v) if formatter else value_format.format(v)
            out.append(f'<text x="{width - val_w + 5}" y="{y0 + 14}" font-size="11" fill="#1a1a1a">{escape(shown)}</text>')
        else:
            out.append(f'<text x="{width - val_w + 5}" y="{y0 + 14}" font-size="11" fill="#4d4d4d">n.d.</text>')
        if ref is not None and not math.isnan(ref):
            x = lab_w + bw * ref / top
            out.append(f'<line x1="{x:.1f}" y1="{y0 + 1}" x2="{x:.1f}" y2="{y0 + row - 1}" stroke="#1a1a1a" stroke-width="2"/>')
    if reference_label:
        out.append(f'<text x="{lab_w}" y="{height - 2}" font-size="9" fill="#4d4d4d">| {escape(reference_label)}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">{"".join(out)}</svg>'
    )
