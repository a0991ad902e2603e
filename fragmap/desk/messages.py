"""The desk's interface words: Italian, and English with ``language = "en"``."""

from __future__ import annotations

from fragmap.i18n import translate

UI: dict[str, dict[str, str]] = {
    "title": {"it": "Sportello della Rete", "en": "The network's desk"},
    "board": {"it": "Mese", "en": "Month"},
    "upload": {"it": "Invio file", "en": "Upload"},
    "files": {"it": "I miei file", "en": "My files"},
    "review": {"it": "Revisione indirizzi", "en": "Address review"},
    "preview": {"it": "Anteprima", "en": "Preview"},
    "publish": {"it": "Pubblica", "en": "Publish"},
    "history": {"it": "Pubblicazioni", "en": "Publications"},
    "accounts": {"it": "Utenti", "en": "Accounts"},
    "audit": {"it": "Registro attività", "en": "Activity log"},
    "logout": {"it": "Esci", "en": "Log out"},
    "login": {"it": "Accedi", "en": "Log in"},
    "username": {"it": "Nome utente", "en": "User name"},
    "password": {"it": "Password", "en": "Password"},
    "bad_login": {"it": "Nome utente o password errati.", "en": "Wrong user name or password."},
    "throttled": {
        "it": "Troppi tentativi sbagliati: riprovare fra {minutes} minuti.",
        "en": "Too many wrong attempts: try again in {minutes} minutes.",
    },
    "csrf": {
        "it": "Il modulo è scaduto o non viene da questa pagina: ricaricare la pagina e riprovare.",
        "en": "The form has expired or did not come from this page: reload the page and try again.",
    },
    "not_found": {"it": "Pagina non trovata.", "en": "Page not found."},
    "forbidden": {"it": "Questa pagina è riservata al coordinamento.", "en": "This page is for the coordinator."},
    "partner": {"it": "Associazione", "en": "Partner"},
    "sent": {"it": "Inviato", "en": "Sent"},
    "yes": {"it": "sì", "en": "yes"},
    "no": {"it": "no", "en": "no"},
    "accepted": {"it": "Righe accettate", "en": "Rows accepted"},
    "rejected": {"it": "Righe scartate", "en": "Rows rejected"},
    "nfiles": {"it": "File", "en": "Files"},
    "missing": {"it": "Mancano ancora", "en": "Still missing"},
    "none_missing": {"it": "Tutte le associazioni hanno inviato.", "en": "Every partner has sent."},
    "first_publishable": {"it": "Primo mese pubblicabile", "en": "First publishable month"},
    "no_month": {"it": "Nessuna segnalazione ancora: iniziare dall'invio dei file.",
                 "en": "No reports yet: start by uploading the files."},
    "choose_files": {"it": "Scegliere o trascinare qui uno o più file (CSV, XLSX, ODS)",
                     "en": "Choose or drop one or more files here (CSV, XLSX, ODS)"},
    "send": {"it": "Invia", "en": "Send"},
    "resend_note": {
        "it": "Rinviare un file con lo stesso nome sostituisce la versione precedente.",
        "en": "Sending a file again under the same name replaces the earlier version.",
    },
    "job_caricamento": {"it": "Invio file", "en": "Upload"},
    "job_revisione": {"it": "Revisione indirizzi", "en": "Address review"},
    "job_anteprima": {"it": "Anteprima", "en": "Preview"},
    "job_pubblicazione": {"it": "Pubblicazione", "en": "Publication"},
    "job_ripristino": {"it": "Ripristino", "en": "Restore"},
    "working": {"it": "Lavoro in corso…", "en": "Working…"},
    "job_done": {"it": "Fatto.", "en": "Done."},
    "job_error": {"it": "Non riuscito", "en": "Failed"},
    "refused": {"it": "Rifiutato", "en": "Refused"},
    "file": {"it": "File", "en": "File"},
    "read": {"it": "Righe lette", "en": "Rows read"},
    "new": {"it": "nuove", "en": "new"},
    "corrected": {"it": "corrette", "en": "corrected"},
    "unchanged": {"it": "già presenti", "en": "already stored"},
    "download_rejected": {"it": "Scarica le righe scartate (foglio CSV)",
                          "en": "Download the rejected rows (CSV sheet)"},
    "row": {"it": "Riga", "en": "Row"},
    "column": {"it": "Colonna", "en": "Column"},
    "reason": {"it": "Motivo", "en": "Reason"},
    "how_to_fix": {"it": "Come correggere", "en": "How to fix"},
    "no_rejected": {"it": "Nessuna riga scartata.", "en": "No rejected rows."},
    "fix_hint": {
        "it": "Correggere la riga nel proprio file (stesso nome) e rinviarlo: le righe corrette "
              "escono da questo elenco.",
        "en": "Fix the row in your own file (same name) and send it again: fixed rows leave this list.",
    },
    "for_partner": {"it": "Per l'associazione", "en": "For the partner"},
    "review_intro": {
        "it": "Segnalazioni collocate solo a livello di comune o non trovate. Una correzione è "
              "conservata a parte (il file dell'associazione non cambia) e vale dalla prossima anteprima.",
        "en": "Reports placed only at town level or not found. A correction is kept apart (the "
              "partner's file does not change) and applies from the next preview.",
    },
    "review_build": {"it": "Aggiorna l'elenco", "en": "Refresh the list"},
    "review_empty": {"it": "Nessun indirizzo da rivedere.", "en": "No address to review."},
    "address": {"it": "Indirizzo scritto", "en": "Typed address"},
    "candidates": {"it": "Vie più vicine", "en": "Closest streets"},
    "new_address": {"it": "Indirizzo corretto", "en": "Corrected address"},
    "save": {"it": "Salva", "en": "Save"},
    "corrections": {"it": "Correzioni salvate", "en": "Saved corrections"},
    "build_preview": {"it": "Prepara l'anteprima", "en": "Build the preview"},
    "open_map": {"it": "Apri la mappa", "en": "Open the map"},
    "open_atlas": {"it": "Apri l'atlante", "en": "Open the atlas"},
    "no_preview": {"it": "Nessuna anteprima ancora.", "en": "No preview yet."},
    "publish_intro": {
        "it": "La pubblicazione ricostruisce mappa e atlante, esegue la verifica di riservatezza e "
              "pubblica solo se la supera. Le pubblicazioni precedenti restano e si possono ripristinare.",
        "en": "Publishing rebuilds map and atlas, runs the privacy audit and publishes only if it "
              "passes. Earlier publications are kept and can be restored.",
    },
    "busy": {
        "it": "Una pubblicazione o anteprima è già in corso: attendere che finisca.",
        "en": "A publication or preview is already running: wait for it to finish.",
    },
    "rollback": {"it": "Ripristina", "en": "Restore"},
    "current": {"it": "online", "en": "online"},
    "when": {"it": "Quando", "en": "When"},
    "who": {"it": "Chi", "en": "Who"},
    "what": {"it": "Cosa", "en": "What"},
    "month": {"it": "Mese", "en": "Month"},
    "cells": {"it": "Celle pubblicate", "en": "Published cells"},
    "suppressed": {"it": "Celle nascoste", "en": "Suppressed cells"},
    "role": {"it": "Ruolo", "en": "Role"},
    "add_account": {"it": "Nuovo utente", "en": "New account"},
    "invite": {"it": "Crea un link di invito", "en": "Create an invite link"},
    "invite_link": {"it": "Link di invito (valido 7 giorni, una volta sola)",
                    "en": "Invite link (valid 7 days, once)"},
    "invite_bad": {"it": "Invito non valido o scaduto.", "en": "Invite not valid or expired."},
    "account_exists": {"it": "Esiste già un utente con questo nome.", "en": "An account with this name exists."},
    "account_added": {"it": "Utente creato.", "en": "Account created."},
    "bad_username": {"it": "Nome utente: 3-40 lettere, cifre, punto, trattino.",
                     "en": "User name: 3-40 letters, digits, dot, dash."},
    "choose_partner": {"it": "Scegliere l'associazione.", "en": "Choose the partner."},
    "local_mode": {
        "it": "Uso locale: un solo utente su questo computer, senza accesso.",
        "en": "Local use: one user on this computer, no login.",
    },
    "too_large_request": {"it": "Invio troppo grande: inviare meno file per volta.",
                          "en": "Upload too large: send fewer files at a time."},
    "no_files": {"it": "Nessun file scelto.", "en": "No file chosen."},
    "too_many_files": {"it": "Troppi file in un invio (massimo {n}).", "en": "Too many files at once (at most {n})."},
}

