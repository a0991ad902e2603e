"""What the desk does, as plain functions over the pipeline's public API (no web code here).

Intake goes through :func:`fragmap.ingest.ingest_files`, builds through
:func:`fragmap.pipeline.run` (which audits the folder before it is swapped in), the
publication through :func:`fragmap.io.publish.staging_folder` / ``replace_folder``, the
review through :class:`fragmap.pipeline.Project` and the project's geocoder.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fragmap._errors import FragmapError
from fragmap.desk.db import DB_NAME, Account, DeskDB
from fragmap.desk.jobs import Job, Jobs
from fragmap.desk.security import safe_file_name
from fragmap.i18n import translate
from fragmap.settings import Settings

MESSAGES: dict[str, dict[str, str]] = {
    "other_partner": {
        "it": "«{name}»: {n} {n|riga indica|righe indicano} un'altra associazione ({others}); ogni associazione invia "
              "solo le proprie segnalazioni. Correggere la colonna associazione e rinviare il file",
        "en": "«{name}»: {n} {n|row names|rows name} another partner ({others}); each partner sends only its own "
              "reports. Fix the partner column and send the file again",
    },
    "unexpected": {
        "it": "errore imprevisto ({kind}); il lavoro è stato interrotto e nulla è cambiato. "
              "Riprovare; se si ripete, avvisare chi gestisce fragmap",
        "en": "unexpected error ({kind}); the work stopped and nothing changed. Try again; if it "
              "happens again, tell whoever runs fragmap",
    },
    "audit_refused": {
        "it": "la verifica di riservatezza ha rifiutato la pubblicazione: nulla è stato pubblicato e "
              "la pubblicazione precedente resta online. Dettagli: {detail}",
        "en": "the privacy audit refused to publish: nothing was published and the previous "
              "publication stays online. Details: {detail}",
    },
    "no_reports": {
        "it": "nessuna segnalazione nell'archivio: caricare prima i file delle associazioni",
        "en": "no reports in the store yet: upload the partners' files first",
    },
}

#: Match levels the review lists (placed at town level or not found).
REVIEW_LEVELS = ("comune", "non_trovato")


def error_text(exc: BaseException, language: str) -> str:
    """A user message for an exception: the library's own message, else a generic one."""
    from fragmap._errors import PrivacyError

    if isinstance(exc, PrivacyError):
        detail = " ".join(str(exc).split(":", 1)[-1].split())
        return translate(MESSAGES, "audit_refused", language, detail=detail)
    if isinstance(exc, FragmapError):
        return str(exc)
    return translate(MESSAGES, "unexpected", language, kind=type(exc).__name__)


@dataclass
class FileResult:
    """One uploaded file's outcome, as the upload page shows it."""

    name: str
    upload_id: int | None = None
    refused: str | None = None
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)


