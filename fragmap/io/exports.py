"""Downloads planners share: a publication as CSV, Excel and GeoPackage, and reading them back.

Everything written here comes from a :class:`~fragmap.publication.Publication` (already
suppressed): a hidden count is written as text, ``"< 5"`` (under the threshold) or
``"n.d."`` (hidden to protect another figure), never as a number. Every file carries the
period, the units, the notes and the credits. Text that a spreadsheet could run as a formula
is neutralised (:func:`fragmap.io.tables.neutralise_formulas`).

:func:`read_tables` reads an XLSX or GPKG back as plain tables so that the privacy audit
(:func:`fragmap.privacy.audit_folder`) checks them like a CSV.

Examples
--------
>>> pub = Project.load().publication("2026-10")     # doctest: +SKIP
>>> pub.to_excel("rete_fragilita_2026-10.xlsx")      # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fragmap.change import ALPHA, MIN_BASE, NOT_COMPUTABLE, status_label
from fragmap.classify import shown_rates
from fragmap.i18n import format_month, format_number, t, translate
from fragmap.io.tables import neutralise_formulas
from fragmap._keys import ALL_ACTIONS, ALL_PARTNERS, NETWORK, TOTAL, UNASSIGNED

if TYPE_CHECKING:
    from fragmap.publication import Publication

#: Column names of the long table, per language.
_COLUMNS: dict[str, dict[str, str]] = {
    "area_id": {"it": "codice", "en": "area_id"},
    "name": {"it": "area", "en": "area"},
    "town": {"it": "comune", "en": "town"},
    "level": {"it": "livello", "en": "level"},
    "month": {"it": "mese", "en": "month"},
    "period": {"it": "periodo", "en": "period"},
    "category": {"it": "categoria", "en": "category"},
    "partner": {"it": "associazione", "en": "partner"},
    "action": {"it": "azione", "en": "action"},
    "value": {"it": "segnalazioni", "en": "reports"},
    "rate": {"it": "tasso per 1.000", "en": "rate per 1,000"},
    "unit": {"it": "unità del tasso", "en": "rate unit"},
    "value_prev": {"it": "segnalazioni un anno prima", "en": "reports a year before"},
    "change": {"it": "variazione annua %", "en": "year-on-year change %"},
    "status": {"it": "andamento annuo", "en": "year-on-year trend"},
    "share": {"it": "quota del comune %", "en": "share of the town %"},
    "note": {"it": "nota", "en": "note"},
}
_TEXT: dict[str, dict[str, str]] = {
    "quarter": {"it": "area", "en": "area"},
    "town": {"it": "comune", "en": "town"},
    "network": {"it": "rete", "en": "network"},
    UNASSIGNED: {"it": "in nessuna area", "en": "in no area"},
    "all_partners": {"it": "tutte", "en": "all"},
    "all_actions": {"it": "tutte", "en": "all"},
    "total": {"it": "Totale", "en": "Total"},
    "network_name": {"it": "Rete", "en": "Network"},
    "no_town": {"it": "senza comune noto", "en": "no known town"},
    "per_all": {"it": "per 1.000 residenti", "en": "per 1,000 residents"},
    "per_pop_65": {"it": "per 1.000 residenti di 65 anni e più", "en": "per 1,000 residents aged 65+"},
    "primary": {"it": "meno di {threshold} segnalazioni: nascosto per proteggere le persone",
                "en": "fewer than {threshold} reports: hidden to protect people"},
    "other": {"it": "nascosto per non permettere di ricalcolare un dato piccolo",
              "en": "hidden so that a small count cannot be computed back"},
    "history": {"it": "nascosto: i dati dell'associazione non coprono ancora 12 mesi",
                "en": "hidden: the partner's data do not cover 12 months yet"},
    "notes_title": {"it": "Note", "en": "Notes"},
    "period_line": {"it": "Periodo: {period} (totali mobili di 12 mesi che terminano nel mese indicato)",
                    "en": "Period: {period} (rolling 12-month totals ending in the month shown)"},
    "threshold_line": {"it": "«< {threshold}»: meno di {threshold} segnalazioni, nascosto per proteggere le "
                             "persone. «n.d.»: nascosto per non permettere di ricalcolare un dato piccolo.",
                       "en": "'< {threshold}': fewer than {threshold} reports, hidden to protect people. "
                             "'n/a': hidden so that a small count cannot be computed back."},
    "units_line": {"it": "Tassi per 1.000 residenti; per la categoria {cats}: per 1.000 residenti di 65 anni e più.",
                   "en": "Rates per 1,000 residents; for {cats}: per 1,000 residents aged 65+."},
    "units_all": {"it": "Tassi per 1.000 residenti.", "en": "Rates per 1,000 residents."},
    "change_line": {"it": "Variazione annua: totale di 12 mesi rispetto a quello che termina nello stesso mese un anno "
                          "prima (colonna «segnalazioni un anno prima», nascosta come ogni conteggio). «aumento» o "
                          "«calo» solo se significativa (test esatto di Poisson, p < {alpha}, almeno {base} "
                          "segnalazioni un anno prima); «non calcolabile»: un dato è nascosto, zero o assente.",
                    "en": "Year-on-year change: 12-month total against the one ending in the same month a year "
                          "before (column 'reports a year before', hidden like every count). 'rise' or 'fall' only "
                          "when significant (exact Poisson test, p < {alpha}, at least {base} reports a year "
                          "before); 'not computable': a figure is hidden, zero or missing."},
    "synthetic": {"it": "DATI SINTETICI DI PROVA: non descrivono persone reali.",
                  "en": "SYNTHETIC TEST DATA: they describe no real person."},
    "credits": {"it": "Fonti e licenze", "en": "Sources and licences"},
    "estimated": {"it": "popolazione stimata", "en": "estimated population"},
    "yes": {"it": "sì", "en": "yes"},
    "no": {"it": "no", "en": "no"},
}


def _t(key: str, lang: str, /, **values: Any) -> str:
    return translate(_TEXT, key, lang, **values)


def _col(key: str, lang: str) -> str:
    return translate(_COLUMNS, key, lang)


def period_text(month: str, language: str = "it", window: int = 12) -> str:
    """``"nov 2025 - ott 2026"``: the months a ``window``-month total ending at ``month`` covers."""
    first = str(pd.Period(month, freq="M") - (window - 1))
    return f"{format_month(first, language, short=True)} - {format_month(month, language, short=True)}"


def _hidden_text(reason: str, threshold: int, lang: str) -> str:
    return t("suppressed", lang, threshold=threshold) if reason == "primary" else t("not_available", lang)


def export_table(pub: Publication, *, month: str | None = None, language: str | None = None) -> pd.DataFrame:
    """The published cells as a table people read: names, period, units, hidden counts as text.

    Parameters
    ----------
    pub : Publication
        Suppressed figures.
    month : str, optional
        Only this month (``YYYY-MM``); default every month of the publication.
    language : str, optional
        ``"it"`` or ``"en"``; default the publication's.

    Returns
    -------
    DataFrame
        One row per published cell. The count column holds a whole number, or the text
        ``"< 5"`` / ``"n.d."`` where it is hidden; rates, change and share are empty there.
    """
    lang = language or pub.language
    tb = pub.table if month is None else pub.table[pub.table["month"] == month]
    names = dict(zip(pub.areas["area_id"], pub.areas["name"].astype(str)))
    towns = dict(zip(pub.areas["area_id"], pub.areas["town"].astype(str)))

    def area_name(aid: str, level: str) -> str:
        if level == "network":
            return pub.whole or _t("network_name", lang)
        if level == UNASSIGNED:
            town = aid.split(":", 1)[1]
            return f"{_t('no_town', lang) if town == NETWORK else town}: {_t(UNASSIGNED, lang)}"
        return names.get(aid, aid)

    def town_of(aid: str, level: str) -> str:
        if level == UNASSIGNED:
            town = aid.split(":", 1)[1]
            return "" if town == NETWORK else town
        return "" if level == "network" else towns.get(aid, aid)

    hidden = tb["suppressed"].astype(bool).to_numpy()
    counts: list[Any] = [
        _hidden_text(str(r), pub.threshold, lang) if h else int(v)
        for v, h, r in zip(tb["value"], hidden, tb["reason"])
    ]
    notes = [
        "" if not h else (_t("primary", lang, threshold=pub.threshold) if r == "primary"
                          else _t("history", lang) if r == "history" else _t("other", lang))
        for h, r in zip(hidden, tb["reason"])
    ]
    unit = [_t("per_pop_65" if c != TOTAL and pub.denominator(c) == "pop_65" else "per_all", lang)
            for c in tb["category"]]
    out = pd.DataFrame({
        _col("area_id", lang): tb["area_id"].to_numpy(),
        _col("name", lang): [area_name(a, lv) for a, lv in zip(tb["area_id"], tb["level"])],
        _col("town", lang): [town_of(a, lv) for a, lv in zip(tb["area_id"], tb["level"])],
        _col("level", lang): [_t(lv, lang) for lv in tb["level"]],
        _col("month", lang): tb["month"].to_numpy(),
        _col("period", lang): [period_text(m, lang, int(w)) for m, w in zip(tb["month"], tb["window"])],
        _col("category", lang): [_t("total", lang) if c == TOTAL else pub.labels.get(c, c) for c in tb["category"]],
        _col("partner", lang): [_t("all_partners", lang) if p == ALL_PARTNERS else pub.labels.get(p, p)
                                for p in tb["partner"]],
        _col("action", lang): [_t("all_actions", lang) if a == ALL_ACTIONS else a for a in tb["action"]],
        _col("value", lang): pd.Series(counts, dtype=object).to_numpy(),
        _col("rate", lang): shown_rates(tb["rate_per_1000"]),  # as the map and the atlas print it
        _col("unit", lang): unit,
        _col("value_prev", lang): pd.Series([None if np.isnan(v) else int(v) for v in tb["value_prev"].astype(float)],
                                            dtype=object).to_numpy(),
        _col("change", lang): (tb["change_yoy"].astype(float) * 100).round(0).to_numpy(),
        _col("status", lang): [status_label(str(x), lang) for x in tb["change_status"]],
        _col("share", lang): (tb["share_of_town"].astype(float) * 100).round(1).to_numpy(),
        _col("note", lang): notes,
    })
    return out.reset_index(drop=True)


def notes_table(pub: Publication, *, language: str | None = None) -> pd.DataFrame:
    """Period, meaning of the hidden values, units, the publication's notes and the credits."""
    lang = language or pub.language
    old = [pub.labels.get(c, c) for c in pub.denominators if pub.denominator(c) == "pop_65"]
    lines = []
    if pub.synthetic:
        lines.append(_t("synthetic", lang))
    lines += [
        _t("period_line", lang, period=period_text(pub.month, lang)),
        _t("threshold_line", lang, threshold=pub.threshold),
        _t("units_line", lang, cats=", ".join(old)) if old else _t("units_all", lang),
        _t("change_line", lang, alpha=str(ALPHA).replace(".", "," if lang == "it" else "."), base=MIN_BASE),
        *dict.fromkeys(pub.notes),
        *[f"{_t('credits', lang)}: {a}" for a in dict.fromkeys(pub.attributions)],
    ]
    return pd.DataFrame({_t("notes_title", lang): lines})


