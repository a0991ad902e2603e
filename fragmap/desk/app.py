"""The desk's web application (Starlette): pages, sessions, CSRF, roles.

Pages that only read are plain functions (Starlette runs them in its thread pool, so a slow
query never stalls the others); forms are ``async`` for the form parser, and hand long work
to :mod:`fragmap.desk.jobs`.

Sessions are server-side (a random id in an HttpOnly cookie, its hash in the desk's SQLite
table); every POST form carries the session's CSRF token, compared in constant time;
the session id changes at login. A partner's pages and downloads are filtered by the
account's partner code on the server: ids in URLs are looked up and refused when they
belong to someone else (404, as if they did not exist).
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from fragmap.desk.db import ROLES, Account
from fragmap.desk.messages import hint, ui
from fragmap.desk.security import check_upload, hash_password, password_problem, verify_password
from fragmap.desk.service import Desk, FileResult, error_text
from fragmap.settings import Settings

COOKIE = "sportello_sessione"
#: Login throttling: this many failures per user name or client within the window lock it out.
MAX_FAILURES = 5
FAILURE_WINDOW_S = 15 * 60
LOCAL_ACCOUNT = Account("locale", "coordinatore", None)
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,39}")


@dataclass
class Ctx:
    """The visitor of one request: session, CSRF token, account (None: not logged in)."""

    sid: str
    csrf: str
    account: Account | None
    new_cookie: bool


class DeskApp:
    """Routes and helpers around one :class:`~fragmap.desk.service.Desk`.

    Parameters
    ----------
    desk : Desk
    local : bool
        Bound to the loopback only: without accounts, the single local user is the
        coordinator and needs no login.
    secure_cookies : bool
        Mark the session cookie ``Secure`` (behind an HTTPS reverse proxy).
    max_files : int
        Files per upload.
    """

    def __init__(self, desk: Desk, *, local: bool = True, secure_cookies: bool = False, max_files: int = 12) -> None:
        self.desk = desk
        self.local = local
        self.secure_cookies = secure_cookies
        self.max_files = max_files
        self.lang = desk.language
        self._dummy_hash = hash_password("sportello-nessun-utente")
        self.env = Environment(loader=PackageLoader("fragmap.desk", "templates"),
                               autoescape=select_autoescape(["html", "j2"]))
        self.env.globals.update(ui=lambda k, **v: ui(k, self.lang, **v), hint=lambda r: hint(r, self.lang),
                                lang=self.lang, partners=desk.partners)

    # -- sessions -------------------------------------------------------------------------
    def context(self, request: Request) -> Ctx:
        db = self.desk.db
        sid = request.cookies.get(COOKIE, "")
        sess = db.session(sid) if sid else None
        if sess is None:
            sid, csrf = db.new_session(None)
            return Ctx(sid, csrf, self._local_account(request), True)
        account = None
        if sess["username"]:
            found = db.account(sess["username"])
            account = found[0] if found else None
        return Ctx(sid, sess["csrf"], account or self._local_account(request), False)

    def _local_account(self, request: Request) -> Account | None:
        """The single local user, when bound to the loopback, without accounts, not proxied."""
        proxied = any(h in request.headers for h in ("forwarded", "x-forwarded-for", "x-real-ip"))
        if self.local and not proxied and not self.desk.db.has_accounts():
            return LOCAL_ACCOUNT
        return None

    def finish(self, ctx: Ctx, response: Response) -> Response:
        if ctx.new_cookie:
            response.set_cookie(COOKIE, ctx.sid, httponly=True, samesite="strict", secure=self.secure_cookies,
                                path="/")
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def render(self, ctx: Ctx, template: str, status: int = 200, **values: Any) -> Response:
        html = self.env.get_template(template).render(ctx=ctx, account=ctx.account, csrf=ctx.csrf, **values)
        resp = HTMLResponse(html, status_code=status)
        resp.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                                   "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
        return self.finish(ctx, resp)

    def message(self, ctx: Ctx, text: str, status: int) -> Response:
        return self.render(ctx, "message.html.j2", status=status, text=text)

    async def form(self, request: Request, ctx: Ctx, **limits: Any) -> FormData | Response:
        """The POSTed form if its CSRF token is the session's, else a refusal page (403)."""
        try:
            form = await request.form(**limits)
        except Exception:  # malformed multipart, too many parts: a message, not a traceback
            return self.message(ctx, ui("too_large_request", self.lang), 400)
        token = form.get("csrf")
        if ctx.new_cookie or not isinstance(token, str) or not hmac.compare_digest(token, ctx.csrf):
            return self.message(ctx, ui("csrf", self.lang), 403)
        return form

    def need(self, request: Request, ctx: Ctx, coordinator: bool = False) -> Response | None:
        """A redirect to the login page, or a refusal, when the visitor may not see the page."""
        if ctx.account is None:
            return self.finish(ctx, RedirectResponse("/accesso", status_code=303))
        if coordinator and not ctx.account.is_coordinator:
            return self.message(ctx, ui("forbidden", self.lang), 403)
        return None

    async def coordinator_form(self, request: Request) -> tuple[Ctx, FormData] | Response:
        """A coordinator's POSTed form (logged in, coordinator, CSRF checked), or the refusal."""
        ctx = self.context(request)
        if (r := self.need(request, ctx, coordinator=True)) is not None:
            return r
        form = await self.form(request, ctx)
        if isinstance(form, Response):
            return form
        return ctx, form

    # -- login ----------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        ctx = self.context(request)
        if request.method == "GET":
            return self.render(ctx, "login.html.j2")
        form = await self.form(request, ctx)
        if isinstance(form, Response):
            return form
        username = str(form.get("username", "")).strip()[:80]
        password = str(form.get("password", ""))[:1000]
        db = self.desk.db
        now = time.time()
        client = request.client.host if request.client else "?"
        keys = [f"user:{username.lower()}", f"client:{client}"]
        if any(db.failures(k, now - FAILURE_WINDOW_S) >= MAX_FAILURES for k in keys):
            db.log(username or None, "accesso_bloccato", client)
            return self.render(ctx, "login.html.j2", status=429,
                               error=ui("throttled", self.lang, minutes=FAILURE_WINDOW_S // 60))
        found = db.account(username)
        # an unknown name costs the same hash as a known one: timing tells nothing
        stored = found[1] if found is not None else self._dummy_hash
        if not verify_password(stored, password) or found is None:
            for k in keys:
                db.add_failure(k, now)
            db.log(username or None, "accesso_fallito", client)
            return self.render(ctx, "login.html.j2", status=401, error=ui("bad_login", self.lang))
        db.clear_failures(keys[0])
        db.drop_session(ctx.sid)  # a new session id at login: a planted id is worth nothing
        sid, csrf = db.new_session(found[0].username)
        db.log(found[0].username, "accesso", client)
        return self.finish(Ctx(sid, csrf, found[0], True), RedirectResponse("/", status_code=303))

    async def logout(self, request: Request) -> Response:
        ctx = self.context(request)
        form = await self.form(request, ctx)
        if isinstance(form, Response):
            return form
        self.desk.db.drop_session(ctx.sid)
        resp = RedirectResponse("/accesso", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    # -- board ----------------------------------------------------------------------------
    def board(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx)) is not None:
            return r
        assert ctx.account is not None
        partner = None if ctx.account.is_coordinator else ctx.account.partner
        months = self.desk.months(partner)
        month = request.query_params.get("mese", "")
        if month not in months:
            month = months[0] if months else ""
        board = self.desk.board(month, partner) if month else None
        return self.render(ctx, "board.html.j2", months=months, month=month, board=board)

    # -- upload ---------------------------------------------------------------------------
    async def upload(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx)) is not None:
            return r
        account = ctx.account
        assert account is not None
        if request.method == "GET":
            return self.render(ctx, "upload.html.j2", max_mb=self.desk.max_upload_bytes // 2**20)
        limit = self.max_files * self.desk.max_upload_bytes + 2**20
        length = request.headers.get("content-length")
        if length is None or not length.isdigit() or int(length) > limit:
            return self.message(ctx, ui("too_large_request", self.lang), 413)
        form = await self.form(request, ctx, max_files=self.max_files, max_fields=20)
        if isinstance(form, Response):
            return form
        partner = account.partner if not account.is_coordinator else str(form.get("associazione", ""))
        if partner not in self.desk.partners:
            return self.message(ctx, ui("choose_partner", self.lang), 400)
        uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile) and f.filename]
        if not uploads:
            return self.message(ctx, ui("no_files", self.lang), 400)
        gate: list[FileResult] = []
        saved: list[tuple[str, Path]] = []
        for up in uploads:
            name = str(up.filename)[:200]
            data = await up.read(self.desk.max_upload_bytes + 1)
            problem = check_upload(name, data, max_bytes=self.desk.max_upload_bytes, language=self.lang)
            if problem is not None:
                gate.append(FileResult(name, refused=problem))
                self.desk.db.log(account.username, "caricamento_rifiutato", f"{partner}: {problem}")
                continue
            saved.append((name, self.desk.save_upload(partner, name, data)))

        def work(job: Any) -> list[FileResult]:
            return gate + self.desk.ingest_uploads(account, partner, saved, job)

        job = self.desk.jobs.submit("caricamento", account.username, partner, work,
                                    error_message=lambda e: error_text(e, self.lang))
        return self.finish(ctx, RedirectResponse(f"/lavori/{job.id}", status_code=303))

    # -- jobs -----------------------------------------------------------------------------
    def _job(self, ctx: Ctx, job_id: str) -> Any:
        job = self.desk.jobs.get(job_id)
        acc = ctx.account
        if job is None or acc is None:
            return None
        if not acc.is_coordinator and (job.owner != acc.username or job.partner != acc.partner):
            return None
        return job

    def job_page(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx)) is not None:
            return r
        job = self._job(ctx, request.path_params["job_id"])
        if job is None:
            return self.message(ctx, ui("not_found", self.lang), 404)
        return self.render(ctx, "job.html.j2", job=job)

    def job_json(self, request: Request) -> Response:
        ctx = self.context(request)
        job = self._job(ctx, request.path_params["job_id"])
        if job is None:
            return self.finish(ctx, JSONResponse({"error": "not found"}, status_code=404))
        return self.finish(ctx, JSONResponse(job.public()))

    # -- files and rejected rows ----------------------------------------------------------
    def _partner_scope(self, request: Request, ctx: Ctx) -> str | None:
        acc = ctx.account
        assert acc is not None
        if acc.is_coordinator:
            p = request.query_params.get("associazione")
            return p if p in self.desk.partners else None
        return acc.partner

    def files(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx)) is not None:
            return r
        partner = self._partner_scope(request, ctx)
        assert ctx.account is not None
        if not ctx.account.is_coordinator and partner is None:
            return self.message(ctx, ui("forbidden", self.lang), 403)
        uploads = self.desk.db.uploads(partner)
        rejected = self.desk.rejected_rows(partner)
        return self.render(ctx, "files.html.j2", uploads=uploads, partner=partner,
                           rejected=rejected.to_dict("records"))

    def rejected_download(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx)) is not None:
            return r
        partner = self._partner_scope(request, ctx)
        assert ctx.account is not None
        upload_id = request.path_params.get("upload_id")
        if upload_id is not None:
            up = self.desk.db.upload(int(upload_id))
            if up is None or (not ctx.account.is_coordinator and up["partner"] != partner):
                return self.message(ctx, ui("not_found", self.lang), 404)
            partner = up["partner"]
        elif not ctx.account.is_coordinator and partner is None:
            return self.message(ctx, ui("forbidden", self.lang), 403)
        data = self.desk.rejected_csv(partner, int(upload_id) if upload_id is not None else None)
        name = "scarti.csv" if upload_id is None else f"scarti-{int(upload_id)}.csv"
        return self.finish(ctx, Response(data, media_type="text/csv; charset=utf-8",
                                         headers={"Content-Disposition": f'attachment; filename="{name}"'}))

    # -- review ---------------------------------------------------------------------------
    def review(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx, coordinator=True)) is not None:
            return r
        rows = self.desk.review_rows
        corrections = self.desk.db.corrections()
        done = {tuple(str(v) for v in k) for k in
                corrections[["partner", "report_id", "month", "source_file"]].itertuples(index=False)}
        records = None if rows is None else [
            {**r, "corrected": (str(r["partner"]), str(r["report_id"]), str(r["month"]), str(r["source_file"])) in done}
            for r in rows.to_dict("records")]
        return self.render(ctx, "review.html.j2", rows=records, corrections=corrections.to_dict("records"))

    async def review_refresh(self, request: Request) -> Response:
        got = await self.coordinator_form(request)
        if isinstance(got, Response):
            return got
        ctx, form = got
        assert ctx.account is not None
        job = self.desk.jobs.submit("revisione", ctx.account.username, None, self.desk.build_review,
                                    error_message=lambda e: error_text(e, self.lang))
        return self.finish(ctx, RedirectResponse(f"/lavori/{job.id}", status_code=303))

    async def review_correct(self, request: Request) -> Response:
        got = await self.coordinator_form(request)
        if isinstance(got, Response):
            return got
        ctx, form = got
        assert ctx.account is not None
        key = tuple(str(form.get(k, ""))[:200] for k in ("partner", "report_id", "month", "source_file"))
        choice = str(form.get("scelta", "")).strip()
        address = str(form.get("indirizzo", "")).strip()[:300] or choice[:300]
        town = str(form.get("comune", "")).strip()[:100] or None
        if "|" in choice and not form.get("indirizzo"):
            town, address = choice.split("|", 1)
        if not all(key) or not address:
            return self.message(ctx, ui("not_found", self.lang), 400)
        self.desk.correct(ctx.account, key, address, town)  # type: ignore[arg-type]
        return self.finish(ctx, RedirectResponse("/revisione", status_code=303))

    # -- preview, publish, rollback -------------------------------------------------------
    def _start_build(self, ctx: Ctx, kind: str, work: Any) -> Response:
        jobs = self.desk.jobs
        if not jobs.build_lock.acquire(blocking=False):
            return self.message(ctx, ui("busy", self.lang), 409)
        assert ctx.account is not None
        account = ctx.account
        job = jobs.submit(kind, account.username, None, lambda j: work(account, j),
                          error_message=lambda e: error_text(e, self.lang), release=jobs.build_lock)
        return self.finish(ctx, RedirectResponse(f"/lavori/{job.id}", status_code=303))

    async def preview(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx, coordinator=True)) is not None:
            return r
        if request.method == "GET":
            ready = (self.desk.preview_dir / "index.html").exists() or (self.desk.preview_dir / "manifest.json").exists()
            files = sorted(p.relative_to(self.desk.preview_dir).as_posix()
                           for p in self.desk.preview_dir.glob("*.html")) if ready else []
            atlas = sorted(p.relative_to(self.desk.preview_dir).as_posix()
                           for p in self.desk.preview_dir.glob("atlas/*.html")) if ready else []
            return self.render(ctx, "preview.html.j2", ready=ready, files=files, atlas=atlas)
        form = await self.form(request, ctx)
        if isinstance(form, Response):
            return form
        return self._start_build(ctx, "anteprima", self.desk.preview)

    def preview_file(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx, coordinator=True)) is not None:
            return r
        root = self.desk.preview_dir.resolve()
        target = (root / request.path_params["path"]).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return self.message(ctx, ui("not_found", self.lang), 404)
        resp = FileResponse(target)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp

    def publications(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx, coordinator=True)) is not None:
            return r
        return self.render(ctx, "history.html.j2", pubs=self.desk.history(),
                           running=bool(self.desk.jobs.running("pubblicazione")))

    async def publish(self, request: Request) -> Response:
        got = await self.coordinator_form(request)
        if isinstance(got, Response):
            return got
        ctx, form = got
        return self._start_build(ctx, "pubblicazione", self.desk.publish)

    async def rollback(self, request: Request) -> Response:
        got = await self.coordinator_form(request)
        if isinstance(got, Response):
            return got
        ctx, form = got
        pub_id = int(request.path_params["pub_id"])
        if self.desk.db.publication(pub_id) is None:
            return self.message(ctx, ui("not_found", self.lang), 404)
        return self._start_build(ctx, "ripristino", lambda acc, job: self.desk.rollback(acc, pub_id))

    # -- accounts and audit ---------------------------------------------------------------
    async def accounts(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx, coordinator=True)) is not None:
            return r
        assert ctx.account is not None
        values: dict[str, Any] = {}
        if request.method == "POST":
            form = await self.form(request, ctx)
            if isinstance(form, Response):
                return form
            role = str(form.get("ruolo", ""))
            partner = str(form.get("associazione", "")) or None
            if role not in ROLES or (role == "partner" and partner not in self.desk.partners):
                values["error"] = ui("choose_partner", self.lang)
            elif form.get("azione") == "invito":
                token = self.desk.db.add_invite(role, partner if role == "partner" else None, ctx.account.username)
                values["invite"] = str(request.url_for("invite", token=token))
                self.desk.db.log(ctx.account.username, "invito", f"{role} {partner or ''}")
            else:
                username = str(form.get("username", "")).strip()
                password = str(form.get("password", ""))
                values["error"] = self._add_account(username, password, role, partner, ctx.account.username)
                if values["error"] is None:
                    values["ok"] = ui("account_added", self.lang)
        return self.render(ctx, "accounts.html.j2", accounts=self.desk.db.accounts(), **values)

    def _add_account(self, username: str, password: str, role: str, partner: str | None,
                     by: str | None) -> str | None:
        if not _USERNAME.fullmatch(username):
            return ui("bad_username", self.lang)
        if (p := password_problem(password, self.lang)) is not None:
            return p
        if self.desk.db.account(username) is not None:
            return ui("account_exists", self.lang)
        self.desk.db.add_account(username, hash_password(password), role, partner if role == "partner" else None, by)
        self.desk.db.log(by, "utente_creato", f"{username} ({role} {partner or ''})")
        return None

    async def invite(self, request: Request) -> Response:
        ctx = self.context(request)
        token = request.path_params["token"]
        inv = self.desk.db.invite(token)
        if inv is None:
            return self.message(ctx, ui("invite_bad", self.lang), 404)
        values: dict[str, Any] = {"invite": inv}
        if request.method == "POST":
            form = await self.form(request, ctx)
            if isinstance(form, Response):
                return form
            err = self._add_account(str(form.get("username", "")).strip(), str(form.get("password", "")),
                                    inv["role"], inv["partner"], inv["created_by"])
            if err is None:
                self.desk.db.use_invite(token)
                return self.finish(ctx, RedirectResponse("/accesso", status_code=303))
            values["error"] = err
        return self.render(ctx, "invite.html.j2", **values)

    def audit(self, request: Request) -> Response:
        ctx = self.context(request)
        if (r := self.need(request, ctx, coordinator=True)) is not None:
            return r
        return self.render(ctx, "audit.html.j2", lines=self.desk.db.audit())


