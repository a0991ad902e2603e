"""Person names in typed values: the heuristic behind the row-level personal-data guard.

See :func:`looks_like_person`. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

# -- person names ------------------------------------------------------------------------------
#: Common first names (Italian, and frequent ones among residents born abroad), folded to ASCII
#: lower case. Names that are also ordinary words (rosa, chiara, bianca, serena, marina, natale,
#: stella, alba, felice, franco, angelo, santo, vera, viola...) are left out on purpose: they
#: would raise false alarms in place names. A first name alone is never enough: it must stand
#: next to another name-like word, or after an honorific or a family word.
_FIRST_NAMES = frozenset(["adriano", "agostino", "alberto", "aldo", "alessandro", "alessio", "alfonso", "alfredo", "ambrogio", "amedeo", "andrea", "antonino", "antonio", "armando", "arturo", "attilio", "bruno", "carlo", "carmelo", "cesare", "christian", "cristian", "claudio", "corrado", "cristiano", "dario", "davide", "diego", "dino", "domenico", "edoardo", "elia", "elio", "emanuele", "emilio", "enrico", "enzo", "ermanno", "ernesto", "ettore", "fabio", "fabrizio", "fausto", "federico", "ferdinando", "fernando", "filippo", "flavio", "francesco", "gabriele", "gaetano", "giacomo", "giampiero", "giancarlo", "gianfranco", "gianluca", "gianni", "gianpiero", "gino", "giorgio", "giovanni", "giulio", "giuseppe", "graziano", "guido", "ignazio", "italo", "ivan", "lino", "leonardo", "lorenzo", "luca", "luciano", "lucio", "luigi", "manuel", "marcello", "marco", "mario", "massimo", "matteo", "mattia", "maurizio", "mauro", "michele", "mirko", "nicola", "nicolo", "niccolo", "nino", "osvaldo", "ottavio", "paolo", "pasquale", "piero", "pierluigi", "pietro", "raffaele", "remo", "renato", "riccardo", "roberto", "rocco", "rosario", "salvatore", "samuele", "sandro", "sebastiano", "sergio", "silvio", "simone", "stefano", "teodoro", "tiziano", "tommaso", "ugo", "umberto", "valerio", "valter", "walter", "vincenzo", "vittorio", "ada", "adriana", "agnese", "alessandra", "alice", "amalia", "angela", "anna", "annamaria", "antonella", "antonietta", "arianna", "barbara", "beatrice", "bruna", "camilla", "carla", "carmela", "carolina", "caterina", "cinzia", "claudia", "concetta", "cristina", "daniela", "debora", "donatella", "elena", "eleonora", "elisa", "elisabetta", "emma", "enrica", "ester", "fabiana", "federica", "fernanda", "filomena", "fiorella", "francesca", "franca", "gabriella", "gemma", "gina", "ginevra", "giorgia", "giovanna", "giulia", "giuliana", "giuseppina", "gloria", "graziella", "ida", "ilaria", "ines", "iolanda", "irene", "irma", "lidia", "liliana", "lina", "loredana", "lorena", "lorenza", "lucia", "luciana", "luigia", "luisa", "maddalena", "manuela", "mara", "margherita", "maria", "mariarosa", "marisa", "marta", "martina", "matilde", "mirella", "monica", "nadia", "natalia", "nicoletta", "noemi", "olga", "ornella", "paola", "patrizia", "pierina", "raffaella", "renata", "rita", "roberta", "rosanna", "rosaria", "rossella", "sabrina", "sandra", "sara", "silvana", "silvia", "simona", "sofia", "sonia", "stefania", "tatiana", "teresa", "tiziana", "valentina", "valeria", "vanda", "veronica", "vincenza", "virginia", "vittoria", "wanda", "mohamed", "mohammed", "muhammad", "mohammad", "ahmed", "ahmad", "hassan", "hamza", "omar", "youssef", "yusuf", "mustafa", "ibrahim", "fatima", "fatma", "khadija", "aisha", "amina", "ion", "andrei", "mihai", "alexandru", "irina", "svetlana", "oksana", "natasha", "jose", "juan", "carlos", "luis", "jorge"])
#: Words after which a first name is a place or a saint ("San Pietro", "Casa Maria").
_BEFORE_PLACE_NAME = frozenset({
    "san", "santa", "santo", "sant", "santi", "ss", "s", "beato", "beata", "papa", "don",
    "madonna", "nostra", "casa", "villa", "istituto", "scuola", "oratorio", "parrocchia",
    "chiesa", "collegio", "fondazione", "residenza", "rsa", "ospedale", "centro", "asilo",
    "cascina", "cooperativa", "coop", "associazione", "circolo", "liceo", "palazzo",
    "via", "viale", "vle", "corso", "piazza", "piazzale", "piazzetta", "largo", "vicolo",
    "strada", "zza", "za", "so", "le", "go", "borgo", "quartiere", "villaggio", "rione",
})
#: Words after a first name that make it a place or a saint, not a person ("Maria Ausiliatrice").
_AFTER_PLACE_NAME = frozenset({
    "ausiliatrice", "assunta", "immacolata", "addolorata", "vergine", "regina", "bambina",
    "nascente", "annunziata", "consolata", "incoronata", "santissima", "apostolo",
    "evangelista", "battista", "bosco", "maggiore", "minore",
})
#: Family and care words: a first name right after one of them is a person ("la figlia Giulia").
_FAMILY = frozenset({
    "figlio", "figlia", "figli", "figlie", "moglie", "marito", "madre", "padre", "mamma",
    "nonno", "nonna", "nipote", "nipoti", "fratello", "sorella", "zio", "zia", "cugino",
    "cugina", "compagno", "compagna", "convivente", "vedova", "vedovo", "badante", "suocera",
    "suocero", "cognato", "cognata", "nuora", "genero", "fidanzato", "fidanzata", "amico",
    "amica", "vicino", "vicina", "tutore", "sig", "signor", "signora", "signore", "signorina",
})
#: Small words that are not surnames (lower case only: "De" or "Di" with a capital is a surname
#: particle in "Mario De Luca").
_STOP = frozenset({
    "di", "da", "de", "del", "della", "dello", "dei", "degli", "delle", "dal", "dalla", "e",
    "ed", "in", "con", "per", "su", "a", "al", "alla", "allo", "ai", "agli", "il", "la", "lo",
    "le", "gli", "i", "un", "una", "uno", "che", "non", "o", "ha", "era", "sono", "of", "and",
    "the", "to", "n", "nr", "snc", "int", "interno", "scala", "piano", "bis", "ter",
})
_HONORIFIC = re.compile(
    r"(?<![^\W\d_])(?P<h>signorina|signor[aei]?|sig\.?\s?(?:ra|na)|sigg|sig|sgr|c/o|famiglia|fam"
    r"|dott\.?\s?ssa|dott|dr\.?\s?ssa|dr|prof\.?\s?ssa|prof|avv|geom|mrs|mr)"
    r"(?:\.\s*|\s+)(?P<w>[^\W\d_]+)",
    re.IGNORECASE,
)
_ODONYM = (
    r"(?:via|viale|v\.?\s?le|vle|v\.|vicolo|vic\.|corso|c\.?\s?so|piazzetta|piazzale|piazza"
    r"|p\.?\s?zza|p\.?\s?za|pza|p\.?\s?le|largo|l\.?\s?go|stradone|stradella|strada|str\."
    r"|traversa|contrada|c\.?\s?da|localit[aà]|loc\.|frazione|fraz\.|cascina|cascine|borgo"
    r"|rione|quartiere|villaggio|galleria|lungo[^\W\d_]*|alzaia|ponte|salita|rotatoria"
    r"|tangenziale|raccordo|parcheggio|zona|parco|giardini|circonvallazione|passaggio|rampa"
    r"|scalinata|vicoletto|pista)"
)
_CIVIC = (
    r"(?:[\s,]*(?:n\.|n°|nr\.?|num\.?|civ\.?|civico|n\s)?\s*\d+"
    r"(?:\s*/\s*[^\W_]+|\s*(?:bis|ter)(?![^\W\d_])|[^\W\d_](?![^\W\d_]))?"
    r"|\s*s\.?\s?n\.?\s?c\.?(?![^\W\d_]))"
)
#: A street or place at the start of a segment, up to its civic number: exempt from the guard.
_STREET = re.compile(rf"^\s*{_ODONYM}(?![^\W\d_]).*?(?:{_CIVIC}|\s*$)", re.IGNORECASE)
#: "Garibaldi 3", "Giuseppe Garibaldi, 3": a street without its type, at the start only.
_BARE_STREET = re.compile(rf"^\s*[^\W\d_][^\d]*?{_CIVIC}", re.IGNORECASE)
_SEGMENT = re.compile(r"[,;:()\[\]{}|\"«»]|\s[-–—]\s|(?=(?<![^\W\d_])c/o)|(?=\bpresso\b)",
                      re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+|\d+")
_LETTERS = re.compile(r"[a-z]+")
_ROMAN = re.compile(r"^[IVXLCDM]{1,7}$")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _unplaced_segments(text: str) -> list[tuple[str, bool]]:
    """The parts of a text that are not a street or place name (where a name could hide).

    Each part comes with whether it follows a street ("Via Roma 3 - Giulia"): there even a
    first name alone is a person, since only a town, a postcode or a flat number belongs there.
    """
    out = []
    after_street = False
    for i, seg in enumerate(_SEGMENT.split(text)):
        if not seg or not seg.strip():
            continue
        m = _STREET.match(seg)
        if m is None and i == 0:
            m = _BARE_STREET.match(seg)
            words = {_fold(w) for w in _WORD.findall(m.group(0))} if m is not None else set()
            if m is not None and (_HONORIFIC.search(m.group(0)) or words & _FAMILY):
                m = None
        out.append((seg[m.end():] if m is not None else seg, after_street or m is not None))
        after_street = after_street or m is not None
    return out


def _surname_like(token: str, folded: str, caseless: bool) -> bool:
    if not token.isalpha() or len(folded) < 2:
        return False
    if folded in _AFTER_PLACE_NAME or folded in _BEFORE_PLACE_NAME or folded in _FAMILY:
        return False
    if token.isupper() and _ROMAN.match(token) and not caseless:
        return False
    if caseless:
        return folded not in _STOP and not _ROMAN.match(token.upper())
    return token[0].isupper()


def _has_person(segment: str, caseless: bool, alone: bool = False) -> bool:
    """A first name next to a name-like word, or after a family word, in one segment.

    With ``alone`` a first name by itself is enough (outside place names).
    """
    tokens = _WORD.findall(segment)
    folded = [_fold(t) for t in tokens]
    for i, f in enumerate(folded):
        if f not in _FIRST_NAMES:
            continue
        prev = folded[i - 1] if i > 0 else ""
        if prev in _BEFORE_PLACE_NAME:
            continue
        if prev in _FAMILY:
            return True
        nxt = folded[i + 1] if i + 1 < len(tokens) else ""
        if nxt in _AFTER_PLACE_NAME:
            continue
        if alone:
            return True
        if i > 0 and _surname_like(tokens[i - 1], prev, caseless):
            return True
        if nxt and _surname_like(tokens[i + 1], nxt, caseless):
            return True
    return False


def looks_like_person(text: str) -> bool:
    """Whether a typed value seems to carry a person's name.

    Parameters
    ----------
    text : str
        A cell as typed.

    Returns
    -------
    bool
        True for an honorific before a word ("sig.ra Bianchi", "c/o Verdi", "famiglia Neri"),
        or a common first name next to another name-like word ("Mario Rossi", "Rossi Maria",
        "MARIO ROSSI"), after a family word ("la figlia Giulia") or after a street
        ("Via Roma 3 - Giulia"), outside street and place
        names ("Via Giuseppe Garibaldi 3", "Piazza Vittoria", "San Pietro in Verzolo",
        "Maria Ausiliatrice" stay False).

    Examples
    --------
    >>> looks_like_person("Via Roma 3 - Mario Rossi"), looks_like_person("Via Giuseppe Verdi 3")
    (True, False)
    """
    if not text:
        return False
    caseless = not (any(c.islower() for c in text) and any(c.isupper() for c in text))
    for seg, after_street in _unplaced_segments(text):
        for m in _HONORIFIC.finditer(seg):
            word = m.group("w")
            if _fold(word) in _STOP:
                continue
            if m.group("h").lower() == "famiglia" and not word[0].isupper():
                continue  # "famiglia numerosa" is not a surname
            return True
        if _has_person(seg, caseless, alone=after_street):
            return True
    return False


_PREFILTER_WORDS = _FIRST_NAMES | {"sig", "sigg", "sgr", "signor", "signora", "signore",
                                   "signori", "signorina", "fam", "famiglia", "dott", "dottssa",
                                   "dr", "drssa", "prof", "profssa", "avv", "geom", "mr", "mrs",
                                   "ra", "na", "ssa"}


def person_mask(values: pd.Series) -> pd.Series:
    """:func:`looks_like_person` for a column (each distinct value checked once).

    Returns a boolean Series on the same index; empty cells are False.
    """
    uniq = pd.unique(values.to_numpy())
    hits: dict[Any, bool] = {}
    for v in uniq:
        s = str(v) if v is not None and v is not pd.NA else ""
        if not s:
            continue
        low = s.lower()
        if not low.isascii():
            low = _fold(s)
        if "c/o" not in low and _PREFILTER_WORDS.isdisjoint(_LETTERS.findall(low)):
            continue
        if looks_like_person(s):
            hits[v] = True
    if not hits:
        return pd.Series(False, index=values.index)
    return pd.Series(values.isin(list(hits)).to_numpy(), index=values.index)
