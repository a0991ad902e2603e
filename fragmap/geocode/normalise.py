"""Italian address normalisation: what a volunteer typed -> street type, name, number, town.

Handles street-type abbreviations (V., V.le, P.zza, C.so, L.go, Str., Vic., Loc.,
Fraz.), saints (S., S.ta, SS., Sant'), titles (Dott., Prof., Gen., Don...), accents
typed as apostrophes ("Liberta'"), case, civic numbers with letters ("3/B", "3 bis",
"n. 3", "n°3"), "snc" (no number), floor / interior / staircase details wherever they
appear ("5 - 2° piano", "int. 4", "sc. B"; but not the street "Via Scala"), and the
town or CAP anywhere in the string ("27029 Vigevano, corso Genova 204",
"Pavia, via Roma 3", "via Roma 3 - Pavia (PV)").

The matching *key* of a street drops titles, writes every saint as ``S`` and writes
numbers as digits, so that "Via S. Giovanni Bosco" and "VIA SAN GIOVANNI BOSCO" meet,
and so do "Via XX Settembre", "via 20 settembre" and ANNCSU's "VIA VENTI SETTEMBRE"
(likewise "IV Novembre", "1° Maggio", "Leone XIII" / "LEONE TREDICESIMO").

Everything here is pure (no file, no network).

Examples
--------
>>> a = normalise_address("v.le Matteotti 12")
>>> a.street_type, a.street_name, a.number
('VIALE', 'MATTEOTTI', '12')
>>> normalise_address("C.SO CAVOUR,3/B").number
'3/B'
>>> normalise_address("p.zza vittoria snc").number is None
True
>>> normalise_address("27029 Vigevano, corso genova 204", towns={"VIGEVANO": "Vigevano"}).town
'Vigevano'
>>> normalise_address("Via Roma 5 - 2° piano").number
'5'
>>> normalise_address("via XX settembre 10").key == normalise_address("VIA VENTI SETTEMBRE").key
True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

#: Street types (ANNCSU DUG values) and how volunteers abbreviate them.
STREET_TYPES: dict[str, tuple[str, ...]] = {
    "VIA": ("VIA", "V", "V."),
    "VIALE": ("VIALE", "V.LE", "VLE", "V.L.", "V LE", "V.LE."),
    "CORSO": ("CORSO", "C.SO", "CSO", "C.SO.", "C SO"),
    "PIAZZA": ("PIAZZA", "P.ZZA", "P.ZA", "PZZA", "PZA", "P.Z.", "P.", "P ZZA", "P ZA", "P.ZZA."),
    "PIAZZALE": ("PIAZZALE", "P.LE", "PLE", "P LE", "P.LE."),
    "PIAZZETTA": ("PIAZZETTA", "P.TTA", "PTTA"),
    "LARGO": ("LARGO", "L.GO", "LGO", "L GO"),
    "VICOLO": ("VICOLO", "VIC.", "VIC", "V.LO", "VLO", "V.COLO"),
    "STRADA": ("STRADA", "STR.", "STR", "S.DA"),
    "LOCALITA": ("LOCALITA", "LOC.", "LOC"),
    "FRAZIONE": ("FRAZIONE", "FRAZ.", "FRAZ", "FR."),
    "VIA PRIVATA": ("VIA PRIVATA", "V. PRIVATA", "VIA PRIV."),
    "STRADA PRIVATA": ("STRADA PRIVATA", "STR. PRIVATA"),
    "STRADA VECCHIA": ("STRADA VECCHIA",),
    "TRAVERSA": ("TRAVERSA", "TRAV."),
    "CONTRADA": ("CONTRADA", "C.DA"),
    "GALLERIA": ("GALLERIA", "GALL."),
    "LUNGOTICINO": ("LUNGOTICINO",),
    "ROTATORIA": ("ROTATORIA",),
    "TANGENZIALE": ("TANGENZIALE",),
    "RACCORDO": ("RACCORDO",),
    "PISTA CICLABILE": ("PISTA CICLABILE",),
    "PARCHEGGIO": ("PARCHEGGIO",),
    "PONTE": ("PONTE",),
    "CASCINA": ("CASCINA", "C.NA", "CNA"),
}
_ABBREV = sorted(
    ((alias, full) for full, aliases in STREET_TYPES.items() for alias in aliases),
    key=lambda kv: -len(kv[0]),
)
_ALIASES = frozenset(a.rstrip(".") for a, _ in _ABBREV) | frozenset(a for a, _ in _ABBREV)
#: Abbreviations that may stand for more than one street type ("V." is often "viale").
AMBIGUOUS_ALIASES: dict[str, frozenset[str]] = {
    "V": frozenset({"VIA", "VIALE", "VICOLO"}),
    "V.": frozenset({"VIA", "VIALE", "VICOLO"}),
    "P.": frozenset({"PIAZZA", "PIAZZALE", "PIAZZETTA"}),
    "P.Z.": frozenset({"PIAZZA", "PIAZZALE", "PIAZZETTA"}),
}
TITLES = frozenset(
    "DOTT DOTTOR DOTTORE PROF PROFESSORE GEN GENERALE DON MONS MONSIGNOR MONSIGNORE CARD CARDINALE "
    "CARDINAL PAPA AVV ING ON ONOREVOLE BEATO B MAGG MAGGIORE CAP CAPITANO COL COLONNELLO TEN TENENTE "
    "SEN SENATORE MAESTRO M.O PADRE FRA SUOR PRESIDENTE CAV".split()
)
SAINTS = frozenset("S SAN SANTO SANTA SANT SS SANTI STA STO SANTISSIMA SANTISSIMO".split())
#: Words that do not tell two streets apart ("Viale della Libertà" = "Viale Libertà").
STOPWORDS = frozenset(
    "DI DA DAL DEL DELLA DELLO DELLE DEI DEGLI DELL D DE E ED AL ALLA ALLE AI AGLI IN PER IL LO LA LE GLI".split()
)
#: Dotted abbreviations inside names, expanded before punctuation is dropped.
_NAME_ABBREV = (
    (re.compile(r"\bF\.?LLI\b\.?|\bFR\.LLI\b\.?"), "FRATELLI "),
    (re.compile(r"\bS\.\s?(?:TA|TO)\b\.?|\bSS\.(?:\s|(?=[A-Z]))|\bS\.S\.\s?"), "S "),
    (re.compile(r"\bM\.\s?TE\b\.?"), "MONTE "),
    (re.compile(r"\bMONS\.\s?"), "MONSIGNOR "),
)
#: Place qualifiers after a street name ("VIA ABBIATEGRASSO LOCALITÀ CRAVINO").
_QUALIFIER = re.compile(r"\s(?:LOCALITA|LOC\.|FRAZIONE|FRAZ\.|QUARTIERE|Q\.RE|CONDOMINIO|COND\.)\s+[A-Z' ]+?(?=,|\s\d|\sSNC\b|$)")
MONTHS = frozenset(
    "GENNAIO FEBBRAIO MARZO APRILE MAGGIO GIUGNO LUGLIO AGOSTO SETTEMBRE OTTOBRE NOVEMBRE DICEMBRE".split()
)
#: Towns (folded name -> canonical name) and postal codes (CAP -> town) when none are given:
#: none. The project's come from its settings (:func:`fragmap.geocode.make_geocoder`, or
#: ``normalise_address(text, towns=..., caps=...)``); a town that is not one of them is
#: reported as ``other_town``.
TOWNS: dict[str, str] = {}
CAPS: dict[str, str] = {}

_UNITS = {"UNO": 1, "UN": 1, "DUE": 2, "TRE": 3, "QUATTRO": 4, "CINQUE": 5, "SEI": 6, "SETTE": 7,
          "OTTO": 8, "NOVE": 9}
_TEENS = {"DIECI": 10, "UNDICI": 11, "DODICI": 12, "TREDICI": 13, "QUATTORDICI": 14, "QUINDICI": 15,
          "SEDICI": 16, "DICIASSETTE": 17, "DICIOTTO": 18, "DICIANNOVE": 19}
_TENS = {"VENT": 20, "TRENT": 30, "QUARANT": 40, "CINQUANT": 50, "SESSANT": 60, "SETTANT": 70,
         "OTTANT": 80, "NOVANT": 90}
_ORDINALS = {"PRIMO": 1, "PRIMA": 1, "SECONDO": 2, "TERZO": 3, "QUARTO": 4, "QUINTO": 5, "SESTO": 6,
             "SETTIMO": 7, "OTTAVO": 8, "NONO": 9, "DECIMO": 10}
_ROMAN = re.compile(r"X{0,3}(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}

_NUMBER = re.compile(
    r"(?:,|\s)\s*(?:N\.?\s*|NR\.?\s*|NUM\.?\s*|CIV\.?\s*|CIVICO\s*)?"
    r"(\d{1,4})\s*(?:(?:/|-)\s*([A-Z0-9]{1,3})|\s+(BIS|TER|QUATER)|([A-Z])(?![A-Z'])|\s+([A-Z]))?\s*$"
)
_SNC = re.compile(r"(?:,|\s)\s*(?:S\.?\s?N\.?\s?C\.?|SENZA NUMERO|SN|S\.N\.)\s*$")
#: Floor, interior, staircase, flat... One alternative per form; ``(?!\w)`` keeps "P.ZZA" out.
_DETAILS = re.compile(
    r"(?<![^\s,])(?:"  # at the start or after a space or comma (one look-behind: faster)
    r"(?P<ord>\d{1,2}\s*(?:O|\^)?\s*(?:PIANO(?!\s+(?:\d|TERRA\b|RIALZATO\b))|P\.(?!\s*\w)))"
    r"|(?P<kw>PIANO|INTERNO|SCALA|LOTTO|PALAZZINA|APPARTAMENTO|EDIFICIO|CAMPANELLO)(?=\s|\d|,|$)\s*"
    r"(?P<kwid>[A-Z0-9]{1,4}|TERRA|RIALZATO)?"
    r"|(?P<ab>(?:INT|SC|APP|PAL|ED)\.|(?:INT|SC|APP)(?=\s|\d)|P\.(?!\w)|P\.NO|P\.\s?T\.?|PT(?=\s|,|$))\s*"
    r"(?P<abid>[A-Z0-9]{1,4})?"
    r"|(?P<co>C/O|PRESSO)\s.*?(?=,|$)"
    r")(?=[\s,]|$)"
)
_SEPARATORS = re.compile(r"\s*[,;()]\s*|\s+-+\s*|\s*-+\s+")
_CAP = re.compile(r"(?<!\d)(\d{5})(?!\d)")
_DIGIT = re.compile(r"\d")
_HAS_SEPARATOR = re.compile(r"[,;()]|\s-|-\s")
_NOT_A_TOWN = MONTHS | {"BIS", "TER", "QUATER"}
_ACCENT_APOSTROPHE = re.compile(r"(?<=[AEIOU])'(?=\s|,|$)")
_NON_WORD = re.compile(r"[^A-Z0-9 ]+")
_TWO_LETTERS = re.compile(r"[A-Z]{2}")
_ENDS_WITH_NUMBER = re.compile(r"\d[A-Z]?$|\bSNC$")
_WORD_SPLIT = re.compile(r"[\s,]+")
_HOUSE_NUMBER = re.compile(r"\b\d{1,4}\b")
_AFTER_COMMA = re.compile(r"^(.*?\d{1,4}(?:\s*/\s*[A-Z0-9]{1,3}|[A-Z])?)\s*,\s*([A-Z' ]{3,})$")
_AFTER_NUMBER = re.compile(r"^(.*?)\s(\d{1,4}[A-Z]?)\s+([A-Z' ]{4,})$")
#: A province after the address: any sigla in brackets ("(MI)"), a bare "PV" at the end, or
#: "provincia di <name>" at the end.
_PROVINCE = re.compile(r"\(\s*[A-Z]{2}\s*\)|\bPV\b(?=\s*(?:,|$))|\bPROV(?:INCIA)?\.?\s+(?:DI\s+)?[A-Z']+\s*$")


class ParsedAddress(NamedTuple):
    """An address split into parts (a named tuple).

    Attributes
    ----------
    raw : str
        The text as typed.
    street_type : str or None
        Full street type (``"VIA"``, ``"VIALE"``...), None when none was typed.
    street_name : str or None
        The name, folded (upper case, no accents) but otherwise as typed.
    number : str or None
        Civic number with its suffix (``"3/B"``, ``"3 BIS"``); None for none or "snc".
    town : str or None
        Canonical town found in the text (by name or CAP).
    cap : str or None
        A postal code found in the text.
    other_town : str or None
        A place after the address that is not one of the project's towns ("MILANO").
    type_alias : str or None
        The street type as typed (``"V."``), to know when it was ambiguous.
    name_key : str or None
        Matching key of the name alone (see :func:`name_key`).
    """

    raw: str
    street_type: str | None
    street_name: str | None
    number: str | None
    town: str | None
    cap: str | None
    other_town: str | None = None
    type_alias: str | None = None
    name_key: str | None = None

    @property
    def key(self) -> str | None:
        """Matching key of the street (type + name key; ``VIA`` when no type was typed)."""
        if not self.street_name or not self.name_key:
            return None
        return f"{self.street_type or 'VIA'} {self.name_key}"

    @property
    def house_number(self) -> int | None:
        """The numeric part of the civic number (``"3/B"`` -> 3)."""
        s = self.number
        if not s:
            return None
        i = 0
        while i < len(s) and s[i].isdigit():
            i += 1
        return int(s[:i]) if i else None


_FOLD_TABLE = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-",
                             "°": " ", "º": " ", "ª": " ", "\u00a0": " "})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Upper case ASCII; an accent typed as an apostrophe or back-tick ("LIBERTA'") is dropped.

    Examples
    --------
    >>> fold("Libertà"), fold("LIBERTA'"), fold("Sant’Ambrogio"), fold("n°3")
    ('LIBERTA', 'LIBERTA', "SANT'AMBROGIO", 'N 3')
    """
    text = str(text).translate(_FOLD_TABLE)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.upper()
    if "'" in text:
        text = _ACCENT_APOSTROPHE.sub("", text)  # LIBERTA' -> LIBERTA
    return " ".join(text.split())