def create_app(settings: Settings, *, local: bool = True, secure_cookies: bool = False,
               max_upload_mb: float = 20, max_files: int = 12, workers: int = 2) -> Starlette:
    """The desk's ASGI application for a project.

    Parameters
    ----------
    settings : Settings
        The project (its store's folder holds the desk's tables and files).
    local : bool
        Served on the loopback only: without accounts, no login (one local user).
    secure_cookies : bool
        Session cookie only over HTTPS (behind a reverse proxy).
    max_upload_mb : float
        Largest file accepted.
    max_files : int
        Files per upload.
    workers : int
        Background threads.

    Returns
    -------
    Starlette
        With ``app.state.desk`` (the :class:`~fragmap.desk.service.Desk`).

    Examples
    --------
    >>> app = create_app(load_settings("fragmap.toml"))   # doctest: +SKIP
    """
    desk = Desk(settings, max_upload_mb=max_upload_mb, workers=workers)
    d = DeskApp(desk, local=local, secure_cookies=secure_cookies, max_files=max_files)
    static = Path(__file__).parent / "static"
    routes = [
        Route("/", d.board),
        Route("/accesso", d.login, methods=["GET", "POST"]),
        Route("/esci", d.logout, methods=["POST"]),
        Route("/invio", d.upload, methods=["GET", "POST"]),
        Route("/lavori/{job_id:str}", d.job_page),
        Route("/lavori/{job_id:str}/stato", d.job_json),
        Route("/file", d.files),
        Route("/file/scarti.csv", d.rejected_download),
        Route("/file/{upload_id:int}/scarti.csv", d.rejected_download),
        Route("/revisione", d.review),
        Route("/revisione/aggiorna", d.review_refresh, methods=["POST"]),
        Route("/revisione/correggi", d.review_correct, methods=["POST"]),
        Route("/anteprima", d.preview, methods=["GET", "POST"]),
        Route("/anteprima/vedi/{path:path}", d.preview_file),
        Route("/pubblicazioni", d.publications),
        Route("/pubblica", d.publish, methods=["POST"]),
        Route("/pubblicazioni/{pub_id:int}/ripristina", d.rollback, methods=["POST"]),
        Route("/utenti", d.accounts, methods=["GET", "POST"]),
        Route("/invito/{token:str}", d.invite, methods=["GET", "POST"], name="invite"),
        Route("/registro", d.audit),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        key = "not_found" if code in (404, 405) else "too_large_request" if code in (400, 413) else "not_found"
        if code >= 500:
            return HTMLResponse(f"<p>{ui('not_found', desk.language)}</p>", status_code=500)
        return HTMLResponse(f"<!doctype html><p>{ui(key, desk.language)}</p>", status_code=code)

    async def server_error(request: Request, exc: Exception) -> Response:
        text = error_text(exc, desk.language)
        from html import escape

        return HTMLResponse(f"<!doctype html><p>{escape(text)}</p>", status_code=500)

    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    # On the loopback, only the loopback's names: a web page cannot reach the desk by DNS rebinding.
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "[::1]", "::1"])] if local else []
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: not_found, Exception: server_error})
    app.state.desk = desk
    app.state.desk_app = d
    return app
