"""The private ledger of what each publication released (for the attacker over time).

Every successful ``fragmap run`` adds the cells it published to
``<private folder>/pubblicazioni.csv``: which 12-month totals were shown (with the value
shown) and which were hidden, per month and publication. A value that the store no
longer gives (reports added or corrected since) marks an equation about data that no
longer exist: the attacker leaves it out. The privacy gate reads it back so that a cell hidden once stays hidden,
and so that its attacker (:mod:`fragmap.disclosure`) holds every figure an outsider who
kept the earlier publications holds.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # the ledger reads a publication's table; it needs the type only for hints
    from fragmap.publication import Publication

LEDGER_NAME = "pubblicazioni.csv"
COLUMNS = ("published_in", "level", "area_id", "category", "partner", "action", "month", "suppressed", "value")


def ledger_path(store: Path) -> Path:
    """The ledger beside the store (the private folder)."""
    return Path(store).parent / LEDGER_NAME


def read_released(path: str | Path) -> pd.DataFrame | None:
    """The ledger, or None when nothing was published yet.

    For each cell and month the latest publication's pattern (a cell shown in any
    publication is reported shown: the attacker holds it).
    """
    path = Path(path)
    if not path.is_file():
        return None
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "value" not in t.columns:
        t["value"] = ""
    missing = [c for c in COLUMNS if c not in t.columns]
    if missing:
        raise ValueError(f"{path}: ledger of publications lacks column(s) {', '.join(missing)}")
    t["suppressed"] = t["suppressed"].str.lower().isin(("true", "1"))
    key = ["level", "area_id", "category", "partner", "action", "month"]
    shown_once = t.groupby(key)["suppressed"].transform("min")  # False if ever shown
    t = t.assign(suppressed=shown_once).sort_values("published_in").drop_duplicates(key, keep="last")
    return t[list(COLUMNS)].reset_index(drop=True)


def released_cells(pub: Publication) -> pd.DataFrame:
    """The rows a publication adds to the ledger: its cells and the 12-month totals a year
    earlier that its shown year-on-year changes give back."""
    t = pub.table
    cells = t[["level", "area_id", "category", "partner", "action", "month", "suppressed", "value"]].copy()
    yoy = t[~t["suppressed"].astype(bool) & t["change_yoy"].notna()]
    base = yoy[["level", "area_id", "category", "partner", "action", "month"]].assign(
        suppressed=False, value=(yoy["value"] / (1 + yoy["change_yoy"])).round().to_numpy())
    base["month"] = [str(pd.Period(m, freq="M") - 12) for m in base["month"]]
    base = base[~base["month"].isin(set(t["month"]))]
    out = pd.concat([cells, base], ignore_index=True).assign(published_in=pub.month)
    out["value"] = [("" if pd.isna(v) else str(int(round(float(v))))) for v in out["value"]]
    out["suppressed"] = out["suppressed"].astype(bool)
    return out[list(COLUMNS)]


def record_released(path: str | Path, pub: Publication) -> Path:
    """Add ``pub``'s cells to the ledger (atomically); a publication of the same month again
    replaces its earlier rows only where it shows more (a cell shown once stays known)."""
    path = Path(path)
    rows = released_cells(pub)
    if path.is_file():
        old = pd.read_csv(path, dtype=str, keep_default_na=False)
        rows = pd.concat([old, rows.astype({"suppressed": str})], ignore_index=True)
    rows = rows.astype(str).drop_duplicates()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pubblicazioni-", suffix=".csv", dir=path.parent)
    os.close(fd)
    try:
        rows.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


__all__ = ["LEDGER_NAME", "ledger_path", "read_released", "record_released", "released_cells"]
