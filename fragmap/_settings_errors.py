"""Plain messages for a project file that pydantic refused (Italian, English with ``language="en"``).

:func:`explain` turns each error of a :class:`pydantic.ValidationError` into one line naming the
TOML key as the coordinator wrote it (``privacy.threshold``, ``[[towns]] n. 2``), the value found
and what is expected; an unknown key gets the closest known one as a suggestion.

Examples
--------
>>> import pydantic
>>> from fragmap.settings import Privacy
>>> try:
...     Privacy(threshold=2)
... except pydantic.ValidationError as exc:
...     print(explain(exc, Privacy, "it", prefix=("privacy",)))
privacy.threshold = 2: i conteggi sotto 3 possono identificare una persona (regola statistica italiana); usare 3 o più (predefinito 5)
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from pathlib import Path
from typing import Any

import pydantic

from fragmap.i18n import translate

#: Array tables of the project file (``[[towns]]``): their items are named by position.
ARRAYS = ("towns", "partners", "categories")

_TEXT: dict[str, dict[str, str]] = {
    "missing": {"it": "manca '{key}'", "en": "'{key}' is missing"},
    "unknown": {"it": "chiave sconosciuta '{key}'{close}; chiavi ammesse: {known}",
                "en": "unknown key '{key}'{close}; known keys: {known}"},
    "unknown_top": {"it": "sezione o chiave sconosciuta '{key}'{close}; ammesse: {known}",
                    "en": "unknown section or key '{key}'{close}; known: {known}"},
    "close": {"it": " (forse '{key}'?)", "en": " (did you mean '{key}'?)"},
    "bool": {"it": "deve essere true o false, senza virgolette", "en": "must be true or false, unquoted"},
    "int": {"it": "deve essere un numero intero", "en": "must be a whole number"},
    "float": {"it": "deve essere un numero", "en": "must be a number"},
    "finite": {"it": "deve essere un numero finito", "en": "must be a finite number"},
    "str": {"it": "deve essere un testo tra virgolette", "en": "must be text in quotes"},
    "path": {"it": "deve essere un percorso tra virgolette, es. \"data/file.csv\"",
             "en": "must be a path in quotes, e.g. \"data/file.csv\""},
    "list": {"it": "deve essere una lista tra parentesi quadre, es. [\"a\", \"b\"]",
             "en": "must be a list in square brackets, e.g. [\"a\", \"b\"]"},
    "blocks": {"it": "deve essere una lista di blocchi [[{key}]]", "en": "must be a list of [[{key}]] blocks"},
    "block": {"it": "deve essere un blocco [[{key}]] con le sue chiavi", "en": "must be a [[{key}]] block with its keys"},
    "table": {"it": "deve essere una tabella [{key}] con le sue chiavi", "en": "must be a [{key}] table with its keys"},
    "choice": {"it": "scegliere tra {expected}", "en": "choose one of {expected}"},
    "ge": {"it": "deve essere almeno {limit}", "en": "must be {limit} or more"},
    "gt": {"it": "deve essere maggiore di {limit}", "en": "must be more than {limit}"},
    "le": {"it": "deve essere al massimo {limit}", "en": "must be {limit} or less"},
    "lt": {"it": "deve essere minore di {limit}", "en": "must be less than {limit}"},
    "too_short": {"it": "non può essere vuota", "en": "must not be empty"},
    "pattern": {"it": "non ha la forma attesa", "en": "is not of the expected form"},
    "date": {"it": "non è una data nella forma AAAA-MM-GG, es. \"2024-01-01\"",
             "en": "is not a date like YYYY-MM-DD, e.g. \"2024-01-01\""},
    "item": {"it": "elemento n. {n}", "en": "item no. {n}"},
    "block_name": {"it": "[[{key}]] n. {n}", "en": "[[{key}]] no. {n}"},
    "many": {"it": "impostazioni non valide:", "en": "invalid settings:"},
}

#: What a key holds, added to "missing" and to a value of the wrong form (key path without positions).
_HINTS: dict[str, dict[str, str]] = {
    "towns.name": {"it": "il nome del comune, come nel file dei confini, es. \"Voghera\"",
                   "en": "the comune's name, as in the boundary file, e.g. \"Voghera\""},
    "towns.istat": {"it": "il codice ISTAT a 6 cifre, es. \"018182\"",
                    "en": "the 6-digit ISTAT code, e.g. \"018182\""},
    "towns.code": {"it": "solo lettere, cifre e _, es. \"VOG\"", "en": "letters, digits and _ only, e.g. \"VOG\""},
    "towns.cap": {"it": "i codici postali, es. [\"27058\"]", "en": "the postal codes, e.g. [\"27058\"]"},
    "partners.code": {"it": "il codice breve dell'associazione, es. \"auser\"",
                      "en": "the partner's short code, e.g. \"auser\""},
    "partners.name": {"it": "il nome dell'associazione, es. \"Auser\"", "en": "the partner's name, e.g. \"Auser\""},
    "categories.code": {"it": "il codice breve della categoria, es. \"anziani\"",
                        "en": "the category's short code, e.g. \"anziani\""},
    "categories.label_it": {"it": "il nome italiano della categoria, es. \"Anziani\"",
                            "en": "the category's Italian label, e.g. \"Anziani\""},
    "privacy.threshold": {
        "it": "i conteggi sotto 3 possono identificare una persona (regola statistica italiana); "
              "usare 3 o più (predefinito 5)",
        "en": "counts under 3 may identify a person (Italian statistical rule); use 3 or more (default 5)",
    },
}
#: Errors of a bound whose hint replaces the bare bound ("must be 3 or more").
_BOUND_HINTS = ("privacy.threshold",)

_KIND = {
    "bool_type": "bool", "bool_parsing": "bool",
    "int_type": "int", "int_parsing": "int", "int_from_float": "int",
    "float_type": "float", "float_parsing": "float", "finite_number": "finite",
    "string_type": "str", "path_type": "path", "is_instance_of": "path",
    "tuple_type": "list", "list_type": "list", "iterable_type": "list",
    "literal_error": "choice", "enum": "choice",
    "greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt",
    "too_short": "too_short", "string_pattern_mismatch": "pattern", "fragmap_date": "date",
}


def _t(message: str, language: str, /, **values: object) -> str:
    return translate(_TEXT, message, language, **values)


def _show(value: Any) -> str:
    """A value as TOML would write it, shortened."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bare(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` and ``X | None``."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and args:
        return _bare(args[0])
    return annotation