#: How to fix a rejected row, per reason code (shown beside the reason).
HINTS: dict[str, dict[str, str]] = {
    "missing": {"it": "Compilare la cella vuota.", "en": "Fill in the empty cell."},
    "bad_date": {"it": "Scrivere la data come 31/10/2026.", "en": "Write the date as 31/10/2026."},
    "future_date": {"it": "Controllare l'anno: la data è nel futuro.", "en": "Check the year: the date is in the future."},
    "early_date": {"it": "La data è prima dell'inizio del progetto: controllare l'anno.",
                   "en": "The date is before the project started: check the year."},
    "unknown_category": {"it": "Usare una delle categorie elencate nella spiegazione.",
                         "en": "Use one of the categories listed in the explanation."},
    "unknown_partner": {"it": "Scrivere il nome dell'associazione come nell'elenco.",
                        "en": "Write the partner's name as in the list."},
    "personal_data": {"it": "Togliere dal file nomi, codici fiscali, telefoni, e-mail, note personali.",
                      "en": "Remove names, tax codes, phones, e-mails, personal notes from the file."},
}
_DEFAULT_HINT = {"it": "Correggere la cella indicata e rinviare il file.",
                 "en": "Fix the cell named and send the file again."}


def ui(key: str, language: str = "it", **values: object) -> str:
    """One interface string."""
    return translate(UI, key, language, **values)


def hint(reason: str, language: str = "it") -> str:
    """How to fix a row rejected for ``reason``."""
    table = HINTS.get(str(reason), _DEFAULT_HINT)
    return table.get(language, table["it"])
