"""Small text helpers shared by several modules (one door for each rule)."""

from __future__ import annotations

import re
import unicodedata


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