def _walk(schema: type, loc: tuple[Any, ...]) -> tuple[Any, type | None]:
    """The annotation at ``loc`` in the dataclass ``schema`` and the dataclass holding its last key."""
    current: Any = schema
    owner: type | None = None
    for part in loc:
        current = _bare(current)
        if isinstance(part, int):
            if typing.get_origin(current) is tuple:
                current = typing.get_args(current)[0]
            continue
        if not (isinstance(current, type) and dataclasses.is_dataclass(current)):
            return None, owner
        hints = typing.get_type_hints(current, include_extras=True)
        if part not in hints:
            return None, current
        owner, current = current, hints[part]
    return current, owner


def _name(loc: tuple[Any, ...], language: str) -> str:
    """A key path as the file writes it: ``("towns", 1, "cap", 0)`` -> ``[[towns]] n. 2, cap (elemento n. 1)``."""
    rest = list(loc)
    text = ""
    if len(rest) >= 2 and rest[0] in ARRAYS and isinstance(rest[1], int):
        text = _t("block_name", language, key=rest[0], n=rest[1] + 1)
        rest = rest[2:]
    keys = ".".join(str(p) for p in rest if not isinstance(p, int))
    text = f"{text}, {keys}" if text and keys else text or keys
    items = [p for p in rest if isinstance(p, int)]
    if items:
        text += f" ({_t('item', language, n=items[-1] + 1)})"
    return text


