"""The intake's messages (Italian and English) and the labels of fields and reasons."""

from __future__ import annotations

from collections.abc import Iterable

from fragmap.i18n import translate

_MESSAGES: dict[str, dict[str, str]] = {
    "where": {"it": "{file}, riga {row}, colonna «{column}»", "en": "{file}, row {row}, column '{column}'"},
    "row": {"it": "riga {row}", "en": "row {row}"},
    "missing_column": {
        "it": "{file}: manca la colonna obbligatoria «{field}» (nomi accettati: {aliases})",
        "en": "{file}: required column '{field}' is missing (accepted names: {aliases})",
    },
    "ambiguous_column": {
        "it": "{file}: le colonne {columns} sembrano tutte «{field}»: rinominarne o eliminarne una",
        "en": "{file}: columns {columns} all look like '{field}': rename or delete one of them",
    },
    "no_location_column": {
        "it": "{file}: serve almeno una colonna di posizione (indirizzo, lat/lon o quartiere)",
        "en": "{file}: at least one location column is needed (address, lat/lon or quarter)",
    },
    "missing": {"it": "valore mancante", "en": "missing value"},
    "bad_date": {"it": "data non valida: usare gg/mm/aaaa", "en": "invalid date: use dd/mm/yyyy"},
    "future_date": {"it": "data nel futuro", "en": "date in the future"},
    "early_date": {"it": "data precedente all'inizio del progetto ({start})",
                   "en": "date before the project start ({start})"},
    "unknown_category": {"it": "categoria sconosciuta; valori ammessi: {allowed}",
                         "en": "unknown category; allowed: {allowed}"},
    "unknown_partner": {"it": "associazione sconosciuta; valori ammessi: {allowed}",
                        "en": "unknown partner; allowed: {allowed}"},
    "unknown_action": {"it": "azione sconosciuta; valori ammessi: {allowed}",
                       "en": "unknown action; allowed: {allowed}"},
    "outside_towns": {"it": "comune fuori dal progetto (ammessi: {allowed})",
                      "en": "town outside the project (allowed: {allowed})"},
    "bad_coordinates": {"it": "coordinate non valide: servono lat e lon in gradi decimali (es. 45,1847)",
                        "en": "invalid coordinates: lat and lon in decimal degrees are needed (e.g. 45.1847)"},
    "coordinates_outside": {"it": "coordinate fuori dai comuni del progetto e nessun indirizzo",
                            "en": "coordinates outside the project's towns and no address"},
    "no_location": {"it": "nessuna posizione: indicare indirizzo, coordinate o quartiere",
                    "en": "no location: give an address, coordinates or a quarter"},
    "duplicate_id": {"it": "ID ripetuto nel file nello stesso mese con contenuto diverso (tenuta la {first})",
                     "en": "ID repeated in the file in the same month with different content "
                           "(kept {first})"},
    "personal_name": {
        "it": "sembra contenere il nome di una persona (valore non riportato): togliere il nome "
              "e reinviare la riga",
        "en": "looks like it holds a person's name (value not shown): remove the name and send "
              "the row again",
    },
    "personal_header": {
        "it": "la colonna «{column}» sembra contenere dati personali ({kind}): eliminarla dal foglio",
        "en": "column '{column}' looks like personal data ({kind}): delete it from the sheet",
    },
    "personal_values": {
        "it": "la colonna «{column}» contiene valori che sembrano {kind} (righe {rows}): "
              "eliminarli dal foglio",
        "en": "column '{column}' holds values that look like {kind} (rows {rows}): "
              "delete them from the sheet",
    },
    "birth_dates": {
        "it": "la colonna «{column}» contiene date complete (righe {rows}): sembrano date di nascita; "
              "usare la fascia d'età (es. 65-74)",
        "en": "column '{column}' holds full dates (rows {rows}): they look like birth dates; "
              "use an age band (e.g. 65-74)",
    },
    "old_dates": {
        "it": "la colonna «{column}» contiene date molto anteriori alle segnalazioni (prima del "
              "{cutoff}, righe {rows}): sembrano date di nascita; eliminarle dal foglio",
        "en": "column '{column}' holds dates long before the reports (before {cutoff}, rows "
              "{rows}): they look like birth dates; delete them from the sheet",
    },
    "refused": {
        "it": "{file}: file RIFIUTATO, sembra contenere dati personali. Nulla è stato importato.\n"
              "Correggere il foglio e reinviarlo:",
        "en": "{file}: file REFUSED, it looks like it contains personal data. Nothing was imported.\n"
              "Fix the sheet and send it again:",
    },
    "kind_name": {"it": "nomi di persona", "en": "personal names"},
    "kind_person": {"it": "persone assistite o di riferimento", "en": "people helped or contacts"},
    "kind_tax_code": {"it": "codici fiscali", "en": "tax codes"},
    "kind_iban": {"it": "codici IBAN", "en": "IBANs"},
    "column_n": {"it": "n. {n} (intestazione non riportata)", "en": "no. {n} (header not shown)"},
    "personal_header_value": {
        "it": "l'intestazione della colonna {column} sembra un dato personale ({kind}): la prima "
              "riga del foglio deve contenere solo i nomi delle colonne (es. «Data», «Indirizzo»); "
              "eliminare il dato e reinviare il file",
        "en": "the header of column {column} looks like personal data ({kind}): the first row of "
              "the sheet must hold only column names (e.g. 'Date', 'Address'); delete the value "
              "and send the file again",
    },
    "more_ignored": {"it": "{n|un'altra colonna ignorata (non elencata)|altre {n} colonne ignorate (non elencate)}",
                     "en": "{n} more {n|column|columns} ignored (not listed)"},
    "kind_phone": {"it": "numeri di telefono", "en": "phone numbers"},
    "kind_email": {"it": "indirizzi e-mail", "en": "e-mail addresses"},
    "kind_birth_date": {"it": "date di nascita", "en": "birth dates"},
    "kind_free_text": {"it": "testo libero (note)", "en": "free text (notes)"},
    "kind_document": {"it": "documenti", "en": "identity documents"},
    "columns_read": {"it": "colonne lette: {pairs}", "en": "columns read: {pairs}"},
    "mapped": {"it": "«{value}» letto come «{code}» (righe: {n})",
               "en": "'{value}' read as '{code}' ({n} {n|row|rows})"},
    "mapped_hidden": {
        "it": "colonna «{column}», righe {rows}: letto come «{code}», ma il valore sembra contenere "
              "un nome di persona (non riportato e non conservato); toglierlo dal foglio",
        "en": "column '{column}', rows {rows}: read as '{code}', but the value looks like it holds "
              "a person's name (not shown, not kept); remove it from the sheet",
    },
    "names_in_column": {
        "it": "colonna «{column}», righe {rows}: il valore sembra contenere un nome di persona "
              "(non riportato e non conservato); toglierlo dal foglio",
        "en": "column '{column}', rows {rows}: the value looks like it holds a person's name "
              "(not shown, not kept); remove it from the sheet",
    },
    "no_id_column": {
        "it": "il file non ha una colonna ID: ogni riga è riconosciuta dal suo contenuto, quindi "
              "reinviare lo stesso file non cambia nulla, ma una riga corretta non può sostituire "
              "quella già importata (si aggiunge). Consigliato: aggiungere una colonna "
              "«ID segnalazione»",
        "en": "the file has no ID column: each row is recognised by its content, so sending the "
              "same file again changes nothing, but a corrected row cannot replace the one "
              "already imported (it is added). Recommended: add a 'report id' column",
    },
    "identical_copies": {"it": "righe identiche ad altre con lo stesso ID, contate una volta: {n}",
                         "en": "{n} {n|row|rows} identical to others with the same ID, counted once"},
    "inferred_category": {"it": "categoria mancante dedotta dall'associazione (righe: {n})",
                          "en": "missing category inferred from the partner ({n} {n|row|rows})"},
    "ignored_column": {"it": "colonna «{column}» ignorata", "en": "column '{column}' ignored"},
    "coords_swapped": {"it": "lat e lon invertite, corrette (righe: {n})",
                       "en": "lat and lon swapped, corrected ({n} {n|row|rows})"},
    "coords_dropped": {"it": "coordinate fuori dai comuni scartate, resta l'indirizzo (righe: {n})",
                       "en": "coordinates outside the towns dropped, address kept ({n} {n|row|rows})"},
    "unknown_age_band": {"it": "fascia d'età non riconosciuta lasciata vuota (righe: {n})",
                         "en": "unrecognised age band left empty ({n} {n|row|rows})"},
    # field names, as the coordinator knows them
    "field_report_id": {"it": "ID segnalazione", "en": "report id"},
    "field_date": {"it": "data", "en": "date"},
    "field_address": {"it": "indirizzo", "en": "address"},
    "field_town": {"it": "comune", "en": "town"},
    "field_lat": {"it": "latitudine", "en": "latitude"},
    "field_lon": {"it": "longitudine", "en": "longitude"},
    "field_quartiere": {"it": "quartiere", "en": "quarter"},
    "field_category": {"it": "categoria", "en": "category"},
    "field_partner": {"it": "associazione", "en": "partner"},
    "field_action": {"it": "azione", "en": "action"},
    "field_age_band": {"it": "fascia d'età", "en": "age band"},
    # reasons, short, for summaries and the ledger
    "reason_missing": {"it": "valore mancante", "en": "missing value"},
    "reason_bad_date": {"it": "data non valida", "en": "invalid date"},
    "reason_future_date": {"it": "data nel futuro", "en": "date in the future"},
    "reason_early_date": {"it": "data prima dell'inizio", "en": "date before the start"},
    "reason_unknown_category": {"it": "categoria sconosciuta", "en": "unknown category"},
    "reason_unknown_partner": {"it": "associazione sconosciuta", "en": "unknown partner"},
    "reason_unknown_action": {"it": "azione sconosciuta", "en": "unknown action"},
    "reason_outside_towns": {"it": "comune fuori progetto", "en": "town outside the project"},
    "reason_bad_coordinates": {"it": "coordinate non valide", "en": "invalid coordinates"},
    "reason_coordinates_outside": {"it": "coordinate fuori dai comuni", "en": "coordinates outside"},
    "reason_no_location": {"it": "nessuna posizione", "en": "no location"},
    "reason_duplicate_id": {"it": "ID ripetuto", "en": "repeated ID"},
    "reason_personal_name": {"it": "nome di persona", "en": "person's name"},
    "reason_personal_value": {"it": "dato personale", "en": "personal data"},
    "personal_value": {
        "it": "contiene una data completa, forse una data di nascita (valore non riportato): "
              "toglierla e reinviare la riga",
        "en": "holds a full date, perhaps a birth date (value not shown): remove it and send "
              "the row again",
    },
    "reason_personal_data": {"it": "file rifiutato: dati personali",
                             "en": "file refused: personal data"},
    "reason_file_error": {"it": "file non leggibile o incompleto",
                          "en": "file unreadable or incomplete"},
}


def reason_label(reason: str, language: str = "it") -> str:
    """Short label of a rejection reason code (:data:`REASONS`) in ``language``."""
    key = f"reason_{reason}"
    return translate(_MESSAGES, key, language) if key in _MESSAGES else reason


def no_id_note(language: str = "it") -> str:
    """The note added to a file without an ID column (what it means, what to do)."""
    return translate(_MESSAGES, "no_id_column", language)


def field_label(name: str, language: str = "it") -> str:
    """Name of a report field ("data", "azione"...) in ``language``."""
    return translate(_MESSAGES, f"field_{name}", language)


def _quote(text: str, language: str) -> str:
    return f"'{text}'" if language == "en" else f"«{text}»"


def _rows(rows: Iterable[int]) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:5])
    return shown + (f" … (+{len(rows) - 5})" if len(rows) > 5 else "")
