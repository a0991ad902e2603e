"""Write the two shipped landmark tables from data/reference/quartieri_punti_riferimento_pavia_vigevano.csv.

- ``quartieri_tabella_pavia_vigevano.csv``: one row per quartiere, rione, frazione or località
  with a point (its lat/lon) or an address the offline gazetteer places on a street;
- ``quartieri_macro_pavia_vigevano.csv``: Pavia's five macro-quartieri of the 2025-26
  neighbourhood committees, each with its seat and the rioni it holds (as the sources say,
  or inferred from where they lie: the ``nota`` column says which), and Vigevano as above.

Both are ``town;quartiere;punto di riferimento;nota`` tables for ``fragmap quarters from-landmarks``
or ``[quarters] landmarks``. Run from the repository root:

    python scripts/make_landmark_tables.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

REF = Path(__file__).resolve().parent.parent / "data" / "reference"
SOURCE = REF / "quartieri_punti_riferimento_pavia_vigevano.csv"
#: Landmarks without a point whose address the offline gazetteer places on a street.
ADDRESS_OK = {("Pavia", "Pavia Storica"): "Via dei Mille"}
#: Pavia's macro-quartieri and their members. "fonte" = the source names it, else inferred from position.
MACRO = {
    "Pavia Storica": [("Centro storico", "fonte"), ("Borgo Ticino", "fonte")],
    "Pavia Est": [("San Pietro in Verzolo", "inferito"), ("Montebolone", "inferito"), ("Albertario", "inferito"),
                  ("Fossarmato", "inferito")],
    "Pavia Nord Est": [("Vallone", "fonte (per deduzione: Spazio Q in piazzale Torino)"),
                       ("Ca' della Terra", "inferito")],
    "Pavia Nord": [("Città Giardino", "inferito"), ("Scala (Rione Scala)", "inferito"), ("Mirabello", "inferito"),
                   ("Pantaleona", "inferito")],
    "Pavia Ovest": [("Ponte di Pietra", "fonte"), ("Pelizza", "fonte"), ("San Lanfranco", "fonte"),
                    ("Arsenale", "fonte"), ("Chiozzo", "fonte"), ("Cassinino", "fonte"), ("Cravino", "inferito"),
                    ("Colombarone (Pavia)", "inferito"), ("Sora", "inferito"), ("Molinazzo", "inferito"),
                    ("Villalunga", "inferito"), ("Cittadella", "inferito"), ("Montebellino", "inferito")],
}
HEADER = ["town", "quartiere", "punto di riferimento", "nota"]


def _landmark(row: pd.Series) -> str | None:
    if row["lat"] and row["lon"]:
        return f"{float(row['lat']):.6f}, {float(row['lon']):.6f}"
    street = ADDRESS_OK.get((row["town"], row["quartiere"]))
    return f"{street}, {row['town']}" if street else None


def main() -> None:
    src = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)
    macro = src["note"].str.match(r"\s*(one of the \d+ )?macro-?quartier", case=False)
    by_name = {(r["town"], r["quartiere"]): r for _, r in src.iterrows()}
    whole, skipped = [], []
    for _, r in src[~macro].iterrows():
        lm = _landmark(r)
        if lm is None:
            skipped.append(f"{r['quartiere']} ({r['town']})")
            continue
        whole.append([r["town"], r["quartiere"], lm, f"{r['kind']}; {r['landmark'][:80]}"])
    rows = []
    for name, members in MACRO.items():
        seat = by_name[("Pavia", name)]
        lm = _landmark(seat)
        if lm is not None:
            rows.append(["Pavia", name, lm, "sede del comitato di quartiere"])
        for member, how in members:
            r = by_name[("Pavia", member)]
            rows.append(["Pavia", name, _landmark(r), f"{member}: {how}"])
    rows += [w for w in whole if w[0] == "Vigevano"]
    for name, table in (("quartieri_tabella_pavia_vigevano.csv", whole), ("quartieri_macro_pavia_vigevano.csv", rows)):
        with open(REF / name, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter=";", lineterminator="\n")
            w.writerow(HEADER)
            w.writerows(table)
        print(f"{name}: {len(table)} rows")
    print("left out (no point and no address placed offline):", ", ".join(skipped))


if __name__ == "__main__":
    main()
