"""Validate partner report tables: columns, values, and the personal-data guard.

Pure: takes a table of strings (from :func:`fragmap.io.tables.read_table`) and
returns accepted reports (the "Reports" contract in docs/ARCHITECTURE.md) and
rejected rows, each with its reason. Nothing is lost: every input row ends up
in exactly one of the two, or is counted as an identical copy of another row
with the same ID. Every problem of a file is collected before reporting, so a
coordinator fixes a sheet once.

Messages are Italian by default (``settings.language``) and name the file, the
spreadsheet row and the column. A personal value is never copied into a
message, a note, a log or the store.

Headers are matched after folding (case, accents, punctuation), by words: an
alias may be the whole header ("Data"), its first words ("Data intervento") or
appear inside it ("Nome quartiere"); abbreviations ("Cat.") and plurals
("Categorie") count. Two columns for one field are an error naming both.

The personal-data guard works at two levels:

* the FILE is refused (nothing imported) when a column header names personal data
  (nome, cognome, referente, telefono, e-mail, codice fiscale, data di nascita,
  note...), when any column holds tax codes, e-mail addresses or phone numbers,
  when an extra column holds birth dates or person names, or long free text;
* a ROW is rejected when a kept free-text field (ID, address, quartiere) carries
  a person name ("Via Roma 3 - Mario Rossi", "vive con la figlia Giulia"): it is a
  slip in one row, the rest of the sheet is fine.

Person names are found with an honest heuristic (:func:`looks_like_person`):
honorifics ("sig.ra Bianchi", "c/o Verdi"), a common first name next to another
name-like word ("Mario Rossi", "Rossi Maria") or after a family word ("la figlia
Giulia"). Street and place names are exempt ("Via Giuseppe Garibaldi 3",
"San Pietro in Verzolo"). A surname alone ("Via Roma 3 - Rossi") is not found.

Example
-------
>>> from fragmap.io.tables import read_table                          # doctest: +SKIP
>>> result = validate(read_table("export.csv").frame, settings,
...                   source_file="export.csv", today=date(2026, 11, 1))  # doctest: +SKIP
>>> result.accepted.shape, result.rejected["reason"].value_counts()   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from fragmap import personal as _personal
from fragmap._errors import PersonalDataError, ValidationError
from fragmap.i18n import translate
from fragmap.settings import Settings

REPORT_COLUMNS = (
    "report_id", "partner", "category", "action", "age_band", "date", "month", "town",
    "address", "lat", "lon", "quartiere", "source_file", "source_row", "record_hash",
)
#: Rejected rows. ``partner`` and ``month`` are what the row says, or, when the row does not
#: say it (unreadable date, unknown partner), the file's single partner and the month of the
#: nearest dated row: the store uses them to clear the row when its report is later accepted.
REJECTED_COLUMNS = (
    "source_file", "source_row", "column", "reason", "message", "report_id", "partner", "month",
)
#: At most this many ignored columns are named in the notes (a sheet may have thousands).
MAX_LISTED = 10
#: Fields without which a file cannot be used (a missing column refuses the file).
REQUIRED_FIELDS = ("date", "partner", "action")
#: Every reason a row (or a whole file, in the store's ledger) can be rejected for.
REASONS = (
    "missing", "bad_date", "future_date", "early_date", "unknown_category", "unknown_partner",
    "unknown_action", "outside_towns", "bad_coordinates", "coordinates_outside", "no_location",
    "duplicate_id", "personal_name", "personal_value", "personal_data", "file_error",
)

#: Accepted header spellings per field, as words after :func:`header_words`. Order matters only
#: to break ties of one header between two fields.
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

_CF = re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\d,.])(?:\+|00)?(?:39[\s.-]?)?(?:3\d{2}|0\d{1,3})[\s./-]?\d{3,4}[\s./-]?\d{3,4}(?![\d,.])"
)
#: Ids with a year as one of their parts ("0382-2026-0001", "A3/2026/015"): not phone numbers.
_ID_WITH_YEAR = re.compile(
    r"^[A-Za-z]{0,6}[-_/.]?(?:\d{1,6}[-_/.])?(?:19|20)\d{2}[-_/.]\d{1,6}(?:[-_/.]\d{1,6})?$"
)
_FULL_DATE = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}(?!\d)")
#: A full date before 2000 (dd/mm/yyyy): in an id it is a birth date, not a protocol number.
_OLD_FULL_DATE = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-]19\d{2}(?!\d)")
_DATE_LIKE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:\s.*)?$|^\d{4}-\d{1,2}-\d{1,2}")

# -- person names ------------------------------------------------------------------------------
#: Common first names (Italian, and frequent ones among residents born abroad), folded to ASCII
#: lower case. Names that are also ordinary words (rosa, chiara, bianca, serena, marina, natale,
#: stella, alba, felice, franco, angelo, santo, vera, viola...) are left out on purpose: they
#: would raise false alarms in place names. A first name alone is never enough: it must stand
#: next to another name-like word, or after an honorific or a family word.
_FIRST_NAMES = frozenset("""
adriano agostino alberto aldo alessandro alessio alfonso alfredo ambrogio amedeo andrea
antonino antonio armando arturo attilio bruno carlo carmelo cesare christian cristian claudio
corrado cristiano dario davide diego dino domenico edoardo elia elio emanuele emilio enrico
enzo ermanno ernesto ettore fabio fabrizio fausto federico ferdinando fernando filippo
flavio francesco gabriele gaetano giacomo giampiero giancarlo gianfranco gianluca gianni
gianpiero gino giorgio giovanni giulio giuseppe graziano guido ignazio italo ivan lino
leonardo lorenzo luca luciano lucio luigi manuel marcello marco mario massimo matteo mattia
maurizio mauro michele mirko nicola nicolo niccolo nino osvaldo ottavio paolo pasquale piero
pierluigi pietro raffaele remo renato riccardo roberto rocco rosario salvatore samuele
sandro sebastiano sergio silvio simone stefano teodoro tiziano tommaso ugo umberto valerio
valter walter vincenzo vittorio
ada adriana agnese alessandra alice amalia angela anna annamaria antonella antonietta arianna
barbara beatrice bruna camilla carla carmela carolina caterina cinzia claudia concetta
cristina daniela debora donatella elena eleonora elisa elisabetta emma enrica ester fabiana
federica fernanda filomena fiorella francesca franca gabriella gemma gina ginevra giorgia
giovanna giulia giuliana giuseppina gloria graziella ida ilaria ines iolanda irene irma lidia
liliana lina loredana lorena lorenza lucia luciana luigia luisa maddalena manuela mara
margherita maria mariarosa marisa marta martina matilde mirella monica nadia natalia
nicoletta noemi olga ornella paola patrizia pierina raffaella renata rita roberta rosanna
rosaria rossella sabrina sandra sara silvana silvia simona sofia sonia stefania tatiana
teresa tiziana valentina valeria vanda veronica vincenza virginia vittoria wanda
mohamed mohammed muhammad mohammad ahmed ahmad hassan hamza omar youssef yusuf mustafa ibrahim
fatima fatma khadija aisha amina ion andrei mihai alexandru irina svetlana oksana natasha
jose juan carlos luis jorge
""".split())
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


_MESSAGES: dict[str, dict[str, str]] = {
    "where": {"it": "{file}, riga {row}, colonna «{column}»", "en": "{file}, row {row}, column '{column}'"},
    "row": {"it": "riga {row}", "en": "row {row}"},
    "missing_column": {
        "it": "{file}: manca la colonna obbligatoria «{field}» (nomi accettati: {aliases})",
        "en": "{file}: required column '{field}' is missing (accepted names: {aliases})",
    },
    "ambiguous_column": {
        "it": "{file}: le colonne {columns} sembrano tutte «{field}»: rinominarne o eliminarne una",
        "en": "{file}: columns {columns} all look like '{field}': rename or delete one of them",
    },
    "no_location_column": {
        "it": "{file}: serve almeno una colonna di posizione (indirizzo, lat/lon o quartiere)",
        "en": "{file}: at least one location column is needed (address, lat/lon or quarter)",
    },
    "missing": {"it": "valore mancante", "en": "missing value"},
    "bad_date": {"it": "data non valida: usare gg/mm/aaaa", "en": "invalid date: use dd/mm/yyyy"},
    "future_date": {"it": "data nel futuro", "en": "date in the future"},
    "early_date": {"it": "data precedente all'inizio del progetto ({start})",
                   "en": "date before the project start ({start})"},
    "unknown_category": {"it": "categoria sconosciuta; valori ammessi: {allowed}",
                         "en": "unknown category; allowed: {allowed}"},
    "unknown_partner": {"it": "associazione sconosciuta; valori ammessi: {allowed}",
                        "en": "unknown partner; allowed: {allowed}"},
    "unknown_action": {"it": "azione sconosciuta; valori ammessi: {allowed}",
                       "en": "unknown action; allowed: {allowed}"},
    "outside_towns": {"it": "comune fuori dal progetto (ammessi: {allowed})",
                      "en": "town outside the project (allowed: {allowed})"},
    "bad_coordinates": {"it": "coordinate non valide: servono lat e lon in gradi decimali (es. 45,1847)",
                        "en": "invalid coordinates: lat and lon in decimal degrees are needed (e.g. 45.1847)"},
    "coordinates_outside": {"it": "coordinate fuori dai comuni del progetto e nessun indirizzo",
                            "en": "coordinates outside the project's towns and no address"},
    "no_location": {"it": "nessuna posizione: indicare indirizzo, coordinate o quartiere",
                    "en": "no location: give an address, coordinates or a quarter"},
    "duplicate_id": {"it": "ID ripetuto nel file nello stesso mese con contenuto diverso (tenuta la {first})",
                     "en": "ID repeated in the file in the same month with different content "
                           "(kept {first})"},
    "personal_name": {
        "it": "sembra contenere il nome di una persona (valore non riportato): togliere il nome "
              "e reinviare la riga",
        "en": "looks like it holds a person's name (value not shown): remove the name and send "
              "the row again",
    },
    "personal_header": {
        "it": "la colonna «{column}» sembra contenere dati personali ({kind}): eliminarla dal foglio",
        "en": "column '{column}' looks like personal data ({kind}): delete it from the sheet",
    },
    "personal_values": {
        "it": "la colonna «{column}» contiene valori che sembrano {kind} (righe {rows}): "
              "eliminarli dal foglio",
        "en": "column '{column}' holds values that look like {kind} (rows {rows}): "
              "delete them from the sheet",
    },
    "birth_dates": {
        "it": "la colonna «{column}» contiene date complete (righe {rows}): sembrano date di nascita; "
              "usare la fascia d'età (es. 65-74)",
        "en": "column '{column}' holds full dates (rows {rows}): they look like birth dates; "
              "use an age band (e.g. 65-74)",
    },
    "old_dates": {
        "it": "la colonna «{column}» contiene date molto anteriori alle segnalazioni (prima del "
              "{cutoff}, righe {rows}): sembrano date di nascita; eliminarle dal foglio",
        "en": "column '{column}' holds dates long before the reports (before {cutoff}, rows "
              "{rows}): they look like birth dates; delete them from the sheet",
    },
    "refused": {
        "it": "{file}: file RIFIUTATO, sembra contenere dati personali. Nulla è stato importato.\n"
              "Correggere il foglio e reinviarlo:",
        "en": "{file}: file REFUSED, it looks like it contains personal data. Nothing was imported.\n"
              "Fix the sheet and send it again:",
    },
    "kind_name": {"it": "nomi di persona", "en": "personal names"},
    "kind_person": {"it": "persone assistite o di riferimento", "en": "people helped or contacts"},
    "kind_tax_code": {"it": "codici fiscali", "en": "tax codes"},
    "kind_iban": {"it": "codici IBAN", "en": "IBANs"},
    "column_n": {"it": "n. {n} (intestazione non riportata)", "en": "no. {n} (header not shown)"},
    "personal_header_value": {
        "it": "l'intestazione della colonna {column} sembra un dato personale ({kind}): la prima "
              "riga del foglio deve contenere solo i nomi delle colonne (es. «Data», «Indirizzo»); "
              "eliminare il dato e reinviare il file",
        "en": "the header of column {column} looks like personal data ({kind}): the first row of "
              "the sheet must hold only column names (e.g. 'Date', 'Address'); delete the value "
              "and send the file again",
    },
    "more_ignored": {"it": "{n|un'altra colonna ignorata (non elencata)|altre {n} colonne ignorate (non elencate)}",
                     "en": "{n} more {n|column|columns} ignored (not listed)"},
    "kind_phone": {"it": "numeri di telefono", "en": "phone numbers"},
    "kind_email": {"it": "indirizzi e-mail", "en": "e-mail addresses"},
    "kind_birth_date": {"it": "date di nascita", "en": "birth dates"},
    "kind_free_text": {"it": "testo libero (note)", "en": "free text (notes)"},
    "kind_document": {"it": "documenti", "en": "identity documents"},
    "columns_read": {"it": "colonne lette: {pairs}", "en": "columns read: {pairs}"},
    "mapped": {"it": "«{value}» letto come «{code}» (righe: {n})",
               "en": "'{value}' read as '{code}' ({n} {n|row|rows})"},
    "mapped_hidden": {
        "it": "colonna «{column}», righe {rows}: letto come «{code}», ma il valore sembra contenere "
              "un nome di persona (non riportato e non conservato); toglierlo dal foglio",
        "en": "column '{column}', rows {rows}: read as '{code}', but the value looks like it holds "
              "a person's name (not shown, not kept); remove it from the sheet",
    },
    "names_in_column": {
        "it": "colonna «{column}», righe {rows}: il valore sembra contenere un nome di persona "
              "(non riportato e non conservato); toglierlo dal foglio",
        "en": "column '{column}', rows {rows}: the value looks like it holds a person's name "
              "(not shown, not kept); remove it from the sheet",
    },
    "no_id_column": {
        "it": "il file non ha una colonna ID: ogni riga è riconosciuta dal suo contenuto, quindi "
              "reinviare lo stesso file non cambia nulla, ma una riga corretta non può sostituire "
              "quella già importata (si aggiunge). Consigliato: aggiungere una colonna "
              "«ID segnalazione»",
        "en": "the file has no ID column: each row is recognised by its content, so sending the "
              "same file again changes nothing, but a corrected row cannot replace the one "
              "already imported (it is added). Recommended: add a 'report id' column",
    },
    "identical_copies": {"it": "righe identiche ad altre con lo stesso ID, contate una volta: {n}",
                         "en": "{n} {n|row|rows} identical to others with the same ID, counted once"},
    "inferred_category": {"it": "categoria mancante dedotta dall'associazione (righe: {n})",
                          "en": "missing category inferred from the partner ({n} {n|row|rows})"},
    "ignored_column": {"it": "colonna «{column}» ignorata", "en": "column '{column}' ignored"},
    "coords_swapped": {"it": "lat e lon invertite, corrette (righe: {n})",
                       "en": "lat and lon swapped, corrected ({n} {n|row|rows})"},
    "coords_dropped": {"it": "coordinate fuori dai comuni scartate, resta l'indirizzo (righe: {n})",
                       "en": "coordinates outside the towns dropped, address kept ({n} {n|row|rows})"},
    "unknown_age_band": {"it": "fascia d'età non riconosciuta lasciata vuota (righe: {n})",
                         "en": "unrecognised age band left empty ({n} {n|row|rows})"},
    # field names, as the coordinator knows them
    "field_report_id": {"it": "ID segnalazione", "en": "report id"},
    "field_date": {"it": "data", "en": "date"},
    "field_address": {"it": "indirizzo", "en": "address"},
    "field_town": {"it": "comune", "en": "town"},
    "field_lat": {"it": "latitudine", "en": "latitude"},
    "field_lon": {"it": "longitudine", "en": "longitude"},
    "field_quartiere": {"it": "quartiere", "en": "quarter"},
    "field_category": {"it": "categoria", "en": "category"},
    "field_partner": {"it": "associazione", "en": "partner"},
    "field_action": {"it": "azione", "en": "action"},
    "field_age_band": {"it": "fascia d'età", "en": "age band"},
    # reasons, short, for summaries and the ledger
    "reason_missing": {"it": "valore mancante", "en": "missing value"},
    "reason_bad_date": {"it": "data non valida", "en": "invalid date"},
    "reason_future_date": {"it": "data nel futuro", "en": "date in the future"},
    "reason_early_date": {"it": "data prima dell'inizio", "en": "date before the start"},
    "reason_unknown_category": {"it": "categoria sconosciuta", "en": "unknown category"},
    "reason_unknown_partner": {"it": "associazione sconosciuta", "en": "unknown partner"},
    "reason_unknown_action": {"it": "azione sconosciuta", "en": "unknown action"},
    "reason_outside_towns": {"it": "comune fuori progetto", "en": "town outside the project"},
    "reason_bad_coordinates": {"it": "coordinate non valide", "en": "invalid coordinates"},
    "reason_coordinates_outside": {"it": "coordinate fuori dai comuni", "en": "coordinates outside"},
    "reason_no_location": {"it": "nessuna posizione", "en": "no location"},
    "reason_duplicate_id": {"it": "ID ripetuto", "en": "repeated ID"},
    "reason_personal_name": {"it": "nome di persona", "en": "person's name"},
    "reason_personal_value": {"it": "dato personale", "en": "personal data"},
    "personal_value": {
        "it": "contiene una data completa, forse una data di nascita (valore non riportato): "
              "toglierla e reinviare la riga",
        "en": "holds a full date, perhaps a birth date (value not shown): remove it and send "
              "the row again",
    },
    "reason_personal_data": {"it": "file rifiutato: dati personali",
                             "en": "file refused: personal data"},
    "reason_file_error": {"it": "file non leggibile o incompleto",
                          "en": "file unreadable or incomplete"},
}


def reason_label(reason: str, language: str = "it") -> str:
    """Short label of a rejection reason code (:data:`REASONS`) in ``language``."""
    key = f"reason_{reason}"
    return translate(_MESSAGES, key, language) if key in _MESSAGES else reason


def no_id_note(language: str = "it") -> str:
    """The note added to a file without an ID column (what it means, what to do)."""
    return translate(_MESSAGES, "no_id_column", language)


def field_label(name: str, language: str = "it") -> str:
    """Name of a report field ("data", "azione"...) in ``language``."""
    return translate(_MESSAGES, f"field_{name}", language)


def _quote(text: str, language: str) -> str:
    return f"'{text}'" if language == "en" else f"«{text}»"


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


@dataclass
class IntakeResult:
    """Outcome of validating one table.

    Attributes
    ----------
    accepted : DataFrame
        Reports (columns :data:`REPORT_COLUMNS`).
    rejected : DataFrame
        One row per rejected input row (columns :data:`REJECTED_COLUMNS`); a row with
        several problems has them all in ``message``, the first in ``reason``.
    notes : list of str
        What was read, fixed or inferred (columns taken, misspellings mapped, ignored
        columns...). Notes never echo a value that looks like a person's name.
    read : int
        Non-blank input rows.
    has_ids : bool
        Whether the file had an ID column. Without one, each report's ID is a hash of its
        content plus its occurrence number in the file, so corrections cannot be matched.
    columns : dict
        ``{field: header}`` as read.
    duplicates : int
        Rows identical to an earlier row with the same ID and month, counted once.
    reasons : dict
        ``{reason: rows}`` over every problem of every rejected row (a row with a bad date
        and a name in the address counts under both), most frequent first.
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    read: int = 0
    has_ids: bool = True
    columns: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0

    reasons: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"read": self.read, "accepted": len(self.accepted), "rejected": len(self.rejected),
                "duplicates": self.duplicates, "has_ids": self.has_ids, "reasons": dict(self.reasons)}