def _cardinal(word: str) -> int | None:
    """Italian number word 1-99 ("VENTICINQUE" -> 25), else None."""
    if word in _UNITS:
        return _UNITS[word]
    if word in _TEENS:
        return _TEENS[word]
    for prefix, tens in _TENS.items():
        if word.startswith(prefix):
            rest = word[len(prefix):]
            if rest in ("I", "A", ""):
                return tens if rest else None
            if rest[:1] in ("I", "A") and rest[1:] in _UNITS:
                return tens + _UNITS[rest[1:]]
            if rest in _UNITS:  # VENTUNO, VENTOTTO
                return tens + _UNITS[rest]
    return None


def _ordinal(word: str) -> int | None:
    """Italian ordinal word ("QUINTO" -> 5, "TREDICESIMO" -> 13, "VENTITREESIMO" -> 23)."""
    if word in _ORDINALS:
        return _ORDINALS[word]
    for ending in ("ESIMO", "ESIMA"):
        if word.endswith(ending) and len(word) > 6:
            stem = word[: -len(ending)]
            for tail in ("", "I", "E", "A", "O"):
                v = _cardinal(stem + tail)
                if v is not None:
                    return v
    return None


def _roman(word: str) -> int | None:
    if not word or not _ROMAN.fullmatch(word):
        return None
    total, prev = 0, 0
    for ch in reversed(word):
        v = _ROMAN_VALUES[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total or None


def _numeric_tokens(words: list[str]) -> list[str]:
    """Numbers in a street name as digits, where they are numbers and not names.

    Before a month any form counts ("XX", "VENTI", "20", "PRIMO", "I" + SETTEMBRE);
    roman numerals of two or more letters count anywhere ("PIO XII"), of one letter
    only at the end after a name ("PIO V"); ordinal words
    count after the first word ("LEONE TREDICESIMO", not "VIA QUARTO").
    """
    out = []
    for i, w in enumerate(words):
        before_month = i + 1 < len(words) and words[i + 1] in MONTHS
        v: int | None = None
        if w.isdigit():
            v = int(w)
        elif before_month:
            v = _cardinal(w) or _ordinal(w) or _roman(w)
        elif (len(w) >= 2 or (i > 0 and i == len(words) - 1)) and w[0] in "IVX":
            v = _roman(w)  # "PIO XII", and a last single letter: "PIO V"
        if v is None and i > 0 and not before_month and w[-1] in "OA" and len(w) >= 4:
            v = _ordinal(w) if w != "PRIMA" else None
        out.append(str(v) if v is not None else w)
    return out


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """Matching key of a street name: saints as ``S``, titles dropped, numbers as digits.

    Examples
    --------
    >>> name_key("S. Giovanni Bosco"), name_key("VENTI SETTEMBRE"), name_key("Papa Giovanni XXIII")
    ('S GIOVANNI BOSCO', '20 SETTEMBRE', 'GIOVANNI 23')
    """
    s = fold(name)
    if "." in s or "LLI" in s:
        for pattern, repl in _NAME_ABBREV:
            s = pattern.sub(repl, s)
    words = _NON_WORD.sub(" ", s.replace("'", " ")).split()
    out = []
    for w in words:
        if w in SAINTS:
            out.append("S")
        elif w in TITLES and len(words) > 1:
            continue
        else:
            out.append(w)
    return " ".join(_numeric_tokens(out))


def street_key(street_type: str, name: str) -> str:
    """Matching key: street type + :func:`name_key` of the name."""
    return f"{fold(street_type)} {name_key(name)}".strip()


def distinctive_tokens(key: str) -> frozenset[str]:
    """The words of a name key that tell streets apart (no articles, no saint marker)."""
    return frozenset(w for w in key.split() if w not in STOPWORDS and w != "S")


_TYPE_OF_ALIAS = dict(_ABBREV)
# One regex for every alias, longest first: followed by a space, a comma, the end, or
# (for a dotted alias) directly by the name ("V.MAZZINI").
_TYPE_RE = re.compile(
    "^(" + "|".join(re.escape(a) for a, _ in _ABBREV) + r")(?:(?=[ ,])|$|(?<=\.)(?=[A-Z]))"
)


@lru_cache(maxsize=65536)
def _split_type(s: str) -> tuple[str | None, str | None, str]:
    """(full type, alias as typed, rest) of an already folded street (cached: a parse asks
    it up to three times, and a project's streets come back often)."""
    m = _TYPE_RE.match(s)
    if m is None:
        return None, None, s
    alias = m.group(1)
    return _TYPE_OF_ALIAS[alias], alias, s[m.end():].strip(" .,")


def _canonical_towns(towns: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(towns.items(), key=lambda kv: -len(kv[0])))


def _strip_town(segments: list[str], towns: dict[str, str]) -> tuple[list[str], str | None]:
    """Find the town in comma/dash segments: a whole segment, a prefix of the first, a suffix of the last."""
    town = None
    if len(segments) == 1 and segments[0] in towns:
        return [], towns[segments[0]]  # only the town
    has_street = sum(1 for seg in segments if _TWO_LETTERS.search(seg)) > 1
    out = []
    for seg in segments:
        if has_street and seg in towns:
            town = town or towns[seg]  # "Pavia, via Elba 2, Pavia": every copy goes
            continue
        if seg.startswith("COMUNE DI ") and seg[10:] in towns:
            town = town or towns[seg[10:]]
            continue
        out.append(seg)
    if out and town is None:
        first = out[0]
        for folded, canonical in _canonical_towns(towns):
            if first.startswith(folded + " "):
                rest = first[len(folded) + 1:]
                t, _, name = _split_type(rest)
                if t is not None and name:  # "VIGEVANO CORSO GENOVA 204"
                    town, out[0] = canonical, rest
                break
    if out and town is None:
        last = out[-1]
        for folded, canonical in _canonical_towns(towns):
            if last.endswith(" " + folded):
                rest = last[: -len(folded) - 1].rstrip()
                # only after a house number: "VIA ROMA 3 PAVIA", never "CORSO PAVIA" or
                # "VIA BERNARDO DA PAVIA" (the matcher retries "VIA ROMA PAVIA" without the town)
                if _ENDS_WITH_NUMBER.search(rest):
                    town, out[-1] = canonical, rest
                break
    return out, town


def _strip_details(s: str) -> str:
    """Remove floor/interior/staircase details, but never a street's own name ("VIA SCALA 3")."""
    if not _DETAILS.search(s):
        return s
    spans = []
    for m in _DETAILS.finditer(s):
        before = s[: m.start()]
        words = [w for w in _WORD_SPLIT.split(before) if w]
        name_words = [w for w in words if w not in _ALIASES and w not in STOPWORDS]
        if not name_words:
            continue  # "VIA SCALA", "VIA DELLA SCALA", "P. VITTORIA": the street itself
        kw = m.group("kw")
        if kw:
            ident = m.group("kwid") or ""
            if not ident:
                continue
            if kw in ("SCALA", "PIANO", "LOTTO") and ident.isdigit() and not before.rstrip().endswith(","):
                # a word that is also a surname is a detail with a number only when a house
                # number exists elsewhere: "VIA ROMA 5 SCALA 2", not "VIA ANTONIO SCALA 5"
                rest = before + " " + s[m.end():]
                if not _HOUSE_NUMBER.search(rest):
                    continue
        spans.append((m.start(), m.end()))
    for a, b in reversed(spans):
        s = s[:a] + " " + s[b:]
    return " ".join(s.split()).strip(" ,-")


def normalise_address(text: str | None, *, towns: dict[str, str] | None = None,
                      caps: dict[str, str] | None = None) -> ParsedAddress:
    """Split an address as typed into street type, name, civic number, town and CAP.

    Parameters
    ----------
    text : str
        The address as typed ("v.le Matteotti 12", "C.SO CAVOUR,3/B", "p.zza vittoria snc").
    towns : dict, optional
        Folded town name -> canonical name, recognised at the start, at the end or
        between commas (the project's towns; default none).
    caps : dict, optional
        Postal code -> canonical town name, recognised anywhere (default none).

    Returns
    -------
    ParsedAddress

    Examples
    --------
    >>> towns, caps = {"VOGHERA": "Voghera"}, {"27058": "Voghera"}
    >>> p = normalise_address("27058 Voghera, corso genova 204", towns=towns, caps=caps)
    >>> p.street_type, p.street_name, p.number, p.town
    ('CORSO', 'GENOVA', '204', 'Voghera')
    >>> normalise_address("via Emilia 3, Voghera").other_town   # not one of the project's towns
    'VOGHERA'
    """
    return normaliser(TOWNS if towns is None else towns, CAPS if caps is None else caps)(text)


def normaliser(towns: dict[str, str], caps: dict[str, str]) -> Callable[[str | None], ParsedAddress]:
    """:func:`normalise_address` for one project's towns and CAPs, with its own cache (fast:
    the geocoder keeps one and calls it for every address)."""
    return _normaliser(tuple(sorted(towns.items())), tuple(sorted(caps.items())))


@lru_cache(maxsize=16)
def _normaliser(town_items: tuple[tuple[str, str], ...],
                cap_items: tuple[tuple[str, str], ...]) -> Callable[[str | None], ParsedAddress]:
    towns, caps = dict(town_items), dict(cap_items)

    @lru_cache(maxsize=131072)
    def run(text: str | None) -> ParsedAddress:
        return _normalise(text, towns, caps)

    return lambda text: run(text if text is None else str(text))


def _normalise(text: str | None, towns: dict[str, str], caps: dict[str, str]) -> ParsedAddress:
    raw = "" if text is None else str(text)
    s = fold(raw)
    cap = town = None
    if _DIGIT.search(s):
        for m in reversed(list(_CAP.finditer(s))):
            code = m.group(1)
            a, b = m.start(), m.end()
            if code in caps:
                cap, town = code, caps[code]
                # the town name next to its CAP goes with it: "27100 PAVIA", "PAVIA 27100"
                folded = next((f for f, c in towns.items() if c == town), None)
                if folded:
                    after = s[b:].lstrip()
                    if after.startswith(folded) and after[len(folded):len(folded) + 1] in ("", " ", ",", "("):
                        b = len(s) - len(after) + len(folded)
                    before = s[:a].rstrip(" -,")
                    if before.endswith(folded) and before[-len(folded) - 1:-len(folded)] in ("", " ", ","):
                        a = len(before) - len(folded)
            elif cap is None:
                cap = code
            s = s[:a] + " , " + s[b:]
    if "(" in s or "PV" in s or "PROV" in s:
        s = _PROVINCE.sub(" ", s)
    if _HAS_SEPARATOR.search(s):
        segments = [seg.strip() for seg in _SEPARATORS.split(s) if seg and seg.strip(" .")]
    else:
        segments = [s.strip()] if s.strip(" .") else []
    if any(f in s for f in towns):
        segments, seg_town = _strip_town(segments, towns)
        town = town or seg_town
    if len(segments) > 1 and _split_type(segments[0])[0] is None:
        # "QUARTIERE SCALA - VIA ZANELLA", "Condominio Aurora, via Roma 5": the street is later
        for i, seg in enumerate(segments[1:], start=1):
            if _split_type(seg)[0] is not None and _split_type(seg)[2]:
                if not any(ch.isdigit() for ch in " ".join(segments[:i])):
                    segments = segments[i:]
                break
    s = ", ".join(segments)
    s = _strip_details(s)
    if " " in s and ("LOC" in s or "FRAZ" in s or "Q" in s or "COND" in s):  # the words _QUALIFIER needs
        s = _QUALIFIER.sub("", s)
    other_town = None
    if town is None:
        # "VIA ROMA 1, MILANO": a town after the number that is not one of the project's.
        mo = _AFTER_COMMA.match(s) if "," in s else None
        if mo and not _DIGIT.search(mo.group(2)) and mo.group(2).strip() not in ("BIS", "TER"):
            other_town, s = mo.group(2).strip(), mo.group(1)
        else:
            # "VIA VITTORIO EMANUELE 12 CASSOLNOVO": words after the number. Not for
            # "VIA 20 SETTEMBRE", where the number is part of the name.
            mw = _AFTER_NUMBER.match(s) if s[-1:].isalpha() or s[-1:] in ("'", " ") else None
            if mw and _split_type(mw.group(1))[2] and mw.group(3).split()[0] not in _NOT_A_TOWN:
                other_town, s = mw.group(3).strip(), f"{mw.group(1)} {mw.group(2)}"
    number: str | None = None
    if not s[-1:].isdigit() and _SNC.search(" " + s[-16:]):  # "snc" ends in a letter or a dot
        s = _SNC.sub("", " " + s).strip(" ,")
    else:
        mn = _NUMBER.search(" " + s)
        if mn:
            before = (" " + s)[: mn.start()].rstrip(" ,")
            last_word = before.rsplit(" ", 1)[-1] if before else ""
            # "PIAZZA 9 NOVEMBRE 1989", "VIA RAGAZZI DEL 99": the number belongs to the name
            if before and ((last_word in MONTHS and len(mn.group(1)) == 4) or last_word in ("DEL", "DELL", "DI")
                           or _split_type(before)[2] == ""):
                mn = None
        if mn:
            number = mn.group(1)
            suffix = mn.group(2) or mn.group(3) or mn.group(4) or mn.group(5)
            if suffix:
                number += " " + suffix if mn.group(3) else "/" + suffix
            s = (" " + s)[: mn.start()].strip(" ,")
    s = " ".join(s.replace(",", " ").split())
    if not s:
        return ParsedAddress(raw, None, None, number, town, cap, other_town)
    street_type, alias, name = _split_type(s)
    name = name.strip(" .-")
    if not name:
        return ParsedAddress(raw, street_type, None, number, town, cap, other_town, alias)
    return ParsedAddress(raw, street_type, name, number, town, cap, other_town, alias, name_key(name) or None)


def town_of(text: str | None, towns: dict[str, str] | None = None) -> str | None:
    """Canonical town of a town cell ("VOGHERA (PV)", "27058 Voghera"), or None when blank.

    An unknown non-blank town comes back folded ("MILANO") so callers can tell it apart.
    """
    if text is None:
        return None
    s = _PROVINCE.sub(" ", _CAP.sub(" ", fold(str(text))))
    s = " ".join(s.replace(",", " ").split()).strip(" -.")
    if not s:
        return None
    if s.startswith("COMUNE DI "):
        s = s[10:]
    return (TOWNS if towns is None else towns).get(s, s)
