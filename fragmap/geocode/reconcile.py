"""Link the street names of other sources (OpenStreetMap, bus stops, landmarks) to the ANNCSU names.

Every source spells streets its own way: OpenStreetMap writes "Corso Fratelli Cairoli"
where ANNCSU has "CORSO FAMIGLIA CAIROLI"; the 2013 bus stops write the surname only
("ASELLI" for "VIA GASPARE ASELLI", "STRADA NUOVA" for "CORSO STRADA NUOVA"). Each
distinct (town, source name) is linked ONCE to an official street, with a status:

``override``   the coordinator's alias table says which official street it is
``matched``    one official street fits clearly (same name, same words, the surname, a typo)
``ambiguous``  several official streets fit equally well (listed in ``candidates``)
``unmatched``  no official street fits (a hospital ward, "Parcheggio", a street ANNCSU lacks)

The table of links is stored with the gazetteer and written to a CSV the coordinator
reads; an alias table (``town;nome_osm;nome_anncsu``) fixes the few that fail on the
next build. Everything here is pure (no file, no network).

Examples
--------
>>> from fragmap.geocode.gazetteer import StreetIndex
>>> idx = StreetIndex(["VIA GASPARE ASELLI", "CORSO FAMIGLIA CAIROLI", "PIAZZALE COLLEGIO CAIROLI"])
>>> link_name(idx, "ASELLI", typed=False).key
'VIA GASPARE ASELLI'
>>> link_name(idx, "Corso Fratelli Cairoli").key
'CORSO FAMIGLIA CAIROLI'
>>> link_name(idx, "CAIROLI", typed=False, prefer_roads=False).status
'ambiguous'
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from fragmap.geocode.gazetteer import (
    _ROADS,
    AMBIGUITY_MARGIN,
    STREET_CUTOFF,
    SUBSET_SCORE,
    StreetIndex,
    name_score,
    split_key,
    type_penalty,
)
from fragmap.geocode.normalise import distinctive_tokens, fold, name_key, normalise_address

#: Statuses of a link, in the order the report lists them.
STATUSES = ("override", "matched", "ambiguous", "unmatched")
#: Columns of the link table (stored with the gazetteer, written to the coordinator's CSV).
LINK_COLUMNS = ("town", "source", "name", "typed", "status", "key", "score", "method", "candidates")
#: Columns of the alias (override) table a coordinator writes; ``nome_osm`` is any source's spelling.
ALIAS_COLUMNS = ("town", "nome_osm", "nome_anncsu")
#: One-word names of things, not streets, in bus-stop names ("FOSSARMATO Chiesa", "VIGENTINA Parco"):
#: never linked to a street that happens to carry the word ("VIALE DAMIANO CHIESA").
GENERIC_WORDS = frozenset(
    "CHIESA PARCO CIMITERO SCUOLE SCUOLA PARCHEGGIO STRADA PIAZZALE PIAZZA OSPEDALE POLICLINICO CAMPO "
    "GIARDINI QUESTURA TANGENZIALE CENTRO INGRESSO UNIVERSITA BIVIO CHIRURGIA PEDIATRIA".split()
)
#: Written in ``nome_anncsu`` to say a source name is not a street (a ward, a car park).
NOT_A_STREET = "-"


class Link(NamedTuple):
    """One source name linked (or not) to an official street key."""

    status: str
    key: str
    score: float
    method: str
    candidates: tuple[str, ...] = ()


def _typeless_candidates(index: StreetIndex, nk: str) -> list[tuple[float, str]]:
    """Official streets for a name typed WITHOUT a street type ("ASELLI", "STRADA NUOVA").

    Same name (100), same words (97), the typed words all in the official name (92,
    the surname), one slip (90); a small penalty for a type other than VIA, as
    :func:`fragmap.geocode.gazetteer.type_penalty` gives an address typed without one.
    """
    ta = distinctive_tokens(nk)
    pool: set[int] = set(index.by_name.get(nk, ()))
    for w in ta:
        pool.update(index.by_token.get(w, ()))
    pool.update(index._similar_names(nk, 80.0))
    out = []
    for i in pool:
        s = name_score(nk, index.names[i], typed_tokens=ta, candidate_tokens=index.tokens[i], subsets=True)
        if s >= STREET_CUTOFF:
            out.append((round(s - type_penalty(None, None, index.types[i]), 1), index.keys[i]))
    out.sort(key=lambda c: (-c[0], c[1]))
    return out


def link_name(index: StreetIndex, name: str, *, typed: bool = True, prefer_roads: bool = True) -> Link:
    """Link one source street name to an official street of the town indexed.

    Parameters
    ----------
    index : StreetIndex
        The town's official streets.
    name : str
        The name as the source writes it ("Corso Fratelli Cairoli", "ASELLI").
    typed : bool
        Whether the source writes a street type (OpenStreetMap does; the bus stops do not).
    prefer_roads : bool
        For a name without a type: when a road (via, corso, viale...) and squares tie,
        take the road (a bus stop named after a street stands on a road).

    Returns
    -------
    Link
    """
    p = normalise_address(name)
    nk = p.name_key or ""
    if not typed:
        # no street type in the source: "STRADA NUOVA" is the name of CORSO STRADA NUOVA,
        # "LUNGOTICINO VISCONTI" of VIALE LUNGOTICINO VISCONTI; the parsed type is a fallback
        whole = name_key(name)
        words = distinctive_tokens(whole)
        if not words or (len(words) == 1 and next(iter(words)) in GENERIC_WORDS):
            return Link("unmatched", "", 0.0, "parola generica")
        cands = _typeless_candidates(index, whole)
        if (not cands or cands[0][0] < STREET_CUTOFF) and nk and nk != whole:
            cands = _typeless_candidates(index, nk)
        return _decide(_with_initials(cands, name), "senza tipo", prefer_roads)
    if not nk:
        return Link("unmatched", "", 0.0, "")
    if p.street_type is not None:
        cands = [(c.score, c.key) for c in index.candidates(p.street_type, p.type_alias, nk)]
        method = "nome"
        if not cands or cands[0][0] < STREET_CUTOFF:
            # "CORSO FRATELLI CAIROLI" / "CORSO FAMIGLIA CAIROLI": same type, same surname,
            # and no other street of that type with that surname
            last = nk.split()[-1]
            same = [i for i in index.by_token.get(last, ()) if index.types[i] == p.street_type
                    and index.last[i] == last] if len(last) >= 4 else []
            if len(same) == 1:
                return Link("matched", index.keys[same[0]], SUBSET_SCORE - 2, "cognome")
    else:
        cands = _typeless_candidates(index, nk)
        method = "senza tipo"
    return _decide(cands, method, prefer_roads and not typed)


_INITIALS = re.compile(r"(?<![A-Za-z])([A-Za-z])\.")


def _with_initials(cands: list[tuple[float, str]], name: str) -> list[tuple[float, str]]:
    """Keep the candidates with a word for every dotted initial of the name ("E.TIBALDI": ETTORE TIBALDI).

    The name key cannot tell an initial "E." from the word "e" (and): the raw name can.
    When no candidate fits the initials, they are all kept.
    """
    initials = [c.upper() for c in _INITIALS.findall(name)]
    if not initials or len(cands) < 2:
        return cands
    def fits(key: str) -> bool:
        words = split_key(key)[1].split()[:-1]
        return all(any(w.startswith(c) for w in words) for c in initials)
    kept = [c for c in cands if fits(c[1])]
    return kept or cands


def _decide(cands: list[tuple[float, str]], method: str, prefer_roads: bool) -> Link:
    """Matched when one official street leads clearly; else ambiguous (ties) or unmatched."""
    if not cands or cands[0][0] < STREET_CUTOFF:
        return Link("unmatched", "", cands[0][0] if cands else 0.0, method, tuple(k for _, k in cands[:3]))
    best_score, best = cands[0]
    tied = [k for s, k in cands[1:] if s > best_score - AMBIGUITY_MARGIN]
    if tied and best_score < 100:
        group = [best, *tied]
        if prefer_roads:
            roads = [k for k in group if split_key(k)[0] in _ROADS]
            if len(roads) == 1:
                return Link("matched", roads[0], best_score, method + ", strada preferita a piazza", tuple(group))
        return Link("ambiguous", "", best_score, method, tuple(group))
    return Link("matched", best, best_score, method, tuple(k for _, k in cands[:3]))


def alias_keys(aliases: pd.DataFrame | None, official: pd.DataFrame) -> dict[tuple[str, str], str]:
    """``(town, folded source name) -> official key`` from a coordinator's alias table.

    ``nome_anncsu`` is an official name as ANNCSU writes it ("VIA GASPARE ASELLI") or as
    anyone would ("via Aselli Gaspare" is not accepted: it must name one official street
    exactly, after normalisation); :data:`NOT_A_STREET` marks a name that is no street
    (its points are dropped). Rows naming no official street are ignored (reported by
    :func:`reconcile`).
    """
    if aliases is None or not len(aliases):
        return {}
    keys = set(zip(official["town"], official["key"]))
    out: dict[tuple[str, str], str] = {}
    for town, src, target in aliases[list(ALIAS_COLUMNS)].astype(str).itertuples(index=False):
        t, s, g = town.strip().title(), fold(src), target.strip()
        if g == NOT_A_STREET:
            out[(t, s)] = NOT_A_STREET
            continue
        p = normalise_address(g)
        k = f"{p.street_type or 'VIA'} {p.name_key}" if p.name_key else ""
        if (t, k) in keys:
            out[(t, s)] = k
    return out


def reconcile(names: pd.DataFrame, official: pd.DataFrame, *, aliases: pd.DataFrame | None = None,
              index_by_town: dict[str, StreetIndex] | None = None) -> pd.DataFrame:
    """Link every distinct (town, source, name) to an official street, once.

    Parameters
    ----------
    names : DataFrame
        ``town, source, name, typed`` (``typed``: the source writes street types).
    official : DataFrame
        Official streets (:func:`fragmap.geocode.gazetteer.official_streets`).
    aliases : DataFrame, optional
        The coordinator's overrides (:data:`ALIAS_COLUMNS`), applied first.
    index_by_town : dict, optional
        Prebuilt indexes of the official streets (built here if not given).

    Returns
    -------
    DataFrame
        :data:`LINK_COLUMNS`, one row per distinct name, ordered by status then name.

    Examples
    --------
    >>> links = reconcile(names, official_streets(anncsu))          # doctest: +SKIP
    >>> links["status"].value_counts()                               # doctest: +SKIP
    """
    if index_by_town is None:
        index_by_town = {str(t): StreetIndex(g["key"].tolist()) for t, g in official.groupby("town")}
    overrides = alias_keys(aliases, official)
    rows = []
    uniq = names[["town", "source", "name", "typed"]].drop_duplicates(["town", "source", "name"])
    for town, source, name, typed in uniq.itertuples(index=False):
        over = overrides.get((str(town), fold(str(name))))
        if over is not None:
            link = Link("override", "" if over == NOT_A_STREET else over, 100.0, "tabella alias")
        elif str(town) not in index_by_town:
            link = Link("unmatched", "", 0.0, "comune senza stradario")
        else:
            link = link_name(index_by_town[str(town)], str(name), typed=bool(typed))
        rows.append((town, source, name, bool(typed), link.status, link.key, link.score, link.method,
                     " | ".join(link.candidates)))
    out = pd.DataFrame(rows, columns=list(LINK_COLUMNS))
    order = {s: i for i, s in enumerate(STATUSES)}
    out["_o"] = out["status"].map(order)
    return out.sort_values(["_o", "town", "source", "name"]).drop(columns="_o").reset_index(drop=True)


def link_summary(links: pd.DataFrame) -> dict[str, int]:
    """How many names per status (every status present, zero when none)."""
    counts = links["status"].value_counts() if len(links) else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in STATUSES}