#: Column names of the residents-based coverage table, per language ({m}: the minutes).
_RESIDENT_COLUMNS: dict[str, dict[str, str]] = {
    "pop_65": {"it": "residenti 65+", "en": "residents 65+"},
    "population": {"it": "residenti", "en": "residents"},
    "within": {"it": "entro {m} min", "en": "within {m} min"},
    "beyond": {"it": "oltre {m} min", "en": "beyond {m} min"},
    "share_beyond": {"it": "quota oltre %", "en": "share beyond %"},
    "minutes": {"it": "minuti", "en": "minutes"},
    "speed_ms": {"it": "velocità m/s", "en": "speed m/s"},
    "services": {"it": "servizi", "en": "services"},
    "distribution": {"it": "distribuzione dei residenti", "en": "where residents live"},
    "method": {"it": "metodo", "en": "method"},
    "estimated": {"it": "popolazione stimata", "en": "estimated population"},
    "hidden": {"it": "n.d.: area con troppo pochi residenti per una stima", "en": "n/a: too few residents for an estimate"},
    "sheet": {"it": "residenti", "en": "residents"},
}


def resident_table(pub: Publication, *, language: str | None = None) -> pd.DataFrame | None:
    """Residents-based coverage (``pub.extras["resident_coverage"]``) as a table people read, or None.

    Residents are rounded estimates (:func:`fragmap.privacy.publish_resident_coverage`); the
    columns name the time limit, the speed, the services and how residents were spread.
    """
    table = pub.extras.get("resident_coverage")
    if table is None or not len(table):
        return None
    lang = language or pub.language

    def col(key: str, **v: Any) -> str:
        return translate(_RESIDENT_COLUMNS, key, lang, **v)

    m = format_number(float(table["minutes"].iloc[0]), lang, 0)
    who = str(table["population"].iloc[0])
    hidden = table["suppressed"].astype(bool).to_numpy() if "suppressed" in table else np.zeros(len(table), bool)
    names = [pub.whole or _t("network_name", lang) if lv == "network" else n
             for n, lv in zip(table["name"].astype(str), table["level"])]
    out = pd.DataFrame({
        _col("area_id", lang): table["area_id"].to_numpy(),
        _col("name", lang): names,
        _col("town", lang): table["town"].astype(str).to_numpy(),
        _col("level", lang): [_t(lv, lang) for lv in table["level"]],
        col("pop_65" if who == "pop_65" else "population"): table["residents"].astype(float).to_numpy(),
        col("within", m=m): table["within"].astype(float).to_numpy(),
        col("beyond", m=m): table["beyond"].astype(float).to_numpy(),
        col("share_beyond"): (table["share_beyond"].astype(float) * 100).round(0).to_numpy(),
        col("minutes"): table["minutes"].astype(float).to_numpy(),
        col("speed_ms"): table["speed_ms"].astype(float).to_numpy(),
        col("services"): table["services"].astype(str).to_numpy(),
        col("distribution"): table["distribution"].astype(str).to_numpy(),
        col("method"): table["method"].astype(str).to_numpy(),
        col("estimated"): [_t("yes" if e else "no", lang) for e in table["population_estimated"].astype(bool)],
        _col("note", lang): [col("hidden") if h else "" for h in hidden],
    })
    return out.reset_index(drop=True)


