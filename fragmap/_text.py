"""Small text helpers shared by several modules (one door for each rule)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def fold_name(text: str) -> str:
    """Lower-case ASCII letters and digits separated by single spaces, to compare names.

    Examples
    --------
    >>> fold_name("Cà de' Tedioli")
    'ca de tedioli'
    >>> fold_name("  Borgo-Ticino ")
    'borgo ticino'
    """
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


#: The keyboard slips :func:`typo` chooses from.
SLIPS = ("drop", "double", "swap", "vowel")


def typo(word: str, rng: np.random.Generator, slips: tuple[str, ...] = SLIPS) -> str:
    """One keyboard slip in a word of six letters or more, chosen evenly from ``slips``: a
    letter dropped, doubled, swapped with the next, or replaced by a vowel (shorter words are
    returned as they are).

    Makes synthetic and test addresses look typed by hand (the demo, the geocoder's
    evaluation, the tests).

    Examples
    --------
    >>> import numpy as np
    >>> typo("MAZZINI", np.random.default_rng(0), slips=("drop",))
    'MAZZNI'
    >>> typo("PO", np.random.default_rng(0))
    'PO'
    """
    if len(word) < 6:
        return word
    i = int(rng.integers(1, len(word) - 2))
    slip = slips[int(rng.random() * len(slips))]
    if slip == "drop":
        return word[:i] + word[i + 1:]
    if slip == "double":
        return word[:i] + word[i] + word[i:]
    if slip == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + "aeiou"[int(rng.integers(5))] + word[i + 1:]
