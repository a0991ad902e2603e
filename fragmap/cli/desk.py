"""``fragmap sportello`` (alias ``fragmap desk``): the desk in the browser, and its accounts."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from fragmap.cli._common import config_option, get_settings, main
from fragmap.i18n import translate

_MESSAGES: dict[str, dict[str, str]] = {
    "refuse_host": {
        "it": "Lo sportello ascolta su {host} solo se esistono utenti con password: senza utenti "
              "chiunque in rete entrerebbe come coordinatore. Creare prima un utente con "
              "`fragmap sportello utente aggiungi NOME --ruolo coordinatore`, oppure usarlo solo su "
              "questo computer (senza --host).",
        "en": "The desk listens on {host} only when accounts with passwords exist: without them "
              "anyone on the network would enter as the coordinator. First create an account with "
              "`fragmap sportello utente aggiungi NAME --ruolo coordinatore`, or use it on this "
              "computer only (without --host).",
    },
    "missing_extra": {
        "it": "Lo sportello richiede pacchetti aggiuntivi: pip install \"fragmap[desk]\" ({error})",
        "en": "The desk needs extra packages: pip install \"fragmap[desk]\" ({error})",
    },
    "listening": {"it": "Sportello aperto su {url} (Ctrl+C per chiudere)",
                  "en": "Desk open at {url} (Ctrl+C to close)"},
    "added": {"it": "utente {name} creato ({role}{partner})", "en": "account {name} created ({role}{partner})"},
    "need_partner": {"it": "per il ruolo partner indicare --associazione, una di: {codes}",
                     "en": "for the partner role give --associazione, one of: {codes}"},
    "exists": {"it": "esiste già un utente {name}", "en": "an account {name} already exists"},
    "removed": {"it": "utente {name} disattivato", "en": "account {name} deactivated"},
    "invite": {"it": "link di invito (valido 7 giorni, una volta): {url}",
               "en": "invite link (valid 7 days, once): {url}"},
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this computer only (127.x, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@main.group(name="sportello", invoke_without_command=True)
@config_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; beyond this computer only with accounts.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port.")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option("--max-mb", default=20.0, show_default=True, type=float, help="Largest file accepted, in MB.")
@click.option("--https-cookies", is_flag=True,
              help="Session cookie only over HTTPS (set it behind an HTTPS reverse proxy).")
@click.pass_context
def sportello(ctx: click.Context, config: Path | None, host: str, port: int, no_browser: bool,
              max_mb: float, https_cookies: bool) -> None:
    """Open the network's desk in the browser: upload, review, preview, publish.

    On this computer alone (the default, 127.0.0.1) it needs no login. To serve
    partners on a small server, create accounts first and put it behind an HTTPS
    reverse proxy (see the README); without accounts it refuses any other address.

    \b
    Example:
        fragmap sportello
        fragmap sportello utente aggiungi anna --ruolo coordinatore
        fragmap sportello --host 0.0.0.0 --https-cookies
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"config": config}
        return
    settings = get_settings(config)
    lang = settings.language
    try:
        import uvicorn

        from fragmap.desk.app import create_app
        from fragmap.desk.db import DeskDB
    except ImportError as exc:
        raise click.ClickException(translate(_MESSAGES, "missing_extra", lang, error=exc)) from exc
    local = is_loopback(host) and not https_cookies  # behind a proxy: never the no-login mode
    db_path = settings.paths.store.parent / "sportello.sqlite"
    if not local and not (db_path.exists() and DeskDB(db_path).has_accounts()):
        raise click.ClickException(translate(_MESSAGES, "refuse_host", lang, host=host))
    app = create_app(settings, local=local, secure_cookies=https_cookies, max_upload_mb=max_mb)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    click.echo(translate(_MESSAGES, "listening", lang, url=url))
    if not no_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=not local, forwarded_allow_ips="127.0.0.1")


main.add_command(sportello, name="desk")


@sportello.group(name="utente")
def utente() -> None:
    """Desk accounts: created by the coordinator, never by self-registration.

    \b
    Example:
        fragmap sportello utente aggiungi anna --ruolo coordinatore
    """


def _db(ctx: click.Context) -> tuple[object, str, dict[str, str]]:
    from fragmap.desk.db import DeskDB

    config = ctx.find_object(dict).get("config") if ctx.find_object(dict) else None
    settings = get_settings(config)
    db = DeskDB(settings.paths.store.parent / "sportello.sqlite")
    return db, settings.language, {p.code: p.name for p in settings.partners}


@utente.command(name="aggiungi")
@click.argument("name")
@click.option("--ruolo", type=click.Choice(["partner", "coordinatore"]), required=True, help="Role.")
@click.option("--associazione", default=None, help="Partner code (role partner).")
@click.password_option("--password", help="Password (asked when not given; at least 10 characters).")
@click.pass_context
def aggiungi(ctx: click.Context, name: str, ruolo: str, associazione: str | None, password: str) -> None:
    """Create a desk account with a password (hashed with argon2).

    \b
    Example:
        fragmap sportello utente aggiungi torri1 --ruolo partner --associazione le_torri
    """
    from fragmap.desk.security import hash_password, password_problem

    db, lang, partners = _db(ctx)
    if ruolo == "partner" and associazione not in partners:
        raise click.ClickException(translate(_MESSAGES, "need_partner", lang, codes=", ".join(partners)))
    if (p := password_problem(password, lang)) is not None:
        raise click.ClickException(p)
    if db.account(name) is not None:  # type: ignore[attr-defined]
        raise click.ClickException(translate(_MESSAGES, "exists", lang, name=name))
    db.add_account(name, hash_password(password), ruolo,  # type: ignore[attr-defined]
                   associazione if ruolo == "partner" else None, "cli")
    db.log("cli", "utente_creato", f"{name} ({ruolo} {associazione or ''})")  # type: ignore[attr-defined]
    click.echo(translate(_MESSAGES, "added", lang, name=name, role=ruolo,
                         partner=f", {associazione}" if ruolo == "partner" else ""))


@utente.command(name="rimuovi")
@click.argument("name")
@click.pass_context
def rimuovi(ctx: click.Context, name: str) -> None:
    """Deactivate a desk account (its sessions end at once).

    \b
    Example:
        fragmap sportello utente rimuovi torri1
    """
    db, lang, _ = _db(ctx)
    db.deactivate(name)  # type: ignore[attr-defined]
    db.log("cli", "utente_disattivato", name)  # type: ignore[attr-defined]
    click.echo(translate(_MESSAGES, "removed", lang, name=name))


@utente.command(name="invito")
@click.option("--ruolo", type=click.Choice(["partner", "coordinatore"]), required=True, help="Role.")
@click.option("--associazione", default=None, help="Partner code (role partner).")
@click.option("--url", default="http://127.0.0.1:8765", show_default=True, help="The desk's public address.")
@click.pass_context
def invito(ctx: click.Context, ruolo: str, associazione: str | None, url: str) -> None:
    """Print a one-time invite link: the person chooses their own password.

    \b
    Example:
        fragmap sportello utente invito --ruolo partner --associazione anffas --url https://sportello.example.org
    """
    db, lang, partners = _db(ctx)
    if ruolo == "partner" and associazione not in partners:
        raise click.ClickException(translate(_MESSAGES, "need_partner", lang, codes=", ".join(partners)))
    token = db.add_invite(ruolo, associazione if ruolo == "partner" else None, "cli")  # type: ignore[attr-defined]
    click.echo(translate(_MESSAGES, "invite", lang, url=f"{url.rstrip('/')}/invito/{token}"))
