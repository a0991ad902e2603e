"""User-facing text: translation tables and locale-aware formatting (Babel).

Italian is the default, English is available. Each module keeps its own
message table (a dict ``key -> {"it": ..., "en": ...}``) next to the code that
uses it and calls :func:`translate` (the one lookup: a module's ``_t`` is a
one-line shortcut to it); the shared labels live in :data:`COMMON`.

A message that counts writes its plural as ``{n|one|many}``: the form is chosen
by the value of ``n`` (:func:`plural`), so ``"{n} {n|area unita|aree unite}"``
reads "1 area unita" and "3 aree unite".

Examples
--------
>>> format_number(1234.5, "it", decimals=1)
'1.234,5'
>>> format_month("2026-10", "it")
'ottobre 2026'
>>> translate(COMMON, "synthetic", "en")
'synthetic demo data'
>>> translate({"merged": {"it": "{n} {n|area unita|aree unite}"}}, "merged", "it", n=1)
'1 area unita'
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent

LOCALES = {"it": "it_IT", "en": "en_GB"}

Messages = Mapping[str, Mapping[str, str]]

COMMON: dict[str, dict[str, str]] = {
    "synthetic": {"it": "dati dimostrativi sintetici", "en": "synthetic demo data"},
    "synthetic_banner": {
        "it": "Dati dimostrativi sintetici: nessuna segnalazione reale.",
        "en": "Synthetic demo data: no real report.",
    },
    "not_available": {"it": "n.d.", "en": "n/a"},
    "suppressed": {"it": "< {threshold}", "en": "< {threshold}"},
    "total": {"it": "Totale", "en": "Total"},
    "reports": {"it": "segnalazioni", "en": "reports"},
    "rate_per_1000": {"it": "per 1.000 residenti", "en": "per 1,000 residents"},
    "quarter": {"it": "Quartiere", "en": "Quarter"},
    "town": {"it": "Comune", "en": "Town"},
    "month": {"it": "Mese", "en": "Month"},
    "last_12_months": {"it": "ultimi 12 mesi", "en": "last 12 months"},
    "sources": {"it": "Fonti", "en": "Sources"},
    "hex_grid_note": {
        "it": "Aree: griglia esagonale regolare, non quartieri ufficiali.",
        "en": "Areas: regular hexagon grid, not official quarters.",
    },
    "landmarks_note": {
        "it": "Quartieri con confini approssimativi, tracciati attorno a punti di riferimento: non ufficiali.",
        "en": "Quarters with approximate boundaries, drawn around landmarks: not official.",
    },
    "streets_note": {
        "it": "Aree ricostruite dallo stradario, confini indicativi e non ufficiali.",
        "en": "Areas rebuilt from a street list: indicative, not official boundaries.",
    },
    "population_estimated": {
        "it": "Popolazione stimata (non ufficiale)",
        "en": "Estimated population (not official)",
    },
    "privacy_note": {
        "it": "Valori inferiori a {threshold} oscurati, insieme a quelli che permetterebbero "
        "di ricalcolarli.",
        "en": "Counts under {threshold} are hidden, together with those that would let "
        "a reader compute them back.",
    },
}


def translate(messages: Messages, key: str, /, language: str = "it", **values: object) -> str:
    """The message ``key`` in ``language`` (Italian if missing), formatted with ``values``.

    Raises
    ------
    KeyError
        If the key is unknown: a missing translation is a bug, not a silent English fallback.
    """
    entry = messages[key]
    text = entry.get(language) or entry["it"]
    if not values:
        return text
    if "|" in text:
        text = _PLURAL.sub(lambda m: plural(values[m.group(1)], m.group(2), m.group(3)), text)
    return text.format(**values)


#: ``{name|one|many}`` in a message: the singular or plural form, by the value of ``name``
#: (the forms may hold plain ``{fields}``).
_PLURAL = re.compile(r"\{(\w+)\|((?:[^{}|]|\{\w+\})*)\|((?:[^{}|]|\{\w+\})*)\}")


def plural(n: object, one: str, many: str) -> str:
    """``one`` when ``n`` is 1 (a number, or a number already written as text), else ``many``.

    Italian and English both use the plural for 0 ("0 aree", "0 areas").

    Examples
    --------
    >>> plural(1, "area", "aree"), plural(0, "area", "aree"), plural("1.234", "area", "aree")
    ('area', 'aree', 'aree')
    """
    if isinstance(n, str):
        return one if n.strip() == "1" else many
    try:
        return one if abs(float(n)) == 1 else many  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return many


def t(key: str, /, language: str = "it", **values: object) -> str:
    """Shortcut for :func:`translate` on :data:`COMMON`."""
    return translate(COMMON, key, language, **values)


def format_number(value: float | int | None, language: str = "it", decimals: int = 0) -> str:
    """A number in the language's format (``1.234,5`` in Italian); ``n.d.`` for None/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("not_available", language)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return _format_integer(int(value), language, decimals)  # counts repeat: cached
    pattern, locale = _decimal_format(language, decimals)
    return pattern.apply(value, locale)


@functools.lru_cache(maxsize=1 << 14)
def _format_integer(value: int, language: str, decimals: int) -> str:
    pattern, locale = _decimal_format(language, decimals)
    return pattern.apply(value, locale)


@functools.lru_cache(maxsize=16)
def _decimal_format(language: str, decimals: int) -> tuple[Any, Any]:
    """Babel's parsed pattern and locale for :func:`format_number` (parsed once, not per number)."""
    from babel import Locale
    from babel.numbers import parse_pattern

    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return parse_pattern(fmt), Locale.parse(LOCALES[language])


def format_share(value: float | None, language: str = "it", decimals: int = 0) -> str:
    """A share 0-1 as a percentage (``12%``); ``n.d.`` for None/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("not_available", language)
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return format_percent(value, format=fmt, locale=LOCALES[language])


def format_month(month: str, language: str = "it", *, short: bool = False) -> str:
    """``"2026-10"`` -> ``"ottobre 2026"`` (``"ott 2026"`` when short)."""
    year, mon = (int(x) for x in month.split("-"))
    pattern = "LLL yyyy" if short else "LLLL yyyy"
    return format_date(_dt.date(year, mon, 1), pattern, locale=LOCALES[language])


def format_period(end: str, months: int = 12, language: str = "it") -> str:
    """The ``months`` months ending at ``end``, for titles: ``"nov 2025 - ott 2026"``.

    A single month is written once (``"ott 2026"``).

    Examples
    --------
    >>> format_period("2026-10", 12, "it")
    'nov 2025 - ott 2026'
    >>> format_period("2026-10", 1, "en")
    'Oct 2026'
    """
    year, mon = (int(x) for x in end.split("-"))
    index = year * 12 + mon - 1 - (max(int(months), 1) - 1)
    first = f"{index // 12:04d}-{index % 12 + 1:02d}"
    last = format_month(end, language, short=True)
    return last if first == end else f"{format_month(first, language, short=True)} - {last}"


def format_count(
    value: float | None, suppressed: bool, threshold: int, language: str = "it"
) -> str:
    """A published count: the number, ``< N`` when suppressed, ``n.d.`` when absent."""
    if suppressed:
        return t("suppressed", language, threshold=threshold)
    return format_number(value, language)
