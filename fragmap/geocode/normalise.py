"""Italian address normalisation: what a volunteer typed -> street type, name, number, town.

Handles street-type abbreviations (V., V.le, P.zza, C.so, L.go, Str., Vic., Loc.,
Fraz.), saints (S., S.ta, SS., Sant'), titles (Dott., Prof., Gen., Don...), accents
typed as apostrophes ("Liberta'"), case, civic numbers with letters ("3/B", "3 bis",
"n. 3", "n°3"), "snc" (no number), interior/stair/floor details, and the town or
CAP anywhere in the string.

The matching *key* of a street drops titles and writes every saint as ``S`` so
that "Via S. Giovanni Bosco" and "VIA SAN GIOVANNI BOSCO" meet.

Examples
--------
>>> a = normalise_address("v.le Matteotti 12")
>>> a.street_type, a.street_name, a.number
('VIALE', 'MATTEOTTI', '12')
>>> normalise_address("C.SO CAVOUR,3/B").number
'3/B'
>>> normalise_address("p.zza vittoria snc").number is None
True
>>> normalise_address("via s. giovanni bosco 5, 27100 Pavia").town
'Pavia'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Street types (ANNCSU DUG values) and how volunteers abbreviate them.
STREET_TYPES: dict[str, tuple[str, ...]] = {
    "VIA": ("VIA", "V", "V."),
    "VIALE": ("VIALE", "V.LE", "VLE", "V.L.", "V LE"),
    "CORSO": ("CORSO", "C.SO", "CSO", "C.SO.", "C SO"),
    "PIAZZA": ("PIAZZA", "P.ZZA", "P.ZA", "PZZA", "PZA", "P.Z.", "P.", "P ZZA", "P ZA"),
    "PIAZZALE": ("PIAZZALE", "P.LE", "PLE", "P LE"),
    "PIAZZETTA": ("PIAZZETTA", "P.TTA", "PTTA"),
    "LARGO": ("LARGO", "L.GO", "LGO", "L GO"),
    "VICOLO": ("VICOLO", "VIC.", "VIC", "V.LO", "VLO"),
    "STRADA": ("STRADA", "STR.", "STR", "S.DA"),
    "LOCALITA": ("LOCALITA", "LOC.", "LOC"),
    "FRAZIONE": ("FRAZIONE", "FRAZ.", "FRAZ", "FR."),
    "VIA PRIVATA": ("VIA PRIVATA",),
    "STRADA PRIVATA": ("STRADA PRIVATA",),
    "TRAVERSA": ("TRAVERSA", "TRAV."),
    "CONTRADA": ("CONTRADA", "C.DA"),
    "GALLERIA": ("GALLERIA", "GALL."),
    "LUNGOTICINO": ("LUNGOTICINO",),
    "ROTATORIA": ("ROTATORIA",),
    "TANGENZIALE": ("TANGENZIALE",),
    "PONTE": ("PONTE",),
    "CASCINA": ("CASCINA", "C.NA", "CNA"),
}
_ABBREV = sorted(
    ((alias, full) for full, aliases in STREET_TYPES.items() for alias in aliases),
    key=lambda kv: -len(kv[0]),
)
TITLES = frozenset(
    "DOTT DOTTOR DOTTORE PROF PROFESSORE GEN GENERALE DON MONS MONSIGNOR CARD CARDINALE PAPA AVV "
    "ING ON ONOREVOLE BEATO B MAGG MAGGIORE CAP CAPITANO COL COLONNELLO TEN TENENTE SEN SENATORE "
    "MAESTRO M.O PADRE FRA SUOR PRESIDENTE CAV".split()
)
SAINTS = frozenset("S SAN SANTO SANTA SANT SS SANTI STA STO SANTISSIMA SANTISSIMO".split())
TOWNS = {"PAVIA": "Pavia", "VIGEVANO": "Vigevano"}
CAPS = {"27100": "Pavia", "27029": "Vigevano"}

_NUMBER = re.compile(
    r"(?:,|\s)\s*(?:N\.?\s*|N°\s*|NR\.?\s*|NUM\.?\s*|CIV\.?\s*)?"
    r"(\d{1,4})\s*(?:(?:/|-)\s*([A-Z0-9]{1,3})|\s+(BIS|TER|QUATER)|([A-Z])(?![A-Z]))?\s*$"
)
_SNC = re.compile(r"(?:,|\s)\s*(?:S\.?\s?N\.?\s?C\.?|SENZA NUMERO|SN)\s*$")
_DETAILS = re.compile(
    r"(?:,|\s)\s*(?:INTERNO|INT\.?|SCALA|SC\.|PIANO|P\.NO|APPARTAMENTO|APP\.?|LOTTO)\s*[A-Z0-9]{0,4}\b"
)


@dataclass(frozen=True)
class ParsedAddress:
    """An address split into parts. ``key`` is the street's matching key (None if no street)."""

    raw: str
    street_type: str | None
    street_name: str | None
    number: str | None
    town: str | None
    cap: str | None
    other_town: str | None = None

    @property
    def key(self) -> str | None:
        if not self.street_name:
            return None
        return street_key(self.street_type or "VIA", self.street_name)

    @property
    def house_number(self) -> int | None:
        """The numeric part of the civic number (``"3/B"`` -> 3)."""
        if self.number is None:
            return None
        m = re.match(r"\d+", self.number)
        return int(m.group()) if m else None


