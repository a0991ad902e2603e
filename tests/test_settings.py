from __future__ import annotations

from pathlib import Path

import pytest

from fragmap import SettingsError, load_settings
from fragmap.settings import default_settings


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "fragmap.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_are_safe() -> None:
    s = default_settings(".")
    assert s.privacy.threshold == 5
    assert s.language == "it"
    assert s.town_names == ("Pavia", "Vigevano")


@pytest.mark.parametrize("value", [0, 1, 2])
def test_threshold_below_three_is_refused(tmp_path: Path, value: int) -> None:
    with pytest.raises(SettingsError, match="privacy.threshold"):
        load_settings(write(tmp_path, f"[privacy]\nthreshold = {value}\n"))


def test_threshold_three_is_accepted(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[privacy]\nthreshold = 3\n")).privacy.threshold == 3


def test_paths_resolve_against_project_folder(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, '[paths]\nreports = ["in/a.csv"]\noutput = "out"\n'))
    assert s.paths.reports == (tmp_path / "in/a.csv",)
    assert s.paths.output == tmp_path / "out"
    assert s.paths.quarters is None


def test_unknown_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="treshold"):
        load_settings(write(tmp_path, "[privacy]\ntreshold = 5\n"))


def test_bad_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="language"):
        load_settings(write(tmp_path, '[project]\nlanguage = "fr"\n'))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[privacy]\nshow_zero = "no"\n', "show_zero"),           # a string is always truthy
        ('[privacy]\nthreshold = 5.5\n', "threshold"),
        ('[geocoding]\nonline = 1\n', "online"),
        ('[access]\nthresholds_min = [5, "10"]\n', "thresholds_min"),
        ('[classification]\nk = "5"\n', "k"),
        ('[project]\nsynthetic = "yes"\n', "synthetic"),
    ],
)
def test_values_of_the_wrong_type_are_refused_by_name(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(write(tmp_path, text))


def test_whole_numbers_are_accepted_where_a_decimal_is_expected(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, "[access]\nwalking_speed_kmh = 4\nthresholds_min = [5, 10, 20]\n"))
    assert s.access.walking_speed_kmh == 4.0 and isinstance(s.access.walking_speed_kmh, float)
    assert s.access.thresholds_min == (5, 10, 20)
