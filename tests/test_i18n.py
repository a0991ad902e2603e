"""One lookup for every message table (:func:`fragmap.i18n.translate`) and plurals that agree
with their count ("1 area unita", never "1 aree unite")."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string

import pytest

import fragmap
from fragmap.i18n import _PLURAL, plural, translate

TABLE = {
    "merged": {"it": "{n} {n|area unita|aree unite} alla vicina", "en": "{n} {n|area|areas} merged"},
    "top": {"it": "{k|il primo luogo|i primi {k} luoghi}", "en": "the top {k|site|{k} sites}"},
    "named": {"it": "manca '{key}' in {messages}"},
}


@pytest.mark.parametrize(("n", "it", "en"), [
    (1, "1 area unita alla vicina", "1 area merged"),
    (0, "0 aree unite alla vicina", "0 areas merged"),
    (3, "3 aree unite alla vicina", "3 areas merged"),
    ("1", "1 area unita alla vicina", "1 area merged"),          # a count already written as text
    ("1.234", "1.234 aree unite alla vicina", "1.234 areas merged"),
])
def test_the_plural_form_follows_the_count(n: object, it: str, en: str) -> None:
    assert translate(TABLE, "merged", "it", n=n) == it
    assert translate(TABLE, "merged", "en", n=n) == en


def test_a_form_may_hold_the_number_itself() -> None:
    assert translate(TABLE, "top", "it", k=1) == "il primo luogo"
    assert translate(TABLE, "top", "it", k=3) == "i primi 3 luoghi"
    assert translate(TABLE, "top", "en", k=3) == "the top 3 sites"


def test_values_may_be_called_key_or_messages() -> None:
    # the settings messages say which key is missing: a value named like a parameter
    assert translate(TABLE, "named", "en", key="towns", messages="x") == "manca 'towns' in x"


def test_plural_of_a_float_and_of_nonsense() -> None:
    assert plural(1.0, "a", "b") == "a" and plural(-1, "a", "b") == "a" and plural(1.5, "a", "b") == "b"
    assert plural(None, "a", "b") == "b"


def _message_tables() -> list[tuple[str, str, dict[str, dict[str, str]]]]:
    """Every module-level table ``key -> {"it": ..., "en": ...}`` of the package."""
    tables = []
    for info in pkgutil.walk_packages(fragmap.__path__, "fragmap."):
        if info.name.startswith("fragmap.desk.app"):
            continue  # the web app needs its optional extra; its messages live in desk.messages
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        for name, value in vars(module).items():
            if (isinstance(value, dict) and value and all(isinstance(v, dict) and "it" in v for v in value.values())
                    and all(isinstance(x, str) for v in value.values() for x in v.values())):
                tables.append((info.name, name, value))
    return tables


def test_every_plural_marker_in_the_package_formats_for_one_and_many() -> None:
    tables = _message_tables()
    assert len(tables) > 20  # the scan finds the module tables (it would pass vacuously otherwise)
    checked = 0
    for module, name, table in tables:
        for key, entry in table.items():
            for lang, text in entry.items():
                if not _PLURAL.search(text):
                    continue
                fields = {f for _, f, _, _ in string.Formatter().parse(_PLURAL.sub("", text)) if f}
                fields |= {m.group(1) for m in _PLURAL.finditer(text)}
                for n in (1, 2):
                    out = translate(table, key, lang, **dict.fromkeys(fields, n))
                    assert "|" not in out and "{" not in out, (module, name, key, lang, out)
                checked += 1
    assert checked >= 10


@pytest.mark.parametrize("word", ["aree", "righe", "quartieri", "segnalazioni", "luoghi", "punti", "elementi"])
def test_no_message_counts_n_with_a_fixed_italian_plural(word: str) -> None:
    """``{n} aree`` reads "1 aree" when n is 1: a counted noun goes through ``{n|...|...}``."""
    bad = re.compile(r"\{(n|rows|points|left)\} " + word + r"\b")
    found = [(m, name, key) for m, name, table in _message_tables() for key, entry in table.items()
             if bad.search(entry.get("it", ""))]
    assert not found