def find_personal_data(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    unmatched: list[str],
    *,
    language: str = "it",
    today: _dt.date | None = None,
    start_date: str | None = None,
) -> list[str]:
    """Problems that make a table look like it holds personal data (empty list if none).

    Parameters
    ----------
    frame : DataFrame
        The table of strings.
    columns : mapping
        ``{field: header}`` (see :func:`match_headers`).
    unmatched : list of str
        Extra columns: they are checked for person names, birth dates and free text too.
    language : str
        Language of the messages.
    today, start_date : optional
        For the two-digit years and the birth-date plausibility cut-off (dates before
        2010, or ten years before the project start if earlier, are not report dates).

    Returns
    -------
    list of str
        Messages naming the column, the kind of data and at most five row numbers; never a value.
    """
    lang = language
    today = today or _dt.date.today()
    start_year = int(start_date[:4]) if start_date else 2010
    cutoff = min(2010, start_year - 10)
    problems: list[str] = []
    used = set(columns.values())
    flagged: set[str] = set()
    # A header cell that IS a personal value (the first row was data, or a name typed as a
    # header) is named by its position only, never echoed.
    shown: dict[str, str] = {}
    for i, col in enumerate(frame.columns, start=1):
        value_kind = _personal.personal_kind(str(col))
        if value_kind is None and _DATE_LIKE.match(str(col)):
            year = _years(pd.Series([str(col)]), today).iloc[0]
            value_kind = "birth_date" if year < cutoff else None
        shown[col] = col if value_kind is None else translate(_MESSAGES, "column_n", lang, n=i)
        if value_kind is not None:
            flagged.add(col)
            problems.append(translate(_MESSAGES, "personal_header_value", lang, column=shown[col],
                                      kind=translate(_MESSAGES, f"kind_{value_kind}", lang)))
    for col in frame.columns:
        kind = personal_header_kind(col) if col not in used and col not in flagged else None
        if kind is not None:
            flagged.add(col)
            problems.append(translate(_MESSAGES, "personal_header", lang, column=col,
                                      kind=translate(_MESSAGES, f"kind_{kind}", lang)))
    skip = {columns.get(k) for k in ("date", "lat", "lon")} | flagged
    id_col = columns.get("report_id")
    for col in frame.columns:
        if col in skip:
            continue
        values = frame[col]
        values = values[values != ""]
        if values.empty:
            continue
        uniq = pd.Series(values.unique())
        for kind, pattern in (("tax_code", _CF), ("email", _personal.EMAIL), ("iban", _personal.IBAN),
                              ("phone", _PHONE)):
            cand = uniq
            if kind == "phone" and col == id_col:
                # ids are typed by the partner, often all digits and dashes: only a mobile
                # number or a number with the +39 prefix is a phone there
                pattern = _personal.PHONE_STRICT
            elif kind == "phone":
                cand = uniq[~uniq.str.match(_ID_WITH_YEAR)]
            hit = cand[cand.str.contains(pattern, regex=True)]
            if kind == "iban":
                hit = hit[hit.map(lambda v: bool(_personal._ibans(v)))]
            if len(hit):
                problems.append(_values_problem(shown[col], kind, values.index[values.isin(hit)], lang))
        if col in unmatched:
            names = person_mask(values)
            if names.any():
                problems.append(_values_problem(shown[col], "name", values.index[names.to_numpy()], lang))
    # Full dates in the age column are birth dates; in an extra column, dates long before any
    # report are too (a closing date or an intervention date of 2026 is not).
    age_col = columns.get("age_band")
    for col in [age_col, *unmatched]:
        if col is None or col in flagged:
            continue
        values = frame[col][frame[col] != ""]
        if not len(values):
            continue
        is_date = values.str.match(_DATE_LIKE)
        if is_date.mean() <= 0.5:
            continue
        if col == age_col:
            problems.append(translate(_MESSAGES, "birth_dates", lang, column=shown[col],
                                      rows=_rows(values.index[is_date.to_numpy()])))
            continue
        years = _years(values[is_date], today)
        old = years < cutoff
        if old.any():
            problems.append(translate(_MESSAGES, "old_dates", lang, column=shown[col], cutoff=cutoff,
                                      rows=_rows(years.index[old.to_numpy()])))
    # Unknown columns of long free text (notes).
    for col in unmatched:
        if col in flagged:
            continue
        values = frame[col][frame[col] != ""]
        if len(values) and values.str.len().mean() > 25 and values.str.count(" ").mean() >= 3:
            if not any(f"«{col}»" in p or f"'{col}'" in p for p in problems):
                problems.append(translate(_MESSAGES, "personal_header", lang, column=shown[col],
                                          kind=translate(_MESSAGES, "kind_free_text", lang)))
    return problems


