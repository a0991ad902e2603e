"""Header matching: which column is which field, and which headers name personal data.

Headers are matched after folding (case, accents, punctuation), by words: an alias may be
the whole header ("Data"), its first words ("Data intervento") or appear inside it
("Nome quartiere"); abbreviations ("Cat.") and plurals ("Categorie") count. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

ALIASES: dict[str, tuple[str, ...]] = {
    "report_id": ("id", "id segnalazione", "codice", "cod", "codice segnalazione", "report id",
                  "n segnalazione", "nr segnalazione", "numero segnalazione", "identificativo",
                  "protocollo", "n protocollo", "numero pratica", "pratica", "progressivo"),
    "date": ("data", "data segnalazione", "date", "report date", "giorno"),
    "address": ("indirizzo", "via", "address", "indirizzo segnalazione", "street", "luogo",
                "ubicazione"),
    "town": ("comune", "citta", "town", "city", "municipality", "localita", "paese"),
    "lat": ("lat", "latitudine", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitudine", "longitude", "x"),
    "quartiere": ("quartiere", "quarter", "zona", "rione", "neighbourhood", "neighborhood",
                  "frazione"),
    "category": ("categoria", "category", "ambito", "area", "tipo fragilita", "fragilita",
                 "tipologia fragilita"),
    "partner": ("associazione", "ente", "partner", "organizzazione", "organisation",
                "organization"),
    "action": ("azione", "attivita", "intervento", "action", "tipo intervento", "servizio",
               "tipologia intervento", "tipo attivita"),
    "age_band": ("fascia eta", "eta", "age band", "fascia", "age", "classe eta", "age group"),
}
#: Aliases too generic to match anything but the whole header ("Numero civico" is no ID,
#: "Fascia oraria" no age band, "Area geografica" no category).
EXACT_ONLY = frozenset({"id", "codice", "cod", "x", "y", "area", "servizio", "fascia", "giorno",
                        "pratica", "long", "age", "progressivo"})
#: Words that stop a header from meaning a field ("Data chiusura" is not the report's date).
NOT_FIELD: dict[str, frozenset[str]] = {
    "date": frozenset({"chiusura", "fine", "nascita", "inserimento", "aggiornamento", "modifica",
                       "uscita", "dimissione", "dimissioni", "scadenza", "export", "esportazione",
                       "stampa", "decesso", "closing", "birth", "end"}),
    "report_id": frozenset({"civico", "fiscale", "istat", "postale", "cap", "catastale"}),
    "address": frozenset({"email", "mail", "pec", "ip", "web"}),
}
_HEADER_STOP = frozenset({"di", "del", "della", "dello", "dei", "degli", "delle", "dell", "d",
                          "da", "dal", "la", "il", "lo", "le", "l", "of", "the", "e", "ed",
                          "and", "per"})

#: Header words that name personal data, by kind (folded words; a word ending in ``*`` is a
#: prefix). Kept for reference in messages and docs: see :func:`personal_header_kind`.
PERSONAL_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("nome", "nomi", "cognom*", "nominativ*", "name", "names", "surname", "firstname",
             "lastname", "fullname"),
    "tax_code": ("fiscale", "cf", "ssn"),
    "phone": ("telefon*", "tel", "cellular*", "cell", "phone", "mobile", "recapit*", "fax",
              "whatsapp"),
    "email": ("email", "mail", "pec"),
    "birth_date": ("nascita", "nato", "nata", "nati", "birth", "dob", "birthday", "compleanno"),
    "free_text": ("note", "nota", "notes", "osservazion*", "descrizion*", "comment*", "dettagli",
                  "description", "annotazion*", "situazione", "storia", "racconto"),
    "document": ("document*", "passaporto", "iban", "tessera", "identita", "soggiorno",
                 "patente"),
    # last: these name the person a field is about; a header that also names a field is fine
    "person": ("referent*", "assistit*", "utente", "utenti", "beneficiari*", "beneficiario",
               "richiedente", "richiedenti", "paziente", "pazienti", "ospite", "ospiti",
               "familiare", "familiari", "caregiver", "tutore", "tutrice", "operatore",
               "operatrice", "operatori", "volontario", "volontaria", "volontari"),
}
_PERSONAL_PHRASES = (
    ("tax_code", re.compile(r"\bcodice fiscale\b|^c f$|\btax code\b|\bfiscal code\b")),
    ("document", re.compile(r"\bcarta (?:d )?identita\b|\bpermesso (?:di )?soggiorno\b")),
    ("email", re.compile(r"\be mail\b")),
    ("name", re.compile(r"\b(?:first|last|full|given|family) name\b")),
    ("birth_date", re.compile(r"\bdate of birth\b")),
)
#: ``nome`` in these headers names a thing, not a person ("Nome quartiere").
_NOME_OF_THING = frozenset({"associazione", "ente", "partner", "organizzazione", "quartiere",
                            "zona", "via", "strada", "comune", "citta", "servizio", "sportello",
                            "laboratorio", "progetto", "categoria", "file", "foglio", "quarter",
                            "street", "town", "city", "association", "organisation",
                            "organization", "service", "project", "category", "sheet"})


def _norm(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9+]+", " ", text.lower())
    return text.strip()


def _norm_series(s: pd.Series) -> pd.Series:
    u = pd.Series(s.unique())
    mapped = dict(zip(u, u.map(_norm)))
    return s.map(mapped)


def header_words(header: str) -> tuple[str, ...]:
    """A header folded to words: lower case, no accents or punctuation, no small words.

    >>> header_words("Fascia d'età")
    ('fascia', 'eta')
    """
    return tuple(w for w in _norm(header).split() if w not in _HEADER_STOP)


def _word_match(h: str, a: str, *, abbreviations: bool = True) -> bool:
    if h == a:
        return True
    # singular / plural: "categorie" for "categoria", "quartieri" for "quartiere"
    if len(a) >= 5 and len(h) == len(a) and h[:-1] == a[:-1]:
        return True
    # an abbreviation: "cat" for "categoria" ("int" is the flat number, not "intervento")
    return abbreviations and len(h) >= 3 and a.startswith(h) and h not in _NOT_ABBREVIATION


_NOT_ABBREVIATION = frozenset({"int", "num", "civ", "sc"})


def _alias_score(words: tuple[str, ...], alias: tuple[str, ...], exact_only: bool) -> tuple[int, int] | None:
    """How well a header's words fit an alias, or None.

    (2, 0): the whole header is the alias; (1, 0): the whole header abbreviates it ("Cat.");
    (1, -position): the alias stands inside a longer header ("Data intervento",
    "Nome quartiere"), earlier is better.
    """
    k = len(alias)
    if k == 0 or k > len(words):
        return None
    if k == len(words):
        if all(_word_match(h, a, abbreviations=False) for h, a in zip(words, alias)):
            return (2, 0)
        if all(_word_match(h, a) for h, a in zip(words, alias)):
            return (1, 0)
    if exact_only:
        return None
    for pos in range(len(words) - k + 1):
        if all(_word_match(h, a, abbreviations=len(h) >= 4) for h, a in zip(words[pos:pos + k], alias)):
            return (1, -pos)
    return None


def personal_header_kind(header: str) -> str | None:
    """The kind of personal data a header names (``"name"``, ``"phone"``...), or None.

    ``"person"`` (referente, assistito, utente...) is returned too: the caller refuses it
    unless the header also names a report field ("Fascia d'età assistito" is an age band).

    >>> personal_header_kind("Nome assistito"), personal_header_kind("Nome quartiere")
    ('name', None)
    """
    norm = _norm(header)
    for kind, pattern in _PERSONAL_PHRASES:
        if pattern.search(norm):
            return kind
    words = header_words(header)
    for kind, words_of_kind in PERSONAL_HEADERS.items():
        for w in words:
            if kind == "name" and w in ("nome", "nomi", "name", "names") and _NOME_OF_THING & set(words):
                continue
            for p in words_of_kind:
                if w == p or (p.endswith("*") and w.startswith(p[:-1])):
                    return kind
    return None


@dataclass(frozen=True)
class HeaderMatch:
    """How a table's headers were read.

    Attributes
    ----------
    fields : dict
        ``{field: header}`` for every field found.
    unmatched : list of str
        Headers used for no field (extra columns, checked by the guard, then ignored).
    ambiguous : dict
        ``{field: [header, header...]}`` when several columns are equally good for a field.
    exact : set of str
        Fields whose header was an exact alias (the others were matched by words).
    """

    fields: dict[str, str]
    unmatched: list[str]
    ambiguous: dict[str, list[str]]
    exact: frozenset[str] = frozenset()


def match_headers(columns: Iterable[str]) -> HeaderMatch:
    """Match headers to fields after folding, by words (see the module docstring).

    A header that names personal data is never a field ("Indirizzo e-mail" is not the
    address, "Data di nascita" not the date). When two headers fit a field, an exact alias
    beats a header that only contains it ("Data" beats "Data intervento"); two equally good
    ones are ``ambiguous``.
    """
    cols = list(columns)
    alias_words = {f: [(header_words(a), a in EXACT_ONLY) for a in aliases] for f, aliases in ALIASES.items()}
    best: dict[str, tuple[str, tuple[int, int]]] = {}  # header -> (field, score)
    for col in cols:
        kind = personal_header_kind(col)
        if kind is not None and kind != "person":
            continue
        words = header_words(col)
        candidates = []
        for order, (f, aliases) in enumerate(alias_words.items()):
            if NOT_FIELD.get(f, frozenset()) & set(words):
                continue
            scores = [s for aw, ex in aliases if (s := _alias_score(words, aw, ex)) is not None]
            if scores:
                candidates.append((max(scores), -order, f))
        if candidates:
            score, _, f = max(candidates)
            best[col] = (f, score)
    fields: dict[str, str] = {}
    ambiguous: dict[str, list[str]] = {}
    exact = set()
    for f in ALIASES:
        cands = [(s, c) for c, (ff, s) in best.items() if ff == f]
        if not cands:
            continue
        top = max(s for s, _ in cands)
        tops = [c for s, c in cands if s == top]
        if len(tops) > 1:
            ambiguous[f] = tops
        else:
            fields[f] = tops[0]
            if top[0] == 2:
                exact.add(f)
    used = set(fields.values()) | {c for cs in ambiguous.values() for c in cs}
    return HeaderMatch(fields, [c for c in cols if c not in used], ambiguous, frozenset(exact))


def match_columns(columns: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Map header names to fields. Returns ``({field: header}, [unmatched headers])``.

    Ambiguous fields are left out (see :func:`match_headers` for them).
    """
    m = match_headers(columns)
    return m.fields, m.unmatched
