"""Shared pieces of the CLI: the command group, common options, error handling."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from fragmap import __version__
from fragmap._errors import FragmapError
from fragmap.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fragmap")
def main() -> None:
    """fragmap: maps of a fragility network's anonymised reports.

    A new project, for any comuni: fragmap nuovo CARTELLA --rete "Nome" --comune 018182

    Monthly use, in the project folder (the one with fragmap.toml):

    \b
        fragmap run --month 2026-10

    Every command has --help with an example.
    """


def config_option(f: F) -> F:
    """``--config PATH`` (default ``fragmap.toml`` in the current folder)."""
    return click.option(
        "--config",
        "-c",
        "config",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Project file (default: fragmap.toml in the current folder).",
    )(f)


def quiet_option(f: F) -> F:
    """``--quiet``: no progress bars, only errors and the final summary line."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress bars (for scheduled runs).")(f)


def month_option(required: bool = False) -> Callable[[F], F]:
    """``--month YYYY-MM``."""

    def deco(f: F) -> F:
        return click.option(
            "--month",
            "-m",
            required=required,
            callback=_check_month,
            help="Reference month, YYYY-MM (default: the last month with reports).",
        )(f)

    return deco


def _check_month(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter(f"{value!r} is not a month like 2026-10")
    return value


def get_settings(config: Path | None) -> Settings:
    """Load settings, turning errors into click errors."""
    try:
        return load_settings(config)
    except FragmapError as exc:
        raise click.ClickException(str(exc)) from exc


def handle_errors(f: F) -> F:
    """Turn library errors into one clean ``Error: ...`` line and exit code 1."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import sqlite3

        try:
            return f(*args, **kwargs)
        except FragmapError as exc:
            raise click.ClickException(str(exc)) from exc
        except (OSError, sqlite3.Error, MemoryError) as exc:
            # a failure of the machine outside the pipeline's own guard: still no traceback
            from fragmap.io.guard import describe

            message = describe(exc, _language(kwargs.get("config")))
            if message is None:  # pragma: no cover
                raise
            raise click.ClickException(message) from exc

    return wrapper  # type: ignore[return-value]


def _language(config: Path | None) -> str:
    """The project language for a last-resort message (Italian when it cannot be read)."""
    try:
        return load_settings(config).language
    except Exception:  # noqa: BLE001 - only chooses the language of an error message
        return "it"