def fold(text: str) -> str:
    """Upper case without accents; an accent typed as an apostrophe ("LIBERTA'") is dropped."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = text.upper().replace("’", "'").replace("`", "'")
    text = re.sub(r"(?<=[AEIOU])'(?=\s|,|$)", "", text)  # LIBERTA' -> LIBERTA
    return re.sub(r"\s+", " ", text).strip()


def street_key(street_type: str, name: str) -> str:
    """Matching key: street type + name words, saints as ``S``, titles and punctuation dropped."""
    words = re.sub(r"[^A-Z0-9 ]+", " ", fold(name).replace("'", " ")).split()
    out = []
    for w in words:
        if w in SAINTS:
            out.append("S")
        elif w in TITLES and len(words) > 1:
            continue
        else:
            out.append(w)
    return f"{fold(street_type)} {' '.join(out)}".strip()


def split_street_type(street: str) -> tuple[str | None, str]:
    """``"V.LE MATTEOTTI"`` -> ``("VIALE", "MATTEOTTI")``; no known type -> ``(None, street)``."""
    s = fold(street)
    for alias, full in _ABBREV:
        if s == alias:
            return full, ""
        if s.startswith(alias + " ") or (alias.endswith(".") and s.startswith(alias)):
            rest = s[len(alias) :].strip(" .,")
            return full, rest
    return None, s


def normalise_address(text: str | None, *, towns: dict[str, str] = TOWNS, caps: dict[str, str] = CAPS) -> ParsedAddress:
    """Split an address as typed into street type, name, civic number, town and CAP.

    Parameters
    ----------
    text : str
        The address as typed ("v.le Matteotti 12", "C.SO CAVOUR,3/B", "p.zza vittoria snc").
    towns : dict
        Folded town name -> canonical name, recognised anywhere in the string.
    caps : dict
        Postal code -> canonical town name.

    Returns
    -------
    ParsedAddress
    """
    raw = "" if text is None else str(text)
    s = fold(raw)
    cap = town = None
    m = re.search(r"\b(\d{5})\b", s)
    if m and m.group(1) in caps:
        cap, town = m.group(1), caps[m.group(1)]
        s = (s[: m.start()] + " " + s[m.end() :]).strip()
    s = re.sub(r"\(\s*PV\s*\)|\bPV\b\s*$", " ", s).strip(" ,")
    for folded, canonical in towns.items():
        mt = re.search(rf"(?:^|,|\s)-?\s*{folded}\s*$", s)
        if mt:
            town = town or canonical
            s = s[: mt.start()].strip(" ,-")
            break
    s = _DETAILS.sub(" ", s).strip(" ,")
    other_town = None
    if town is None:
        # "VIA ROMA 1, MILANO": a town after the number that is not one of the project's.
        mo = re.match(r"^(.*?\d{1,4}(?:\s*/\s*[A-Z0-9]{1,3}|[A-Z])?)\s*,\s*([A-Z' ]{3,})$", s)
        if mo and not re.search(r"\d", mo.group(2)):
            other_town, s = mo.group(2).strip(), mo.group(1)
        else:
            # "VIA VITTORIO EMANUELE 12 CASSOLNOVO": words after the number. Not for
            # "VIA 20 SETTEMBRE", where the number is part of the name.
            mw = re.match(r"^(.*?)\s(\d{1,4}[A-Z]?)\s+([A-Z' ]{4,})$", s)
            if mw and split_street_type(mw.group(1))[1]:
                other_town, s = mw.group(3).strip(), f"{mw.group(1)} {mw.group(2)}"
    number: str | None = None
    if _SNC.search(" " + s):
        s = _SNC.sub("", " " + s).strip(" ,")
    else:
        mn = _NUMBER.search(" " + s)
        if mn:
            number = mn.group(1)
            suffix = mn.group(2) or mn.group(3) or mn.group(4)
            if suffix:
                number += "/" + suffix if mn.group(2) or mn.group(4) else " " + suffix
            s = (" " + s)[: mn.start()].strip(" ,")
    s = re.sub(r"\s+", " ", s.replace(",", " ")).strip()
    if not s:
        return ParsedAddress(raw, None, None, number, town, cap, other_town)
    street_type, name = split_street_type(s)
    if not name:
        return ParsedAddress(raw, street_type, None, number, town, cap, other_town)
    return ParsedAddress(raw, street_type, name, number, town, cap, other_town)