def _one(error: Any, schema: type, language: str, prefix: tuple[str, ...]) -> str:
    loc = prefix + tuple(p for p in error["loc"] if isinstance(p, int) or p.isidentifier())
    kind = error["type"]
    key = str(loc[-1]) if loc and not isinstance(loc[-1], int) else ""
    path = ".".join(str(p) for p in loc if not isinstance(p, int))
    hint = _HINTS.get(path, {}).get(language) or _HINTS.get(path, {}).get("it")
    if kind == "missing":
        parent = _name(loc[:-1], language)
        text = _t("missing", language, key=key) + (f" ({hint})" if hint else "")
        return f"{parent}: {text}" if parent else text
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        _, owner = _walk(schema, loc[len(prefix):])
        known = sorted(f.name for f in dataclasses.fields(owner)) if owner is not None else []
        owner_loc = loc[:-1]
        close = difflib.get_close_matches(key, known, n=1)
        suggestion = _t("close", language, key=close[0]) if close else ""
        which = "unknown_top" if len(loc) == 1 else "unknown"
        text = _t(which, language, key=key, close=suggestion, known=", ".join(known))
        parent = _name(owner_loc, language)
        return f"{parent}: {text}" if parent else text
    annotation, _ = _walk(schema, loc[len(prefix):])
    bare = _bare(annotation)
    head = f"{_name(loc, language)} = {_show(error.get('input'))}"
    if kind in ("dataclass_type", "dataclass_exact_type", "model_type", "dict_type"):
        block = loc[0] if loc else ""
        which = "block" if block in ARRAYS and len(loc) > 1 else "table"
        return f"{head}: {_t(which, language, key=block)}"
    if kind in ("tuple_type", "list_type") and typing.get_origin(bare) is tuple:
        item = _bare(typing.get_args(bare)[0])
        if isinstance(item, type) and dataclasses.is_dataclass(item):
            return f"{head}: {_t('blocks', language, key=key)}"
    what = _KIND.get(kind)
    if what == "str" and bare is Path:
        what = "path"
    if what is None:
        return f"{head}: {error['msg']}"
    ctx = error.get("ctx") or {}
    if what in ("ge", "gt", "le", "lt"):
        if path in _BOUND_HINTS and hint:
            return f"{head}: {hint}"
        limit = ctx.get(what, "")
        limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return f"{head}: {_t(what, language, limit=limit)}"
    text = _t(what, language, expected=str(ctx.get("expected", "")).replace(" or ", ", "))
    if what == "pattern" and hint:
        text = f"{text}: {hint}"
    return f"{head}: {text}"


def explain(exc: pydantic.ValidationError, schema: type, language: str = "it", *,
            prefix: tuple[str, ...] = ()) -> str:
    """One plain line per error of ``exc`` raised by the dataclass ``schema``.

    Parameters
    ----------
    exc : pydantic.ValidationError
        What pydantic refused.
    schema : type
        The pydantic dataclass validated (its fields give the known keys).
    language : str
        ``"it"`` (default) or ``"en"``.
    prefix : tuple of str
        Key path of ``schema`` in the project file (``("privacy",)`` for :class:`Privacy`).

    Returns
    -------
    str
        One line when there is one error, else a heading and a list.
    """
    language = language if language in ("it", "en") else "it"
    lines: list[str] = []
    seen: set[tuple[Any, ...]] = set()
    errors = sorted(exc.errors(), key=lambda e: e["type"] == "none_required")  # X | None: say X's error
    for error in errors:
        loc = tuple(p for p in error["loc"] if isinstance(p, int) or p.isidentifier())
        if loc in seen:
            continue
        seen.add(loc)
        lines.append(_one(error, schema, language, prefix))
    if len(lines) == 1:
        return lines[0]
    return _t("many", language) + "\n  - " + "\n  - ".join(lines)


def where(path: Path | str | None, message: str) -> str:
    """``message`` prefixed by the project file it is about."""
    return f"{path}: {message}" if path else message