def _years(values: pd.Series, today: _dt.date) -> pd.Series:
    """Year of each date-like string; two-digit years are 20yy unless that is in the future."""
    it = values.str.extract(r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{4}|\d{2})(?:\s.*)?$")[0]
    iso = values.str.extract(r"^(\d{4})-\d{1,2}-\d{1,2}")[0]
    y = pd.to_numeric(it.fillna(iso), errors="coerce")
    two = y < 100
    y = y.where(~two, np.where(2000 + y <= today.year, 2000 + y, 1900 + y))
    return y.fillna(9999)


def _values_problem(col: str, kind: str, rows: pd.Index, lang: str) -> str:
    return translate(_MESSAGES, "personal_values", lang, column=col,
                     kind=translate(_MESSAGES, f"kind_{kind}", lang), rows=_rows(rows))


def _rows(rows: Iterable[int]) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:5])
    return shown + (f" … (+{len(rows) - 5})" if len(rows) > 5 else "")


def parse_dates(values: pd.Series) -> pd.Series:
    """Italian and ISO dates to ``datetime64``: dd/mm/yyyy, d/m/yy, dd.mm.yyyy, yyyy-mm-dd[ time].

    Impossible dates (31/02/2025) and anything else become NaT. Two-digit years are 20yy.
    """
    uniq = pd.Series(pd.unique(values.to_numpy()))
    if len(uniq) < len(values):  # exports repeat the same few hundred days: parse each once
        parsed = _parse_dates(uniq.astype(str))
        return pd.Series(pd.Index(uniq).get_indexer(values.to_numpy()), index=values.index).map(
            parsed).astype("datetime64[ns]")
    return _parse_dates(values)


