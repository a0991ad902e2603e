"""Address corrections: a coordinator's fix of a typed address, applied before geocoding.

A correction never edits the partner's file nor the store: it is kept apart (the desk keeps
them in its own table) and applied to the Reports table on the way to the geocoder, keyed by
the store's key ``(partner, report_id, month, source_file)``.
"""

from __future__ import annotations

import pandas as pd

#: The key a correction is matched on (the store's primary key).
CORRECTION_KEY = ("partner", "report_id", "month", "source_file")


def apply_address_corrections(reports: pd.DataFrame, corrections: pd.DataFrame | None) -> pd.DataFrame:
    """Replace ``address`` (and ``town`` when the correction gives one) of the corrected reports.

    Parameters
    ----------
    reports : DataFrame
        The Reports table (with the key columns, ``address`` and ``town``).
    corrections : DataFrame or None
        Columns ``partner, report_id, month, source_file, address`` and optionally ``town``
        (empty or missing: the report's own town is kept). None or empty: nothing changes.

    Returns
    -------
    DataFrame
        A copy of ``reports`` with the corrected addresses; rows without a correction are
        unchanged, corrections of reports not present are ignored.

    Examples
    --------
    >>> r = pd.DataFrame({"partner": ["a"], "report_id": ["1"], "month": ["2026-10"],
    ...                   "source_file": ["f.csv"], "address": ["via rma 3"], "town": ["Pavia"]})
    >>> c = pd.DataFrame({"partner": ["a"], "report_id": ["1"], "month": ["2026-10"],
    ...                   "source_file": ["f.csv"], "address": ["Via Roma 3"]})
    >>> apply_address_corrections(r, c)["address"].tolist()
    ['Via Roma 3']
    """
    if corrections is None or corrections.empty or reports.empty:
        return reports
    key = list(CORRECTION_KEY)
    fix = corrections.copy()
    if "town" not in fix:
        fix["town"] = None
    fix = fix[[*key, "address", "town"]].astype({k: str for k in key})
    fix = fix.drop_duplicates(key, keep="last").rename(columns={"address": "_address", "town": "_town"})
    left = reports[key].astype(str).reset_index(drop=True)
    joined = left.merge(fix, on=key, how="left")
    out = reports.copy()
    has = joined["_address"].notna().to_numpy()
    if not has.any():
        return out
    address = out["address"].astype(object).to_numpy(copy=True)
    address[has] = joined.loc[has, "_address"].to_numpy()
    out["address"] = pd.array(address, dtype=reports["address"].dtype if "address" in reports else object)
    town_given = has & joined["_town"].fillna("").astype(str).str.strip().ne("").to_numpy()
    if town_given.any() and "town" in out:
        town = out["town"].astype(object).to_numpy(copy=True)
        town[town_given] = joined.loc[town_given, "_town"].to_numpy()
        out["town"] = pd.array(town, dtype=reports["town"].dtype)
    return out
