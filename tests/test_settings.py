from __future__ import annotations

from pathlib import Path

import pytest

from fragmap import SettingsError, load_settings
from fragmap.settings import default_settings


TOWN = '[[towns]]\nname = "Voghera"\nistat = "018182"\n\n'
NETWORK = '[[partners]]\ncode = "auser"\nname = "Auser"\n\n[[categories]]\ncode = "anziani"\nlabel_it = "Anziani"\n\n'


def write(tmp_path: Path, text: str) -> Path:
    """A project file with ``text`` and, unless it lists its own, one town (a file needs one)."""
    p = tmp_path / "fragmap.toml"
    text = text if "[[towns]]" in text else TOWN + text
    p.write_text(text if "[[partners]]" in text else NETWORK + text, encoding="utf-8")
    return p


def test_defaults_are_safe() -> None:
    s = default_settings(".")
    assert s.privacy.threshold == 5
    assert s.language == "it"
    # the library names no town, partner or category: every network brings its own
    assert s.town_names == () and s.partners == () and s.categories == ()


def test_a_project_without_towns_says_how_to_add_them(tmp_path: Path) -> None:
    p = tmp_path / "fragmap.toml"
    p.write_text('[project]\nname = "Rete Voghera"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(p)
    msg = str(err.value)
    assert "nessun comune" in msg and "[[towns]]" in msg and "fragmap nuovo" in msg
    p.write_text('[project]\nlanguage = "en"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="lists no comune"):
        load_settings(p)
    p.write_text('[[towns]]\nname = "Voghera"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="istat"):
        load_settings(p)
    p.write_text(TOWN, encoding="utf-8")  # towns but no partners: said, with an example
    with pytest.raises(SettingsError, match=r"associazioni \(\[\[partners\]\]\)"):
        load_settings(p)
    p.write_text(TOWN + '[[partners]]\nname = "Auser"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="manca 'code'"):
        load_settings(p)


def test_towns_codes_and_levels_come_from_the_project_file(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, '[project]\nname = "Rete Oltrepò"\nlevels = ["rete", "comuni"]\n\n'
                                      '[[towns]]\nname = "Voghera"\nistat = 18182\ncode = "VOG"\n\n'
                                      '[[towns]]\nname = "Mortara"\nistat = "018102"\n'))
    assert s.town_codes == {"Voghera": "VOG", "Mortara": "018102"}  # ISTAT code when no code is given
    assert s.levels == ("rete", "comuni") and s.display_name == "Rete Oltrepò"
    with pytest.raises(SettingsError, match="levels"):
        load_settings(write(tmp_path, '[project]\nlevels = ["quartieri"]\n'))
    with pytest.raises(SettingsError, match="stesso codice 'X'"):
        load_settings(write(tmp_path, '[[towns]]\nname = "A"\nistat = "1"\ncode = "X"\n'
                                      '[[towns]]\nname = "B"\nistat = "2"\ncode = "X"\n'))


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
    with pytest.raises(SettingsError, match="nope.toml: file di progetto non trovato"):
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
