"""The CLI as a user meets it: every command documented, with an example, errors readable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from factories import demo_network_toml
from fragmap.cli import main


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        out.append((prefix + name, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, prefix + name + " "))
    return out


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    commands = _commands(main)
    assert {"run", "map", "atlas"} <= {name for name, _ in commands}
    for name, cmd in commands:
        result = runner.invoke(main, [*name.split(), "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert cmd.help, f"{name} has no help text"
        if not isinstance(cmd, click.Group):
            assert "example" in result.output.lower() or "esempio" in result.output.lower(), (
                f"`fragmap {name} --help` shows no example"
            )


def test_main_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for name in main.commands:
        assert name in result.output


def test_python_m_fragmap_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "fragmap", "--help"], capture_output=True, text=True, check=True
    )
    assert "fragmap" in out.stdout


def test_bad_month_is_explained() -> None:
    result = CliRunner().invoke(main, ["run", "--month", "10/2026"])
    assert result.exit_code == 2
    assert "2026-10" in result.output  # the message shows the expected form


def test_unsafe_settings_file_is_a_clean_error(tmp_path: Path) -> None:
    cfg = tmp_path / "fragmap.toml"
    cfg.write_text("[privacy]\nthreshold = 2\n" + demo_network_toml(), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(cfg), "--quiet"])
    assert result.exit_code == 1
    assert "threshold" in result.output
    assert "Traceback" not in result.output