def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    return neutralise_formulas(frame)


def write_csv(pub: Publication, path: str | Path, *, month: str | None = None, language: str | None = None) -> Path:
    """The long table as CSV (``;`` and decimal comma in Italian, UTF-8 with BOM for Excel); the
    notes (period, hidden values, units, credits) go in ``<name>_note.csv`` beside it, and the
    residents-based coverage, when the publication carries it, in ``<name>_residenti.csv``."""
    lang = language or pub.language
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sep, dec = (";", ",") if lang == "it" else (",", ".")
    _spreadsheet_safe(export_table(pub, month=month, language=lang)).to_csv(
        path, sep=sep, decimal=dec, index=False, encoding="utf-8-sig")
    _spreadsheet_safe(notes_table(pub, language=lang)).to_csv(
        path.with_name(path.stem + "_note.csv"), sep=sep, index=False, encoding="utf-8-sig")
    residents = resident_table(pub, language=lang)
    if residents is not None:
        _spreadsheet_safe(residents).to_csv(path.with_name(f"{path.stem}_{translate(_RESIDENT_COLUMNS, 'sheet', lang)}.csv"),
                                            sep=sep, decimal=dec, index=False, encoding="utf-8-sig")
    return path


def write_excel(pub: Publication, path: str | Path, *, language: str | None = None) -> Path:
    """Sheets ``dati`` (every month), ``mese`` (the reference month), ``note`` and, when the
    publication carries residents-based coverage, ``residenti`` (:func:`resident_table`)."""
    lang = language or pub.language
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheets = {
        "dati" if lang == "it" else "data": export_table(pub, language=lang),
        format_month(pub.month, lang, short=True): export_table(pub, month=pub.month, language=lang),
        "note" if lang == "it" else "notes": notes_table(pub, language=lang),
    }
    residents = resident_table(pub, language=lang)
    if residents is not None:
        sheets[translate(_RESIDENT_COLUMNS, "sheet", lang)] = residents
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, frame in sheets.items():
            safe = _spreadsheet_safe(frame)
            safe.to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            for col_cells in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col_cells[:200])
                ws.column_dimensions[col_cells[0].column_letter].width = min(max(width + 2, 8), 80)
            ws.freeze_panes = "A2"
    return path


