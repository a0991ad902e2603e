"""Published names followed by a figure: not a report address (used by the privacy audit).

The audit (:func:`fragmap.privacy.audit_text`) looks for report addresses as folded phrases
(:func:`fragmap._text.fold_name`), so ``"I Cortili - Via del Popolo: 7,2"`` (an area's name,
built from OpenStreetMap streets and landmarks by :mod:`fragmap.naming`, and its rate in the
title of a chart tile) folds to ``"i cortili via del popolo 7 2"`` and contains the address
``"via del popolo 7"``. Such an occurrence is a published name and a figure, not an address,
when ALL of these hold:

* the words before the number are the end of a name published by design (an area's or a
  town's name, :attr:`fragmap.privacy.PrivateFingerprint.public_names`), the whole name
  being in the text and covering the whole street part of the address;
* in the raw text, the name and the number are separated by a label sign (``:`` or ``=``,
  spaces around), never by what separates a street from its house number (a space, a comma,
  ``n.``).

Anything else is still a finding: the same address after a street that names no area, after
an area's name with a space or a comma, or written on its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

#: What may separate a published name from a figure printed after it (a label).
LABEL_GAP = re.compile(r"[^\S\n]*[:=][^\S\n]*")
_ASCII_WORD = re.compile(r"[a-z0-9]+", re.I)
_TOKEN = re.compile(r"[A-Za-z0-9]+|[^\x00-\x7f]")


def raw_words(text: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``fold_name(text)`` with their start and end offsets in ``text``.

    Characters that fold to nothing (an apostrophe ``’``, a combining accent) join the
    characters around them, as in :func:`fragmap._text.fold_name`.
    """
    if text.isascii():
        ms = list(_ASCII_WORD.finditer(text))
        return [m.group().lower() for m in ms], [m.start() for m in ms], [m.end() for m in ms]
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cur: list[str] = []
    start = last = at = 0
    # runs of ASCII letters and digits, and single non-ASCII characters (folded one by one);
    # an ASCII character between two tokens ends a word
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if m.start() != at and cur:
            words.append("".join(cur))
            starts.append(start)
            ends.append(last)
            cur = []
        at = m.end()
        if tok.isascii():
            if not cur:
                start = m.start()
            cur.append(tok.lower())
            last = at
            continue
        for ch in unicodedata.normalize("NFKD", tok).encode("ascii", "ignore").decode().lower():
            if ("a" <= ch <= "z") or ("0" <= ch <= "9"):
                if not cur:
                    start = m.start()
                cur.append(ch)
                last = at
            elif cur:
                words.append("".join(cur))
                starts.append(start)
                ends.append(last)
                cur = []
    if cur:
        words.append("".join(cur))
        starts.append(start)
        ends.append(last)
    return words, starts, ends


def named_figure_check(text: str, words: list[str], names: Iterable[str]) -> Callable[[Sequence[str], int], bool]:
    """A test ``(phrase words, start index in words) -> True`` for an occurrence of an address
    in ``words`` (the folded words of ``text``) that is a published name and a figure.

    ``names`` are folded published names. The raw offsets are computed at the first call
    only (most texts have no address-like phrase at all); if they do not line up with
    ``words`` the test answers False (the finding stays).
    """
    by_last: dict[str, list[list[str]]] = {}
    for n in names:
        parts = n.split(" ")
        if n and all(parts):
            by_last.setdefault(parts[-1], []).append(parts)
    cache: dict[str, tuple[list[int], list[int]] | None] = {}

    def offsets() -> tuple[list[int], list[int]] | None:
        if "o" not in cache:
            w, s, e = raw_words(text)
            cache["o"] = (s, e) if w == words else None
        return cache["o"]

    def check(parts: Sequence[str], start: int) -> bool:
        k = len(parts)
        while k and parts[k - 1].isdigit():
            k -= 1
        if k == 0 or k == len(parts) or parts[k - 1] not in by_last:
            return False
        end = start + k  # the first number's word
        for name in by_last[parts[k - 1]]:
            m = len(name)
            first = end - m
            if m < k or first < 0 or words[first:end] != name:
                continue
            o = offsets()
            if o is None:
                return False
            if LABEL_GAP.fullmatch(text[o[1][end - 1]:o[0][end]]):
                return True
        return False

    return check