def _parse_dates(values: pd.Series) -> pd.Series:
    v = values.str.strip()
    it = v.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:\s.*)?$")
    iso = v.str.extract(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
    year = pd.to_numeric(it[2], errors="coerce")
    year = year.where(year >= 100, year + 2000)
    day = pd.to_numeric(it[0], errors="coerce")
    month = pd.to_numeric(it[1], errors="coerce")
    year = year.fillna(pd.to_numeric(iso[0], errors="coerce"))
    month = month.fillna(pd.to_numeric(iso[1], errors="coerce"))
    day = day.fillna(pd.to_numeric(iso[2], errors="coerce"))
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    ok = frame.notna().all(axis=1)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(frame[ok].astype(int), errors="coerce")
    return out


def parse_coordinate(values: pd.Series) -> pd.Series:
    """Decimal degrees with a decimal comma or point (``"45,1847"``) to float; NaN if not a number."""
    typed = values != ""
    if not typed.all():
        out = pd.Series(np.nan, index=values.index, dtype=float)
        if typed.any():
            out[typed] = parse_coordinate(values[typed])
        return out
    v = values.str.strip().str.replace(" ", "", regex=False)
    # "45.123,45" is not a coordinate; a single comma is a decimal comma.
    v = v.where(v.str.count(",") <= 1, "")
    v = v.str.replace(",", ".", regex=False)
    return pd.to_numeric(v, errors="coerce")


class _Vocabulary:
    """Maps typed values to codes: exact (normalised) first, then close misspellings."""

    def __init__(self, variants: Mapping[str, str], *, cutoff: float = 85.0) -> None:
        self.exact = {_norm(k): v for k, v in variants.items()}
        self.keys = list(self.exact)
        self.cutoff = cutoff

    def map(self, values: pd.Series) -> tuple[pd.Series, dict[str, str]]:
        """Codes (NA when unknown) and ``{typed value: code}`` for fuzzy matches."""
        fuzzy: dict[str, str] = {}
        table: dict[str, Any] = {}
        for raw in values.unique():
            key = _norm(raw)
            if not key:
                table[raw] = pd.NA
            elif key in self.exact:
                table[raw] = self.exact[key]
            else:
                hit = process.extractOne(key, self.keys, scorer=fuzz.WRatio, score_cutoff=self.cutoff)
                if hit is not None:
                    table[raw] = self.exact[hit[0]]
                    fuzzy[str(raw)] = self.exact[hit[0]]
                else:
                    table[raw] = pd.NA
        return values.map(table), fuzzy


def _category_vocabulary(s: Settings) -> _Vocabulary:
    v: dict[str, str] = {}
    for c in s.categories:
        for text in (c.code, c.label_it, c.label_en, c.code.replace("_", " ")):
            v[text] = c.code
    return _Vocabulary(v)


def _partner_vocabulary(s: Settings) -> _Vocabulary:
    v: dict[str, str] = {}
    for p in s.partners:
        for text in (p.code, p.name, p.code.replace("_", " "), *p.aliases):
            v[text] = p.code
    return _Vocabulary(v)


def _town_lookup(s: Settings) -> dict[str, str]:
    out = {}
    for t in s.towns:
        out[_norm(t.name)] = t.name
        out[_norm(f"{t.name} pv")] = t.name
        for cap in t.cap:
            out[_norm(f"{cap} {t.name}")] = t.name
    return out


def _age_band(values: pd.Series, bands: tuple[str, ...]) -> pd.Series:
    lookup = {_norm(b): b for b in bands}
    lookup.update({_norm(b.replace("+", " e oltre")): b for b in bands if b.endswith("+")})
    lookup.update({_norm(b.replace("+", " piu")): b for b in bands if b.endswith("+")})
    lookup.update({_norm("over " + b.rstrip("+")): b for b in bands if b.endswith("+")})
    table = {u: (lookup.get(_norm(u), pd.NA) if u else pd.NA) for u in pd.unique(values.to_numpy())}
    return values.map(table)


def validate(
    frame: pd.DataFrame,
    settings: Settings,
    *,
    source_file: str,
    today: _dt.date,
    town_polygons: Any = None,
) -> IntakeResult:
    """Validate one table of strings and split it into accepted reports and rejected rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cells as strings, index = spreadsheet row numbers (see :mod:`fragmap.io.tables`).
    settings : Settings
        Vocabulary (categories, partners, actions, age bands), towns, start date, language.
    source_file : str
        File name used in messages and kept with each report.
    today : datetime.date
        Reports dated after it are rejected (explicit, so results are reproducible).
    town_polygons : geopandas.GeoDataFrame, optional
        Comune polygons (``name`` column, EPSG:4326); coordinates outside them are dropped
        (the address is kept) or the row rejected when nothing else locates it.

    Returns
    -------
    IntakeResult

    Raises
    ------
    PersonalDataError
        The file looks like it holds personal data; nothing of it may be used.
    ValidationError
        A required column (date, partner, action, a location) is missing, or two columns
        fit one field (the message names them).

    Notes
    -----
    Without an ID column each report's ID is ``h`` + a hash of its normalised content +
    ``-`` + its occurrence number among identical rows of the file: two identical rows are
    two reports, and the same file (or an overlapping export) ingested again gives the same
    IDs. A corrected row then has another ID: it cannot replace the old one (a note says so).
    """
    lang = settings.language
    hm = match_headers(frame.columns)
    columns, unmatched = hm.fields, hm.unmatched
    personal = find_personal_data(frame, columns, unmatched, language=lang, today=today,
                                  start_date=settings.start_date)
    if personal:
        head = translate(_MESSAGES, "refused", lang, file=source_file)
        raise PersonalDataError(head + "\n  - " + "\n  - ".join(personal), personal)
    structural = []
    for fld, cols in hm.ambiguous.items():
        structural.append(translate(_MESSAGES, "ambiguous_column", lang, file=source_file,
                                    field=field_label(fld, lang),
                                    columns=", ".join(_quote(c, lang) for c in cols)))
    for fld in REQUIRED_FIELDS:
        if fld not in columns and fld not in hm.ambiguous:
            structural.append(translate(_MESSAGES, "missing_column", lang, file=source_file,
                                        field=field_label(fld, lang),
                                        aliases=", ".join(ALIASES[fld][:4])))
    if not {"address", "lat", "quartiere"} & (set(columns) | set(hm.ambiguous)):
        structural.append(translate(_MESSAGES, "no_location_column", lang, file=source_file))
    if structural:
        raise ValidationError("\n".join(structural), structural)

    pairs = ", ".join(f"{_quote(h, lang)} → {field_label(f, lang)}" for f, h in columns.items())
    notes = [translate(_MESSAGES, "columns_read", lang, pairs=pairs)]
    notes += [translate(_MESSAGES, "ignored_column", lang, column=c) for c in unmatched[:MAX_LISTED]]
    if len(unmatched) > MAX_LISTED:
        notes.append(translate(_MESSAGES, "more_ignored", lang, n=len(unmatched) - MAX_LISTED))
    n = len(frame)
    idx = frame.index

    def col(fld: str) -> pd.Series:
        name = columns.get(fld)
        return frame[name] if name is not None else pd.Series("", index=idx)

    problems: dict[int, list[tuple[str, str, str]]] = {}  # row -> [(field, reason, message)]

    def flag(mask: pd.Series, fld: str, reason: str, message: str) -> None:
        for row in idx[np.asarray(mask, dtype=bool)]:
            problems.setdefault(row, []).append((fld, reason, message))

    personal_msg = translate(_MESSAGES, "personal_name", lang)
    out = pd.DataFrame(index=idx)
    # report id: given (and checked like any kept text), else made from the content below
    has_ids = "report_id" in columns
    rid = col("report_id")
    id_is_name = person_mask(rid) if has_ids else pd.Series(False, index=idx)
    # a birth date typed as the id ("12/03/1941"): neither kept nor echoed
    id_is_date = (rid.str.contains(_OLD_FULL_DATE, regex=True) if has_ids
                  else pd.Series(False, index=idx))
    if has_ids:
        flag(rid == "", "report_id", "missing", translate(_MESSAGES, "missing", lang))
        flag(id_is_name, "report_id", "personal_name", personal_msg)
        flag(id_is_date & ~id_is_name, "report_id", "personal_value",
             translate(_MESSAGES, "personal_value", lang))
        id_is_name = id_is_name | id_is_date
    out["report_id"] = rid

    # date
    dates = parse_dates(col("date"))
    out["date"] = dates
    flag(col("date") == "", "date", "missing", translate(_MESSAGES, "missing", lang))
    flag((col("date") != "") & dates.isna(), "date", "bad_date", translate(_MESSAGES, "bad_date", lang))
    flag(dates.notna() & (dates > pd.Timestamp(today)), "date", "future_date",
         translate(_MESSAGES, "future_date", lang))
    start = pd.Timestamp(settings.start_date)
    flag(dates.notna() & (dates < start), "date", "early_date",
         translate(_MESSAGES, "early_date", lang, start=settings.start_date))

    # partner, category, action: stored as codes, the typed text is dropped
    partner, fz_p = _partner_vocabulary(settings).map(col("partner"))
    category, fz_c = _category_vocabulary(settings).map(col("category"))
    single = {p: [c.code for c in settings.categories if p in c.partners] for p in settings.partner_codes}
    infer = category.isna() & (col("category") == "") & partner.notna()
    inferred = partner[infer].map(lambda p: single[p][0] if len(single.get(p, [])) == 1 else pd.NA)
    category[infer] = inferred
    if inferred.notna().sum():
        notes.append(translate(_MESSAGES, "inferred_category", lang, n=int(inferred.notna().sum())))
    flag(col("partner") == "", "partner", "missing", translate(_MESSAGES, "missing", lang))
    flag((col("partner") != "") & partner.isna(), "partner", "unknown_partner",
         translate(_MESSAGES, "unknown_partner", lang, allowed=", ".join(p.name for p in settings.partners)))
    flag(category.isna() & (col("category") == ""), "category", "missing", translate(_MESSAGES, "missing", lang))
    flag(category.isna() & (col("category") != ""), "category", "unknown_category",
         translate(_MESSAGES, "unknown_category", lang,
                   allowed=", ".join(settings.category_label(c) for c in settings.category_codes)))
    actions, fz_a = _Vocabulary({a: a for a in settings.actions}).map(col("action"))
    flag(col("action") == "", "action", "missing", translate(_MESSAGES, "missing", lang))
    flag((col("action") != "") & actions.isna(), "action", "unknown_action",
         translate(_MESSAGES, "unknown_action", lang, allowed=", ".join(settings.actions)))
    out["partner"], out["category"], out["action"] = partner, category, actions
    # Coded columns: the typed text is not kept, only the code; a cell that carries a name is
    # never echoed (the note names the column, the rows and the code it was read as).
    fuzzy_of = {"partner": fz_p, "category": fz_c, "action": fz_a}
    for fld in ("partner", "category", "action", "town", "age_band"):
        if fld not in columns:
            continue
        typed_col = col(fld)
        names = person_mask(typed_col) | typed_col.str.contains(_FULL_DATE, regex=True)
        for typed, code in sorted(fuzzy_of.get(fld, {}).items()):
            rows = typed_col == typed
            if names[rows].any():
                notes.append(translate(_MESSAGES, "mapped_hidden", lang, column=columns[fld],
                                       rows=_rows(idx[rows.to_numpy()]), code=code))
                names = names & ~rows
            else:
                notes.append(translate(_MESSAGES, "mapped", lang, value=typed, code=code,
                                       n=int(rows.sum())))
        if names.any():
            notes.append(translate(_MESSAGES, "names_in_column", lang, column=columns[fld],
                                   rows=_rows(idx[names.to_numpy()])))

    # age band: optional, unknown values left empty with a note
    age = _age_band(col("age_band"), settings.age_bands)
    unknown_age = int(((col("age_band") != "") & age.isna()).sum())
    if unknown_age:
        notes.append(translate(_MESSAGES, "unknown_age_band", lang, n=unknown_age))
    out["age_band"] = age

    # town
    towns = _town_lookup(settings)
    town_typed = col("town")
    town = _norm_series(town_typed).map(lambda k: towns.get(k, pd.NA) if k else pd.NA)
    flag((town_typed != "") & town.isna(), "town", "outside_towns",
         translate(_MESSAGES, "outside_towns", lang, allowed=", ".join(settings.town_names)))
    out["town"] = town

    # coordinates
    lat, lon = parse_coordinate(col("lat")), parse_coordinate(col("lon"))
    typed_any = (col("lat") != "") | (col("lon") != "")
    bad = typed_any & (lat.isna() | lon.isna() | ~lat.between(-90, 90) | ~lon.between(-180, 180))
    flag(bad & (col("address") == ""), "lat", "bad_coordinates", translate(_MESSAGES, "bad_coordinates", lang))
    lat, lon = lat.where(~bad), lon.where(~bad)
    address = col("address").replace("", pd.NA)
    if town_polygons is not None:
        lat, lon, swapped, dropped, outside = _check_points(lat, lon, town_polygons)
        if swapped:
            notes.append(translate(_MESSAGES, "coords_swapped", lang, n=swapped))
        n_drop = int((outside & address.notna()).sum())
        if n_drop:
            notes.append(translate(_MESSAGES, "coords_dropped", lang, n=n_drop))
        flag(outside & address.isna(), "lat", "coordinates_outside",
             translate(_MESSAGES, "coordinates_outside", lang))
    out["lat"], out["lon"] = lat, lon
    out["address"] = address
    out["quartiere"] = col("quartiere").replace("", pd.NA)
    # Kept free text: a name in it rejects the row (the value is neither kept nor echoed).
    for fld in ("address", "quartiere"):
        if fld in columns:
            flag(person_mask(col(fld)), fld, "personal_name", personal_msg)
            # a full date has no place in an address: a birth date typed in the wrong cell
            flag(col(fld).str.contains(_FULL_DATE, regex=True), fld, "personal_value",
                 translate(_MESSAGES, "personal_value", lang))
    no_loc = out["address"].isna() & out["lat"].isna() & out["quartiere"].isna()
    flag(no_loc & ~pd.Series([r in problems for r in idx], index=idx), "address", "no_location",
         translate(_MESSAGES, "no_location", lang))

    month = _iso(dates, "M")
    out["month"] = month
    if not has_ids:
        content = _hash_rows(out, _CONTENT_FIELDS)
        occurrence = content.groupby(content).cumcount() + 1
        out["report_id"] = "h" + content.str[:12] + "-" + occurrence.astype(str)
        notes.append(translate(_MESSAGES, "no_id_column", lang))
    hashes = record_hash(out)

    # Duplicates among the rows without problems: the same (partner, id, month) twice is one
    # report when the content is identical (an export repeated a row), a conflict otherwise.
    clean = ~idx.isin(list(problems))
    dup_same = pd.Series(False, index=idx)
    if has_ids and clean.any():
        key = (out["partner"].astype(str) + "\x1f" + out["report_id"].astype(str) + "\x1f"
               + month.fillna(""))[clean]
        h = hashes[clean]
        first_hash = h.groupby(key).transform("first")
        first_row = pd.Series(key.index, index=key.index).groupby(key).transform("first")
        dup = key.duplicated(keep="first")
        same = dup & (h == first_hash)
        dup_same[same.index[same.to_numpy()]] = True
        for row in key.index[(dup & ~same).to_numpy()]:
            where = translate(_MESSAGES, "row", lang, row=first_row[row])
            problems.setdefault(row, []).append(
                ("report_id", "duplicate_id", translate(_MESSAGES, "duplicate_id", lang, first=where)))
    n_same = int(dup_same.sum())
    if n_same:
        notes.append(translate(_MESSAGES, "identical_copies", lang, n=n_same))

    # assemble the rejected rows, with the partner and month they most likely belong to
    known_month = month.where(dates.notna()).astype("string")
    month_hint = known_month.ffill().bfill()
    partners_seen = partner.dropna().unique()
    partner_hint = partner.copy()
    if len(partners_seen) == 1:
        partner_hint = partner_hint.fillna(partners_seen[0])
    rejected_rows = []
    for row, probs in sorted(problems.items()):
        fld, reason, _ = probs[0]
        colname = columns.get(fld) or field_label(fld, lang)
        message = "; ".join(
            translate(_MESSAGES, "where", lang, file=source_file, row=row,
                      column=columns.get(f) or field_label(f, lang)) + f": {m}"
            for f, _, m in probs
        )
        typed_id = str(rid[row]) if has_ids and not id_is_name[row] else ""
        p, m = partner_hint[row], month_hint[row]
        rejected_rows.append((source_file, int(row), colname, reason, message, typed_id,
                              None if pd.isna(p) else str(p), None if pd.isna(m) else str(m)))
    rejected = pd.DataFrame(rejected_rows, columns=list(REJECTED_COLUMNS))
    keep = ~idx.isin(list(problems)) & ~dup_same.to_numpy()
    acc = out[keep].copy()
    acc["source_file"] = source_file
    acc["source_row"] = acc.index.astype(int)
    acc["record_hash"] = hashes[keep]
    acc = acc.reset_index(drop=True)[list(REPORT_COLUMNS)]
    for c in ("partner", "category", "action", "age_band", "town", "address", "quartiere"):
        acc[c] = acc[c].astype("string")
    acc["month"] = acc["month"].astype(str)
    counts: dict[str, int] = {}
    for probs in problems.values():
        for r in dict.fromkeys(reason for _, reason, _ in probs):
            counts[r] = counts.get(r, 0) + 1
    reasons = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return IntakeResult(acc, rejected, notes, read=n, has_ids=has_ids, columns=dict(columns),
                        duplicates=n_same, reasons=reasons)


_CONTENT_FIELDS = ("partner", "category", "action", "age_band", "date", "town", "address", "lat",
                   "lon", "quartiere")
_RECORD_FIELDS = ("partner", "report_id", "category", "action", "age_band", "date", "town",
                  "address", "lat", "lon", "quartiere")


def _hash_rows(reports: pd.DataFrame, fields: Iterable[str]) -> pd.Series:
    parts = []
    for f in fields:
        s = reports[f]
        if f == "date":
            s = _iso(s, "D")
        elif f in ("lat", "lon"):
            s = s.round(6).astype(str)
        parts.append(s.astype(str).fillna(""))
    joined = parts[0].str.cat(parts[1:], sep="\x1f") if parts else pd.Series(dtype=str)
    sha1 = hashlib.sha1
    return pd.Series([sha1(t.encode("utf-8")).hexdigest() for t in joined], index=joined.index,
                     dtype=object)


def _iso(dates: pd.Series, unit: str) -> pd.Series:
    """``YYYY-MM-DD`` (unit ``"D"``) or ``YYYY-MM`` (``"M"``) strings, NaN for NaT (fast strftime)."""
    arr = dates.to_numpy(dtype="datetime64[ns]")
    text = np.datetime_as_string(arr.astype(f"datetime64[{unit}]"), unit=unit).astype(object)
    out = pd.Series(text, index=dates.index, dtype=object)
    return out.where(~np.isnat(arr), np.nan)


def record_hash(reports: pd.DataFrame) -> pd.Series:
    """A hash of a report's content (not of where it came from), for idempotent re-ingest."""
    return _hash_rows(reports, _RECORD_FIELDS)


def _check_points(lat: pd.Series, lon: pd.Series, polygons: Any) -> tuple[pd.Series, pd.Series, int, int, pd.Series]:
    """Keep points inside the towns; fix swapped lat/lon; flag those still outside."""
    import shapely

    union = shapely.union_all(np.asarray(polygons.geometry.values))
    has = lat.notna() & lon.notna()
    x, y = lon.to_numpy(dtype=float), lat.to_numpy(dtype=float)
    inside = np.zeros(len(lat), dtype=bool)
    inside[has.to_numpy()] = shapely.contains_xy(union, x[has.to_numpy()], y[has.to_numpy()])
    swap = has.to_numpy() & ~inside
    swapped_inside = np.zeros(len(lat), dtype=bool)
    if swap.any():
        swapped_inside[swap] = shapely.contains_xy(union, y[swap], x[swap])
    lat2, lon2 = lat.copy(), lon.copy()
    lat2[swapped_inside], lon2[swapped_inside] = lon[swapped_inside], lat[swapped_inside]
    outside = pd.Series(has.to_numpy() & ~inside & ~swapped_inside, index=lat.index)
    lat2[outside], lon2[outside] = np.nan, np.nan
    return lat2, lon2, int(swapped_inside.sum()), int(outside.sum()), outside