def areas_layer(pub: Publication, *, language: str | None = None) -> Any:
    """The quarter areas with the reference month's 12-month figures, one column set per category.

    ``<category>_segnalazioni`` (number, empty when hidden), ``<category>_testo`` (the number
    or ``"< 5"`` / ``"n.d."``), ``<category>_tasso`` (per 1,000 of the category's residents).
    """
    import geopandas as gpd

    lang = language or pub.language
    areas = pub.areas[pub.areas["level"] == "quarter"].sort_values("area_id").reset_index(drop=True)
    out = pd.DataFrame({
        "codice": areas["area_id"].to_numpy(), "nome": areas["name"].astype(str).to_numpy(),
        "comune": areas["town"].astype(str).to_numpy(), "residenti": areas["population"].astype(float).round(0),
        "popolazione_stimata": [_t("yes" if e else "no", lang) for e in areas["population_estimated"]],
        "periodo": period_text(pub.month, lang),
    })
    if "pop_65" in areas:
        out["residenti_65"] = areas["pop_65"].astype(float).round(0).to_numpy()
    cells = pub.cells(month=pub.month, window=12, level="quarter", category=None)
    for c in [TOTAL, *[c for c in pub.labels if c in set(cells["category"])]]:
        g = cells[cells["category"] == c].set_index("area_id").reindex(out["codice"])
        hidden = g["suppressed"].fillna(True).astype(bool).to_numpy()
        out[f"{c}_segnalazioni"] = np.where(hidden, np.nan, g["value"].astype(float))
        out[f"{c}_testo"] = [_hidden_text(str(r), pub.threshold, lang) if h else str(int(v))
                             for v, h, r in zip(g["value"], hidden, g["reason"])]
        out[f"{c}_tasso"] = shown_rates(g["rate_per_1000"])
        out[f"{c}_segnalazioni_anno_prima"] = g["value_prev"].astype(float).to_numpy()
        out[f"{c}_variazione_pct"] = (g["change_yoy"].astype(float) * 100).round(0).to_numpy()
        out[f"{c}_andamento"] = [status_label(str(x), lang) for x in g["change_status"].fillna(NOT_COMPUTABLE)]
    out = neutralise_formulas(out)
    return gpd.GeoDataFrame(out, geometry=areas.geometry.to_numpy(), crs=4326)


