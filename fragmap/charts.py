"""Static SVG charts for the atlas: locator maps, small-multiple maps, trend lines, bars.

Hand-written SVG strings rather than matplotlib: a few kilobytes each, byte-identical
from run to run, no fonts embedded, and every text escaped here. Pure functions; the
caller passes every word shown (the atlas's translation table), so a chart never
mixes languages.

Every chart scales with its container (``viewBox`` plus CSS ``max-width:100%``).

Examples
--------
>>> svg = trend_svg([5, None, 7], [False, True, False], ["gen", "feb", "mar"], title="Totale")
>>> svg.startswith("<svg")
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from html import escape

import numpy as np

#: Fills of figures not shown, by the name a caller gives as a polygon's fill
#: (:data:`fragmap.classify.PATTERNS`: ``hatch`` = ``< N``, ``hatch2`` = ``n.d.``, ``missing`` = no figure).
PATTERN_FILLS = {"hatch": "primary", "hatch2": "protective", "missing": "missing"}
#: Fill of the area a locator map points at, and of its neighbours.
HIGHLIGHT_FILL = "#24527a"
CONTEXT_FILL = "#e0e0e0"


def _pattern_id(pid: str, fill: str) -> str:
    return pid if fill == "hatch" else f"{pid}-{fill}"


def _patterns(pid: str, fills: Sequence[str]) -> str:
    """``<defs>`` with the patterns ``fills`` use (none when no polygon needs one)."""
    from fragmap.classify import PATTERNS

    used = [f for f in PATTERN_FILLS if f in set(fills)]
    if not used:
        return ""
    return "<defs>" + "".join(PATTERNS[PATTERN_FILLS[f]].svg(_pattern_id(pid, f)) for f in used) + "</defs>"


def _missing(v: float | None) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _rings(geom: object) -> list[np.ndarray]:
    polys = getattr(geom, "geoms", [geom])
    out = []
    for p in polys:
        if p.geom_type != "Polygon":
            continue
        out.append(np.asarray(p.exterior.coords))
        out += [np.asarray(r.coords) for r in p.interiors]
    return out


def _svg_open(width: int, height: int, label: str, css_class: str = "") -> str:
    cls = f' class="{escape(css_class)}"' if css_class else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f'{cls} role="img" aria-label="{escape(label)}">'
    )


def map_svg(
    geoms: Sequence[object],
    fills: Sequence[str],
    *,
    width: int = 360,
    height: int = 300,
    titles: Sequence[str] | None = None,
    highlight: int | None = None,
    label: str = "",
    pattern_id: str = "h",
    background: Callable[[Callable[[np.ndarray], np.ndarray], tuple[float, float, float, float]], tuple[str, str]]
    | None = None,
) -> str:
    """A choropleth of projected polygons (metres) as SVG; a fill may be a pattern's name.

    Parameters
    ----------
    geoms : sequence of shapely geometries
        Polygons in a projected CRS (y up).
    fills : sequence of str
        A CSS colour per polygon, or the name of a pattern (:data:`PATTERN_FILLS`):
        ``"hatch"`` (under the threshold), ``"hatch2"`` (hidden to protect another
        figure) or ``"missing"`` (no figure).
    width, height : int
        Size of the frame in CSS pixels (the drawing keeps its aspect ratio inside).
    titles : sequence of str, optional
        Hover text per polygon (escaped).
    highlight : int, optional
        Index of a polygon to point at (the locator map's area): drawn last, with a
        thick dark outline; give it a fill of its own (e.g. :data:`HIGHLIGHT_FILL`).
    label : str
        Accessible label of the whole figure.
    pattern_id : str
        Id of the patterns (``pattern_id``, ``pattern_id-hatch2``...); unique per page
        when a page holds several maps.
    background : callable, optional
        ``background(to_px, view) -> (under, over)``: SVG drawn under the areas (roads,
        river...) and over them (place names), given the metres -> pixels transform and
        the frame's extent in metres (see :func:`fragmap.background.svg_layers`). The
        areas are then drawn a little transparent so the background shows through.

    Returns
    -------
    str
        An ``<svg>`` element.
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

    pid = re.sub(r"[^A-Za-z0-9_-]", "_", pattern_id)
    under = over = opacity = ""
    if background is not None:
        def to_px(a: np.ndarray) -> np.ndarray:
            return np.column_stack([ox + (a[:, 0] - minx) * s, oy + (maxy - a[:, 1]) * s])

        view = (minx - ox / s, maxy - (height - oy) / s, minx + (width - ox) / s, maxy + oy / s)
        under, over = background(to_px, view)
        opacity = ' fill-opacity="0.72"' if under or over else ""
    body = [under] if under else []
    order = [i for i in range(len(geoms)) if i != highlight] + ([highlight] if highlight is not None else [])
    for i in order:
        fill = f"url(#{_pattern_id(pid, fills[i])})" if fills[i] in PATTERN_FILLS else escape(fills[i])
        stroke = ' stroke="#000" stroke-width="2.5"' if i == highlight else ' stroke="#fff" stroke-width="0.6"'
        title = f"<title>{escape(titles[i])}</title>" if titles else ""
        body.append(f'<path d="{path(geoms[i])}" fill="{fill}"{opacity}{stroke} fill-rule="evenodd">{title}</path>')
    if over:
        body.append(over)
    return f'{_svg_open(width, height, label, "map")}{_patterns(pid, fills)}{"".join(body)}</svg>'


def trend_svg(
    values: Sequence[float | None],
    suppressed: Sequence[bool],
    labels: Sequence[str],
    *,
    title: str,
    end_label: str | None = None,
    empty_message: str = "",
    width: int = 220,
    height: int = 90,
    value_format: str = "{:.0f}",
    formatter: Callable[[float], str] | None = None,
) -> str:
    """A small line chart; hidden points are gaps marked with a hollow grey dot at the base.

    Parameters
    ----------
    values : sequence of float or None
        One value per month (None/NaN when not published).
    suppressed : sequence of bool
        True where the month's value is hidden.
    labels : sequence of str
        Month labels; the first and last are printed under the axis.
    title : str
        Printed top left (and the accessible label).
    end_label : str, optional
        Printed top right: the reference month's figure exactly as the table prints it
        (a number, ``"< 5"`` or ``"n.d."``). Default: the last value, formatted, if it
        is published, else nothing (never an earlier month's value).
    empty_message : str
        Shown in the frame instead of an empty chart when no month is published.
    formatter : callable, optional
        Formats the default end label (overrides ``value_format``).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    n = len(values)
    shown = [not _missing(v) and not s for v, s in zip(values, suppressed)]
    left, right, top_pad, bottom = 6, 6, 16, 16
    w, h = width - left - right, height - top_pad - bottom
    if end_label is None:
        last = values[-1] if n and shown[-1] else None
        end_label = "" if last is None else (formatter(last) if formatter else value_format.format(last))
    head = (
        f"{_svg_open(width, height, title, 'trend')}"
        f'<text x="{left}" y="11" font-size="11" fill="#1a1a1a">{escape(title)}</text>'
        f'<text x="{left + w}" y="11" font-size="11" fill="#24527a" text-anchor="end">{escape(end_label)}</text>'
    )
    if not any(shown):
        return (
            f'{head}<rect x="{left}" y="{top_pad}" width="{w}" height="{h}" fill="#f5f5f5" stroke="#d0d0d0"/>'
            f'<text x="{left + w / 2:.1f}" y="{top_pad + h / 2 + 4:.1f}" font-size="10" fill="#4d4d4d" '
            f'text-anchor="middle">{escape(empty_message)}</text></svg>'
        )
    vals = [float(v) for v, ok in zip(values, shown) if ok]  # type: ignore[arg-type]
    top = max(vals) if vals else 1.0
    top = top if top > 0 else 1.0
    xs = [left + (w * i / max(n - 1, 1)) for i in range(n)]

    def y(v: float) -> float:
        return top_pad + h - h * (v / top)

    segs: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    for i, v in enumerate(values):
        if not shown[i]:
            if cur:
                segs.append(cur)
            cur = []
        else:
            cur.append((xs[i], y(float(v))))  # type: ignore[arg-type]
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
    return (
        f"{head}"
        f'<line x1="{left}" y1="{top_pad + h:.1f}" x2="{left + w}" y2="{top_pad + h:.1f}" stroke="#bbb"/>'
        f"{lines}{marks}"
        f'<text x="{left}" y="{height - 3}" font-size="9" fill="#4d4d4d">{escape(labels[0] if labels else "")}</text>'
        f'<text x="{left + w}" y="{height - 3}" font-size="9" fill="#4d4d4d" text-anchor="end">{escape(labels[-1] if labels else "")}</text>'
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
    missing_label: str = "\u2014",
    formatter: Callable[[float], str] | None = None,
) -> str:
    """Horizontal bars (label, value, reference) with the reference (e.g. the town average) as a tick.

    Parameters
    ----------
    items : sequence of (label, value, reference)
        ``value`` None/NaN prints ``missing_label`` instead of a bar.
    title : str
        Printed above the bars (and the accessible label).
    reference_label : str
        Legend of the reference tick.
    missing_label : str
        Text for a value that is not published, in the page's language (the atlas
        passes its translation of "n.d."; the default is a language-neutral dash).
    formatter : callable, optional
        Formats the printed values (overrides ``value_format``).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    vals = [v for _, v, r in items for v in (v, r) if not _missing(v)]
    top = max(vals) if vals else 1.0
    top = top if top > 0 else 1.0
    lab_w, val_w = 150, 50
    bw = width - lab_w - val_w - 10
    height = 20 + row * len(items) + 14
    out = [f'<text x="0" y="12" font-size="11" fill="#1a1a1a">{escape(title)}</text>']
    for i, (label, v, ref) in enumerate(items):
        y0 = 20 + i * row
        out.append(f'<text x="0" y="{y0 + 14}" font-size="11" fill="#1a1a1a">{escape(label)}</text>')
        if not _missing(v):
            out.append(f'<rect x="{lab_w}" y="{y0 + 4}" width="{bw * v / top:.1f}" height="{row - 8}" fill="#41b6c4"/>')
            shown = formatter(v) if formatter else value_format.format(v)
            out.append(f'<text x="{width - val_w + 5}" y="{y0 + 14}" font-size="11" fill="#1a1a1a">{escape(shown)}</text>')
        else:
            out.append(f'<text x="{width - val_w + 5}" y="{y0 + 14}" font-size="11" fill="#4d4d4d">{escape(missing_label)}</text>')
        if not _missing(ref):
            x = lab_w + bw * ref / top  # type: ignore[operator]
            out.append(f'<line x1="{x:.1f}" y1="{y0 + 1}" x2="{x:.1f}" y2="{y0 + row - 1}" stroke="#1a1a1a" stroke-width="2"/>')
    if reference_label:
        out.append(f'<text x="{lab_w}" y="{height - 2}" font-size="9" fill="#4d4d4d">| {escape(reference_label)}</text>')
    return f'{_svg_open(width, height, title, "bars")}{"".join(out)}</svg>'
