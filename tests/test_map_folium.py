"""The map page uses folium and branca through their public extension points only (issue 16):
its own templates, ``MacroElement`` layers and fixed names via ``get_name``, so that a folium
release that changes its internals makes rendering fail loudly, never a silently broken page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
from branca.element import Element
from shapely.geometry import Point

from factories import make_publication
from fragmap import maps
from fragmap.maps import render_map

NASTY = "</script><script>alert('x')</script> & <b>"


def _services(name: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [name, "Scuola"], "type": ["pharmacy", "school"]},
                            geometry=[Point(9.135, 45.175), Point(9.145, 45.185)], crs=4326)


def _layer_data(html: str, key: str) -> str:
    found = re.search(rf"\ngeo_json_{key}\.addData\((.*?)\);\n", html)
    assert found, key
    return found.group(1)


def test_layer_data_is_embedded_once_as_html_safe_json() -> None:
    html = render_map(make_publication(), services=_services(NASTY))
    assert NASTY not in html and "alert('x')" not in html
    text = _layer_data(html, "services")
    assert not re.search(r"[<>&']", text) and text.isascii()  # nothing can close the script
    data = json.loads(text)
    assert sorted(f["properties"]["name"] for f in data["features"]) == sorted([NASTY, "Scuola"])
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":")).replace("<", "\\u003c").replace(
        ">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")
    areas = json.loads(_layer_data(html, "areas"))
    assert [f["properties"]["i"] for f in areas["features"]] == list(range(len(areas["features"])))


def test_layers_have_fixed_names_and_only_areas_and_towns_start_shown() -> None:
    html = render_map(make_publication(), services=_services("Farmacia"), tiles="OpenStreetMap.Mapnik")
    shown = re.findall(r"\s(\w+)\.addTo\((\w+)\);", html)
    assert ("geo_json_areas", "map_fm") in shown and ("geo_json_towns", "map_fm") in shown
    assert ("tile_layer_tiles", "map_fm") in shown
    assert not [n for n, _ in shown if n in ("geo_json_services", "geo_json_iso", "geo_json_where")]
    assert "var geo_json_services = L.geoJson(null" in html and "new L.CircleMarker(latlng" in html


def test_head_starts_with_meta_charset_and_has_no_http_equiv() -> None:
    html = render_map(make_publication())
    head = html[html.index("<head>"):html.index("</head>")]
    assert head[len("<head>"):].lstrip().startswith('<meta charset="utf-8">')
    assert "http-equiv" not in head.lower()


def test_an_element_asking_for_a_cdn_library_stops_the_render(monkeypatch: pytest.MonkeyPatch) -> None:
    # folium's own mechanism (default_js, written into the figure's header) still reaches the page
    monkeypatch.setattr(maps._FragmapMap, "default_js", [("lib", "https://cdn.example.org/lib.js")])
    with pytest.raises(RuntimeError, match="external resources.*cdn.example.org"):
        render_map(make_publication())


def test_an_element_with_a_random_name_stops_the_render(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maps._Layer, "get_name", Element.get_name)  # branca's default: name + random id
    with pytest.raises(RuntimeError, match="random element id"):
        render_map(make_publication())


def test_maps_touches_no_private_folium_or_branca_attribute() -> None:
    source = Path(maps.__file__).read_text(encoding="utf-8")
    for private in ("._children", "._id", "._parent", ".policies", "json.dumps_kwargs"):
        assert private not in source, private