def write_gpkg(pub: Publication, path: str | Path, *, language: str | None = None) -> Path:
    """Layers ``aree`` (polygons with the reference month's figures, with a default QGIS style:
    :func:`qgis_style`), ``dati``, ``note`` and ``residenti`` when there (tables)."""
    import pyogrio

    lang = language or pub.language
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    pyogrio.write_dataframe(areas_layer(pub, language=lang), path, layer="aree", driver="GPKG")
    table = export_table(pub, language=lang)
    # a GeoPackage column has one type: counts as numbers (empty when hidden) plus their text
    value_col = _col("value", lang)
    table.insert(table.columns.get_loc(value_col) + 1, value_col + "_testo", table[value_col].astype(str))
    table[value_col] = pd.to_numeric(table[value_col], errors="coerce")
    pyogrio.write_dataframe(table, path, layer="dati", driver="GPKG", append=True)
    pyogrio.write_dataframe(notes_table(pub, language=lang), path, layer="note", driver="GPKG", append=True)
    residents = resident_table(pub, language=lang)
    if residents is not None:
        pyogrio.write_dataframe(neutralise_formulas(residents), path, layer="residenti", driver="GPKG", append=True)
    _embed_style(path, "aree", qgis_style(pub, language=lang),
                 "tasso per 1.000 residenti" if lang == "it" else "rate per 1,000 residents")
    return path


