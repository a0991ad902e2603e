"""A short summary of a :class:`~fragmap.publication.Publication`: what a notebook shows for it.

Only published figures are summarised (the network's 12-month total as the table shows it,
``< 5`` when it is hidden), so the summary is as safe to share as the publication itself.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from fragmap.i18n import format_count, format_number, format_period, t, translate

if TYPE_CHECKING:
    from fragmap.publication import Publication

_TEXT: dict[str, dict[str, str]] = {
    "head": {"it": "Pubblicazione", "en": "Publication"},
    "period": {"it": "Periodo", "en": "Period"},
    "period_value": {"it": "{period} (12 mesi fino al mese di riferimento)",
                     "en": "{period} (12 months to the reference month)"},
    "towns": {"it": "Comuni", "en": "Towns"},
    "areas": {"it": "Aree", "en": "Areas"},
    "categories": {"it": "Categorie", "en": "Categories"},
    "reports": {"it": "Segnalazioni contate (12 mesi, rete)", "en": "Reports counted (12 months, network)"},
    "threshold": {"it": "Soglia di riservatezza", "en": "Privacy threshold"},
    "suppressed": {"it": "Celle nascoste", "en": "Hidden cells"},
    "suppressed_value": {"it": "{n} su {total} ({share}%)", "en": "{n} of {total} ({share}%)"},
    "source_griglia": {"it": "griglia esagonale, non quartieri ufficiali",
                       "en": "hexagon grid, not official quarters"},
    "source_file": {"it": "confini da file", "en": "boundaries from a file"},
    "source_stradario": {"it": "ricostruite dallo stradario", "en": "rebuilt from a street list"},
    "source_punti_riferimento": {"it": "attorno a punti di riferimento", "en": "drawn around landmarks"},
    "all": {"it": "tutte", "en": "all"},
    "estimated": {"it": "popolazione stimata in {n}", "en": "estimated population in {n}"},
}


def _t(key: str, lang: str, /, **values: object) -> str:
    return translate(_TEXT, key, lang, **values)


def summary_items(pub: Publication) -> list[tuple[str, str]]:
    """``(label, value)`` pairs: period, towns, areas, categories, reports, threshold, hidden cells."""
    from fragmap._keys import NETWORK, TOTAL

    lang = pub.language if pub.language in ("it", "en") else "it"
    areas = pub.areas
    quarters = areas[areas["level"] == "quarter"]
    towns = sorted(str(x) for x in quarters["town"].dropna().unique()) or sorted(
        str(x) for x in areas.loc[areas["level"] == "town", "area_id"])
    source_key = f"source_{pub.quarter_source}"
    area_text = format_number(len(quarters), lang)
    if source_key in _TEXT:
        area_text += f" ({_t(source_key, lang)}"
        estimated = int(quarters["population_estimated"].fillna(False).astype(bool).sum())
        if estimated:
            n = _t("all", lang) if estimated == len(quarters) else format_number(estimated, lang)
            area_text += "; " + _t("estimated", lang, n=n)
        area_text += ")"
    cats = [str(c) for c in pub.table["category"].unique() if c != TOTAL]
    ordered = [c for c in pub.labels if c in cats] + sorted(c for c in cats if c not in pub.labels)
    network = pub.cells(month=pub.month, window=12, level="network", category=TOTAL)
    network = network[network["area_id"] == NETWORK]
    if len(network):
        row = network.iloc[0]
        reports = format_count(row["value"], bool(row["suppressed"]), pub.threshold, lang)
    else:
        reports = t("not_available", lang)
    hidden = int(pub.table["suppressed"].astype(bool).sum())
    total = len(pub.table)
    share = format_number(hidden / total * 100 if total else 0.0, lang, 1)
    items = [
        (_t("period", lang), _t("period_value", lang, period=format_period(pub.month, 12, lang))),
        (_t("towns", lang), ", ".join(towns)),
        (_t("areas", lang), area_text),
        (_t("categories", lang), ", ".join(pub.labels.get(c, c) for c in ordered)),
        (_t("reports", lang), reports),
        (_t("threshold", lang), str(pub.threshold)),
        (_t("suppressed", lang), _t("suppressed_value", lang, n=format_number(hidden, lang),
                                      total=format_number(total, lang), share=share)),
    ]
    return items


def _heading(pub: Publication) -> str:
    lang = pub.language if pub.language in ("it", "en") else "it"
    head = _t("head", lang) + (f" «{pub.title}»" if pub.title else "")
    if pub.synthetic:
        head += f" · {t('synthetic', lang).upper()}"
    return head


def summary_text(pub: Publication) -> str:
    """The summary as plain text (``repr(pub)``)."""
    items = summary_items(pub)
    width = max(len(label) for label, _ in items)
    return "\n".join([_heading(pub)] + [f"  {label:<{width}}  {value}" for label, value in items])


def summary_html(pub: Publication) -> str:
    """The summary as a small HTML table (what a notebook shows); every text escaped."""
    rows = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{escape(label)}</th>'
        f'<td style="text-align:left">{escape(value)}</td></tr>'
        for label, value in summary_items(pub)
    )
    return (f'<div class="fragmap-publication"><strong>{escape(_heading(pub))}</strong>'
            f"<table>{rows}</table></div>")
