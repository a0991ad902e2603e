"""The audit tells an area's name and a figure from a report address (issue 16, 10x the demo).

At ten times the demo an atlas category page printed the tile title
``I Cortili - Via del Popolo: 7,2`` (an area named by fragmap.naming after an OSM street, and
its rate), which folds to ``... via del popolo 7 2`` and contained a report's address
``Via del Popolo 7``: the audit refused to publish. The name and the figure are published by
design; the same address written as an address must still be caught.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fragmap import privacy
from fragmap._published_names import raw_words
from fragmap._text import fold_name

AREA = "I Cortili - Via del Popolo"


def _fp(public_names=(AREA, "Vigevano")):  # type: ignore[no-untyped-def]
    reports = pd.DataFrame({"lat": [45.31], "lon": [8.86], "address": ["Via del Popolo 7"]})
    return privacy.fingerprint(reports, public_names=public_names)


def _tile_page(extra: str = "", title: str = f"{AREA}: 7,2") -> str:
    # as the atlas' category pages draw a tile: an SVG path with the area's name and rate
    return (
        '<html><body><svg><path d="M79.6,79.7 74.0,82.9 68.5,79.7Z" fill="#21918c">'
        f"<title>{title}</title></path></svg>{extra}</body></html>"
    )


def _address_findings(text: str, fp: privacy.PrivateFingerprint) -> list[privacy.Finding]:
    found = privacy.audit_text("atlas/categorie/disabilita.html", text, fp, threshold=5)
    return [f for f in found if f.kind == "report address"]


def test_an_area_name_and_its_rate_are_not_a_report_address() -> None:
    assert _address_findings(_tile_page(), _fp()) == []
    assert _address_findings(_tile_page(title=f"{AREA} = 7"), _fp()) == []


def test_without_the_published_names_the_same_page_is_refused() -> None:
    # the case itself: the folded page does contain the address
    assert len(_address_findings(_tile_page(), _fp(public_names=()))) == 1


@pytest.mark.parametrize("planted", [
    "<p>Via del Popolo 7</p>",                    # the address on its own
    "<p>Segnalazione in via del popolo, 7</p>",  # a comma before the number
    f"<p>{AREA} 7</p>",                          # the area's name, then a house number
    f"<p>{AREA}, 7</p>",
    f"<p>{AREA}\n: 7</p>",                       # a label sign on another line is no label
])
def test_a_planted_address_in_the_same_page_is_still_caught(planted: str) -> None:
    assert len(_address_findings(_tile_page(planted), _fp())) == 1


def test_a_street_that_names_no_area_is_caught_even_after_a_label_sign() -> None:
    reports = pd.DataFrame({"lat": [45.31], "lon": [8.86], "address": ["Via Roma 12"]})
    fp = privacy.fingerprint(reports, public_names=[AREA])
    assert len(_address_findings(_tile_page("<p>Via Roma: 12</p>"), fp)) == 1
    # a published name that only ends like the street does not cover it
    fp = privacy.fingerprint(reports, public_names=["Roma"])
    assert len(_address_findings(_tile_page("<p>Via Roma: 12</p>"), fp)) == 1


def test_accented_text_keeps_the_name_and_figure_apart() -> None:
    # non-ASCII pages take the character-by-character path of raw_words
    page = _tile_page("<p>Città di Vigevano · l’atlante</p>")
    assert _address_findings(page, _fp()) == []
    assert len(_address_findings(page + "<p>Via del Popolo 7</p>", _fp())) == 1


@pytest.mark.parametrize("text", [
    "Cà de' Tedioli: 7,2", "l’Aquila  -- Via  del Popolo:7", "straße ² e\u0301 x", "", "  ,, ", "ÀB-çd 12",
    "’ab’ ’ cd…ef", "½ ﬁne", "a\x01b ü", "İstanbul ÆØ", "x\u0301\u0301y — z",
])
def test_raw_words_are_the_folded_words_with_their_offsets(text: str) -> None:
    words, starts, ends = raw_words(text)
    assert words == (fold_name(text).split(" ") if fold_name(text) else [])
    assert [fold_name(text[s:e]) for s, e in zip(starts, ends)] == words


def test_the_audit_of_a_folder_publishes_the_tile_and_refuses_the_address(tmp_path: Path) -> None:
    from factories import demo_defaults

    settings = demo_defaults()
    page = tmp_path / "atlas" / "categorie" / "disabilita.html"
    page.parent.mkdir(parents=True)
    page.write_text(_tile_page(), encoding="utf-8")
    assert privacy.audit_folder(tmp_path, _fp(), settings).ok
    page.write_text(_tile_page("<td>Via del Popolo 7</td>"), encoding="utf-8")
    result = privacy.audit_folder(tmp_path, _fp(), settings)
    assert [f.kind for f in result.findings] == ["report address"]


@pytest.mark.parametrize("public", [
    ["CORSO STRADA NUOVA, 45", "Via Fasolo 1"],
    ["Piazza Ducale", "Via Fasolo 1"],  # a public address without a number: every address is parsed
    [],
])
def test_the_fingerprint_leaves_out_exactly_the_public_addresses(public: list[str]) -> None:
    # the fingerprint parses only addresses holding a public house number (fast at scale):
    # the addresses kept must be those of the plain rule, parsing every one
    from fragmap.geocode.normalise import normalise_address

    typed = ["C.so Strada Nuova 45", "corso strada nuova n. 45/b", "Via Fasolo 001", "via fasolo 1 pavia",
             "Via Fasolo 11", "Via Roma 45", "27100 Pavia, Via Fasolo, 1", "Piazza Ducale 3", "V. Fasolo 1",
             "Via Fasolo 1"]
    reports = pd.DataFrame({"lat": [45.18] * len(typed), "lon": [9.16] * len(typed), "address": typed})

    def key(a: str) -> tuple[str | None, str | None]:
        p = normalise_address(a)
        return p.key, None if p.house_number is None else str(p.house_number)

    public_keys = {key(a) for a in public}
    public_text = " " + " | ".join(fold_name(a) for a in public) + " "
    expected = {fold_name(a) for a in typed
                if len(fold_name(a)) >= 8 and key(a) not in public_keys and f" {fold_name(a)} " not in public_text}
    assert privacy.fingerprint(reports, public_addresses=public).addresses == expected
    if public:
        assert fold_name("Via Fasolo 11") in expected and fold_name("via fasolo 1 pavia") not in expected