def _rgba(colour: str) -> str:
    c = colour.lstrip("#")
    return ",".join(str(int(c[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def qgis_style(pub: Publication, *, field: str = "totale_tasso", language: str | None = None) -> str:
    """A QGIS style (QML) for the ``aree`` layer: rate classes, hidden areas hatched, area names.

    Classes are those of the map (:func:`fragmap.classify.zero_aware_classes` over the
    published rates of the reference month); an area whose figure is hidden or missing is
    drawn hatched grey ("nascosto / n.d.").
    """
    from xml.sax.saxutils import quoteattr

    from fragmap.classify import zero_aware_classes
    from fragmap.i18n import format_number

    lang = language or pub.language
    cells = pub.cells(month=pub.month, window=12, level="quarter", category=TOTAL)
    rates = cells.loc[~cells["suppressed"].astype(bool), "rate_per_1000"].astype(float)
    cl = zero_aware_classes(rates.tolist(), k=5, decimals=1)
    q = f'"{field}"'
    rules, colours = [], []
    if cl.zero:
        rules.append((f"{q} = 0", "0"))
        colours.append(cl.colours[0])
    for i, (lo, up) in enumerate(zip(cl.lower, cl.upper)):
        lower = f"{q} > 0" if i == 0 else f"{q} >= {lo}"
        rules.append((f"{lower} AND {q} <= {up + 0.05}",
                      f"{format_number(lo, lang, 1)} – {format_number(up, lang, 1)}"))
        colours.append(cl.colours[int(cl.zero) + i])
    rules.append(("ELSE", "nascosto / n.d." if lang == "it" else "hidden / n/a"))
    colours.append("#bdbdbd")

    def symbol(i: int, colour: str, hatched: bool) -> str:
        style = "b_diagonal" if hatched else "solid"
        return (f'<symbol type="fill" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">'
                f'<layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">'
                f'<Option name="color" type="QString" value="{_rgba(colour)}"/>'
                f'<Option name="outline_color" type="QString" value="255,255,255,255"/>'
                f'<Option name="outline_width" type="QString" value="0.3"/>'
                f'<Option name="style" type="QString" value="{style}"/>'
                f'</Option></layer></symbol>')

    rule_xml = "".join(f'<rule key="r{i}" symbol="{i}" filter={quoteattr(f)} label={quoteattr(lab)}/>'
                       for i, (f, lab) in enumerate(rules))
    sym_xml = "".join(symbol(i, c, i == len(colours) - 1) for i, c in enumerate(colours))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            '<qgis version="3.28.0" styleCategories="Symbology|Labeling">'
            '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
            f'<rules key="root">{rule_xml}</rules><symbols>{sym_xml}</symbols></renderer-v2>'
            '<labeling type="simple"><settings calloutType="simple">'
            '<text-style fieldName="nome" fontSize="8" textColor="0,0,0,255" isExpression="0"/>'
            '<text-buffer bufferDraw="1" bufferSize="0.8" bufferColor="255,255,255,255"/>'
            '</settings></labeling></qgis>\n')


def _embed_style(path: Path, layer: str, qml: str, name: str) -> None:
    """Store ``qml`` as the default style of ``layer`` (QGIS loads it when the layer is opened)."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), "
            "f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), "
            "styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME)")
        con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, 'geometry', ?, ?, '', 1, ?, '', '', '2000-01-01T00:00:00Z')",
                    (layer, name, qml, name))
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
                    "VALUES ('layer_styles', 'attributes', 'layer_styles', '')")
        con.commit()
    finally:
        con.close()


def read_tables(path: str | Path) -> list[tuple[str, pd.DataFrame]]:
    """Every sheet (XLSX) or layer (GPKG) of ``path`` as ``(name, table)``; geometries as text.

    For the privacy audit: it reads what a person opening the file would see.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    out: list[tuple[str, pd.DataFrame]] = []
    if suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl", dtype=object)
        out = [(str(k), v) for k, v in sheets.items()]
    elif suffix == ".gpkg":
        import pyogrio

        for name, _ in pyogrio.list_layers(path):
            df = pyogrio.read_dataframe(path, layer=name)
            if "geometry" in getattr(df, "columns", []) and hasattr(df, "geometry"):
                # as GeoJSON coordinates ("[x, y], [x, y]"): the audit reads each vertex as one
                # pair, never the latitude of one vertex with the longitude of the next (as WKT would)
                import json

                import shapely.geometry

                df = pd.DataFrame(df).assign(geometry=[
                    "" if g is None else json.dumps(shapely.geometry.mapping(g)["coordinates"])
                    for g in df.geometry])
            out.append((str(name), pd.DataFrame(df)))
    else:
        raise ValueError(f"{path.name}: not an XLSX or GPKG file")
    return out


__all__ = ["areas_layer", "export_table", "notes_table", "period_text", "qgis_style", "read_tables", "resident_table",
           "write_csv",
           "write_excel", "write_gpkg"]