class Desk:
    """The desk's state: settings, its own tables, the store and the background jobs.

    Parameters
    ----------
    settings : Settings
    max_upload_mb : float
        Largest file accepted.
    """

    def __init__(self, settings: Settings, *, max_upload_mb: float = 20, workers: int = 2) -> None:
        from fragmap.io.store import Store

        self.settings = settings
        self.language = settings.language
        private = settings.paths.store.parent
        self.folder = private / "sportello"
        self.uploads_dir = self.folder / "caricamenti"
        self.archive_dir = self.folder / "pubblicazioni"
        self.preview_dir = self.folder / "anteprima"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = DeskDB(private / DB_NAME)
        self.store = Store(settings.paths.store)
        self.jobs = Jobs(workers)
        self.max_upload_bytes = int(max_upload_mb * 2**20)
        self._geocoder: Any = None
        self.review_rows: pd.DataFrame | None = None

    @property
    def partners(self) -> dict[str, str]:
        """Partner code -> name, from the project settings."""
        return {p.code: p.name for p in self.settings.partners}

    # -- intake ---------------------------------------------------------------------------
    def stored_name(self, partner: str, original: str) -> str:
        """The file's name in the store: partner code + a safe version of the sent name.

        Two partners may both send ``ottobre.csv``; the prefix keeps their files apart, and a
        resend of the same name by the same partner replaces the earlier version.
        """
        return f"{partner}__{safe_file_name(original)}"

    def save_upload(self, partner: str, original: str, data: bytes) -> Path:
        """Write an accepted upload under ``caricamenti/<partner>/`` (atomically)."""
        folder = self.uploads_dir / partner
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.stored_name(partner, original)
        tmp = path.with_name(f".{path.name}.part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return path

    def ingest_uploads(self, account: Account, partner: str, files: list[tuple[str, Path]],
                       job: Job | None = None) -> list[FileResult]:
        """Run the intake on saved uploads, one after another; record who sent what.

        Rows naming another partner make the whole file refused (a partner sends only its
        own reports); otherwise :func:`fragmap.ingest.ingest_files` decides, as in
        ``fragmap ingest``.
        """
        from fragmap.ingest import ingest_files
        from fragmap.io.tables import read_table
        from fragmap.reports import validate

        out: list[FileResult] = []
        for i, (original, path) in enumerate(files):
            if job is not None:
                job.stage, job.progress = original, i / max(len(files), 1)
            res = FileResult(original)
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            refused = None
            try:  # the partner check only; the intake below reads the file again
                check = validate(read_table(path).frame, self.settings, source_file=path.name,
                                 today=_dt.date.today())
                others = sorted(set(check.accepted["partner"].dropna().astype(str)) - {partner})
                if others:
                    n = int(check.accepted["partner"].astype(str).isin(others).sum())
                    names = ", ".join(self.partners.get(o, o) for o in others)
                    refused = translate(MESSAGES, "other_partner", self.language, name=original, n=n,
                                        others=names)
            except FragmapError:
                pass  # the intake reports it, in its words
            if refused is not None:
                res.refused = refused
                path.unlink(missing_ok=True)
                self.db.log(account.username, "caricamento_rifiutato", f"{partner}: {original}: {refused}")
                out.append(res)
                continue
            with self.jobs.ingest_lock:
                result = ingest_files([path], self.settings, store=self.store)
            f = result.files[0]
            res.refused, res.read, res.accepted, res.rejected = f.refused, f.read, f.accepted, f.rejected
            res.notes = list(f.notes)
            if f.upsert is not None:
                res.inserted, res.updated, res.unchanged = f.upsert.inserted, f.upsert.updated, f.upsert.unchanged
            from fragmap.desk.messages import ui

            lang = self.language
            outcome = (ui("refused", lang) if f.refused else
                       f"{ui('accepted', lang)} {f.accepted}, {ui('rejected', lang).lower()} {f.rejected}")
            res.upload_id = self.db.record_upload(partner, path.name, original, account.username,
                                                  path.stat().st_size, sha, outcome)
            self.db.log(account.username, "caricamento", f"{partner}: {original} ({outcome})")
            out.append(res)
        return out

    # -- what a partner may see -----------------------------------------------------------
    def own_files(self, partner: str) -> set[str]:
        """The store names of the files this partner sent through the desk."""
        return {u["stored_name"] for u in self.db.uploads(partner)}

    def rejected_rows(self, partner: str | None, upload_id: int | None = None) -> pd.DataFrame:
        """Ledger rows of one partner's files (or all, for the coordinator: ``partner=None``)."""
        led = self.store.rejected()
        if partner is not None:
            led = led[led["source_file"].isin(self.own_files(partner))]
        if upload_id is not None:
            up = self.db.upload(upload_id)
            name = up["stored_name"] if up and (partner is None or up["partner"] == partner) else None
            led = led[led["source_file"] == name]
        return led.reset_index(drop=True)

    def rejected_csv(self, partner: str | None, upload_id: int | None = None) -> bytes:
        """The rejected rows as the coordinator's ledger (formulas neutralised by write_csv)."""
        import tempfile

        from fragmap.ingest import ledger_table
        from fragmap.io.tables import write_csv

        table = ledger_table(self.rejected_rows(partner, upload_id), self.language)
        with tempfile.TemporaryDirectory() as tmp:
            return write_csv(table, Path(tmp) / "scarti.csv").read_bytes()

    # -- month board ----------------------------------------------------------------------
    def months(self, partner: str | None = None) -> list[str]:
        """Months with reports, newest first (of one partner only, for a partner's board)."""
        reports = self.store.reports()
        if partner is not None:
            reports = reports[reports["partner"] == partner]
        return sorted(reports["month"].dropna().astype(str).unique(), reverse=True)

    def board(self, month: str, partner: str | None = None) -> dict[str, Any]:
        """Per partner for ``month``: files, accepted and rejected rows, whether it has sent."""
        from fragmap.pipeline import Project

        reports = self.store.reports()
        led = self.store.rejected()
        uploads = self.db.uploads(partner)
        codes = [partner] if partner else list(self.partners)
        rows = []
        for code in codes:
            acc = int(((reports["partner"] == code) & (reports["month"] == month)).sum())
            rej = int(((led["partner"] == code) & (led["month"] == month)).sum())
            files = [u for u in uploads if u["partner"] == code]
            rows.append({"code": code, "name": self.partners.get(code, code), "accepted": acc,
                         "rejected": rej, "files": len(files), "sent": acc > 0 or rej > 0})
        first = None
        if partner is None and len(reports):
            from fragmap.privacy import first_publishable_month

            first = first_publishable_month(self.settings, Project(self.settings).first_months())[1]
        return {"month": month, "rows": rows, "missing": [r["name"] for r in rows if not r["sent"]],
                "first_publishable": first}

    # -- review ---------------------------------------------------------------------------
    def geocoder(self) -> Any:
        if self._geocoder is None:
            from fragmap.geocode import make_geocoder

            self._geocoder = make_geocoder(self.settings)
        return self._geocoder

    def build_review(self, job: Job | None = None) -> pd.DataFrame:
        """Reports placed only at town level or not found, with street candidates (PRIVATE).

        Geocodes through :class:`fragmap.pipeline.Project` with the corrections so far; a
        corrected report that now matches a street leaves the list.
        """
        from fragmap.pipeline import Project

        if job is not None:
            job.stage = "geocode"
        project = Project(self.settings, address_corrections=self.db.corrections())
        if project.reports().empty:
            self.review_rows = pd.DataFrame()
            return self.review_rows
        geo = project.geocoded()
        bad = geo[geo["match_level"].isin(REVIEW_LEVELS) & geo["address"].notna()
                  & (geo["address"].astype(str).str.strip() != "")].copy()
        bad = bad.sort_values(["partner", "month", "source_file", "source_row"]).head(500)
        if job is not None:
            job.stage, job.progress = "candidates", 0.5
        g = self.geocoder()
        cands = [g.street_candidates(str(a), None if pd.isna(t) else str(t))
                 for a, t in zip(bad["address"], bad["town"])]
        bad["candidates"] = cands
        keep = ["partner", "report_id", "month", "source_file", "source_row", "address", "town",
                "match_level", "match_note", "candidates"]
        self.review_rows = bad.reindex(columns=keep).reset_index(drop=True)
        return self.review_rows

    def correct(self, account: Account, key: tuple[str, str, str, str], address: str,
                town: str | None) -> None:
        """Store an address correction (the partner's file and the store stay as they are)."""
        original = None
        if self.review_rows is not None and len(self.review_rows):
            r = self.review_rows
            hit = r[(r["partner"] == key[0]) & (r["report_id"].astype(str) == key[1])
                    & (r["month"] == key[2]) & (r["source_file"] == key[3])]
            if len(hit):
                original = str(hit["address"].iloc[0])
        self.db.set_correction(key, address, town, original, account.username)
        self.db.log(account.username, "correzione", f"{key[0]} {key[1]} {key[2]} {key[3]}")

    # -- build, publish, rollback ---------------------------------------------------------
    def _build(self, output: Path, job: Job | None) -> Any:
        """Build map and atlas into ``output`` with :func:`fragmap.pipeline.run` (audited)."""
        from fragmap.pipeline import STAGES, run

        if self.store.reports().empty:
            raise FragmapError(translate(MESSAGES, "no_reports", self.language))
        settings = dataclasses.replace(self.settings, paths=dataclasses.replace(self.settings.paths,
                                                                                 output=output))
        done: list[str] = []

        def step(stage: str, figures: dict[str, Any]) -> None:
            if job is not None and stage not in done:
                done.append(stage)
                job.stage = stage
                job.progress = min(0.99, len(done) / len(STAGES))

        return run(settings, ingest=False, force=True, on_step=step,
                   address_corrections=self.db.corrections())

    def preview(self, account: Account, job: Job | None = None) -> dict[str, Any]:
        """Build into the private preview folder, exactly as a publication would be."""
        result = self._build(self.preview_dir, job)
        self.db.log(account.username, "anteprima", result.month)
        return {"month": result.month}

    def publish(self, account: Account, job: Job | None = None) -> dict[str, Any]:
        """Build (the audit inside refuses anything private), keep a copy, swap it in."""
        from fragmap.io.publish import check_replaceable

        check_replaceable(self.settings.paths.output, self.language)
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        folder = self.archive_dir / stamp
        try:
            result = self._build(folder, job)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            self.db.log(account.username, "pubblicazione_rifiutata", stamp)
            raise
        self._put_online(folder)
        counts = result.manifest.get("counts", {})
        summary = json.dumps({"month": result.month, "built_at": result.manifest.get("built_at"),
                              "published_cells": counts.get("published_cells"),
                              "suppressed_cells": counts.get("suppressed_cells"),
                              "window_reports": counts.get("window_reports")})
        pub_id = self.db.add_publication(result.month, stamp, account.username, summary)
        self.db.log(account.username, "pubblicazione", f"n. {pub_id}, mese {result.month}")
        return {"month": result.month, "publication": pub_id}

    def _put_online(self, folder: Path) -> None:
        from fragmap.io.publish import replace_folder, staging_folder

        output = self.settings.paths.output
        with staging_folder(output) as tmp:
            shutil.copytree(folder, tmp, dirs_exist_ok=True)
            replace_folder(tmp, output, language=self.language)

    def rollback(self, account: Account, pub_id: int) -> None:
        """Put an earlier publication back online (its archived copy, unchanged)."""
        pub = self.db.publication(pub_id)
        if pub is None:
            raise FragmapError("publication not found")
        self._put_online(self.archive_dir / pub["folder"])
        self.db.set_current(pub_id)
        self.db.log(account.username, "ripristino", f"n. {pub_id}, mese {pub['month']}")

    def history(self) -> list[dict[str, Any]]:
        out = []
        for p in self.db.publications():
            p = dict(p)
            p["summary"] = json.loads(p["summary"] or "{}")
            out.append(p)
        return out
