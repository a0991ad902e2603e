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


# -- issue #16 item 3: settings validated by pydantic, errors naming the TOML key -------------------------
def test_a_postal_code_written_as_text_is_one_code_not_five_digits(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, '[[towns]]\nname = "Pavia"\nistat = "018110"\ncap = "27100"\n\n'
                                      '[[towns]]\nname = "Vigevano"\nistat = "018177"\ncap = 27029\n\n'
                                      '[[towns]]\nname = "Voghera"\nistat = "018182"\ncap = ["27058", 27050]\n'))
    assert [t.cap for t in s.towns] == [("27100",), ("27029",), ("27058", "27050")]


@pytest.mark.parametrize(("language", "said"), [("it", "[[towns]] n. 2: manca 'name'"),
                                                ("en", "[[towns]] no. 2: 'name' is missing")])
def test_a_town_without_name_is_named_by_position(tmp_path: Path, language: str, said: str) -> None:
    p = write(tmp_path, f'[project]\nlanguage = "{language}"\n\n' + TOWN + '[[towns]]\nistat = "018102"\n')
    with pytest.raises(SettingsError) as err:
        load_settings(p)
    msg = str(err.value)
    assert msg.startswith(str(p)) and said in msg and "Traceback" not in msg
    assert "KeyError" not in msg and "pydantic" not in msg


def test_an_unknown_key_is_refused_with_the_closest_known_one(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(write(tmp_path, '[[towns]]\nname = "Voghera"\nistat = "018182"\ncodice = "VOG"\n'))
    assert "[[towns]] n. 1: chiave sconosciuta 'codice' (forse 'code'?)" in str(err.value)
    with pytest.raises(SettingsError, match=r"'treshold' \(forse 'threshold'\?\)"):
        load_settings(write(tmp_path, "[privacy]\ntreshold = 5\n"))
    with pytest.raises(SettingsError, match=r"'pathz' \(forse 'paths'\?\)"):
        load_settings(write(tmp_path, '[pathz]\noutput = "maps"\n'))
    with pytest.raises(SettingsError, match=r"project: chiave sconosciuta 'nome'"):
        load_settings(write(tmp_path, '[project]\nnome = "Rete"\n'))


@pytest.mark.parametrize("language", ["it", "en"])
def test_threshold_two_is_refused_with_the_reason(tmp_path: Path, language: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(write(tmp_path, f'[project]\nlanguage = "{language}"\n[privacy]\nthreshold = 2\n'))
    msg = str(err.value)
    assert "privacy.threshold = 2" in msg
    assert ("regola statistica italiana" if language == "it" else "Italian statistical rule") in msg


def test_unsafe_values_cannot_be_built_in_python_either() -> None:
    import dataclasses

    import pydantic

    from fragmap.settings import Privacy, Town

    s = default_settings(".")
    with pytest.raises(pydantic.ValidationError):
        Privacy(threshold=2)
    with pytest.raises(pydantic.ValidationError):
        dataclasses.replace(s.privacy, threshold=1)  # replace builds anew, so it validates
    with pytest.raises(SettingsError, match="privacy.threshold = 2"):
        s.replace(privacy=dataclasses.replace(s.privacy, threshold=3)).replace(privacy=_privacy_2())
    with pytest.raises(SettingsError, match=r"language = \"fr\""):
        s.replace(language="fr")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.language = "en"  # type: ignore[misc]
    assert Town("Voghera", "18182").istat == "018182"
    assert Town("Voghera", "018182", "27058").cap == ("27058",)


def _privacy_2():  # type: ignore[no-untyped-def]
    """A Privacy with threshold 2, built around the type check, as a careless caller might."""
    from fragmap.settings import Privacy

    p = Privacy()
    object.__setattr__(p, "threshold", 2)
    return p


def test_a_project_file_takes_the_library_defaults_for_what_it_leaves_out(tmp_path: Path) -> None:
    s, d = load_settings(write(tmp_path, "")), default_settings(tmp_path)
    for key in ("name", "name_en", "levels", "language", "start_date", "synthetic", "actions", "age_bands",
                "privacy", "quarters", "classification", "geocoding", "access"):
        assert getattr(s, key) == getattr(d, key), key
    assert s.paths == d.paths
    assert load_settings(write(tmp_path, "[project]\nstart_date = 2025-03-01\n")).start_date == "2025-03-01"


# Hostile or clumsy project files: each gives one plain message naming the file, the key and the fault.
HOSTILE = [
    ("[privacy]\nthreshold = 2.5\n", "privacy.threshold = 2.5: deve essere un numero intero"),
    ("[privacy]\nthreshold = inf\n", "privacy.threshold"),
    ("[privacy]\nthreshold = -10\n", "privacy.threshold = -10"),
    ('[privacy]\nthreshold = "5"\n', 'privacy.threshold = "5": deve essere un numero intero'),
    ("[privacy]\nmin_quarter_population = -1\n", "privacy.min_quarter_population = -1: deve essere almeno 0"),
    ('[privacy]\nshow_zero = "no"\n', "privacy.show_zero = \"no\": deve essere true o false"),
    ("[access]\nwalking_speed_kmh = nan\n", "access.walking_speed_kmh = NaN: deve essere un numero finito"),
    ("[access]\nwalking_speed_kmh = 0\n", "access.walking_speed_kmh = 0: deve essere maggiore di 0"),
    ("[access]\ndetour_factor = 0.5\n", "access.detour_factor = 0.5: deve essere almeno 1"),
    ("[access]\nthresholds_min = [5, 0]\n", "access.thresholds_min (elemento n. 2) = 0"),
    ("[access]\nthresholds_min = 5\n", "access.thresholds_min = 5: deve essere una lista"),
    ("[classification]\nk = 12\n", "classification.k = 12: deve essere al massimo 9"),
    ("[quarters]\nhex_size_m = -1\n", "quarters.hex_size_m = -1: deve essere maggiore di 0"),
    ("[geocoding]\nmin_delay_s = 0.5\n", "geocoding.min_delay_s = 0.5: il servizio pubblico Nominatim"),
    ("[paths]\nquarters = 5\n", "paths.quarters = 5: deve essere un percorso"),
    ('[paths]\nreports = "a.csv"\n', 'paths.reports = "a.csv": deve essere una lista'),
    ("[paths]\nreports = [1]\n", "paths.reports (elemento n. 1) = 1: deve essere un percorso"),
    ('[paths]\noutput = "data/private"\n', "è la cartella privata"),
    ("privacy = 5\n", "privacy = 5: deve essere una tabella [privacy]"),
    ('[project]\nlanguage = "fr"\n', "project.language = \"fr\": scegliere tra 'it', 'en'"),
    ("[project]\nlevels = []\n", "project.levels = []: non può essere vuota"),
    ('[project]\nlevels = ["quartieri"]\n', "project.levels (elemento n. 1) = \"quartieri\": scegliere tra"),
    ('[project]\nstart_date = "2024-13-01"\n', 'project.start_date = "2024-13-01": non è una data'),
    ('[project]\nname = 5\n', "project.name = 5: deve essere un testo tra virgolette"),
    ("towns = 5\n", "towns = 5: deve essere una lista di blocchi [[towns]]"),
    ('[[towns]]\nname = "Voghera"\nistat = "18182x"\n', "[[towns]] n. 1, istat = \"18182x\": non ha la forma attesa"),
    ('[[towns]]\nname = "Voghera"\nistat = "018182"\ncode = "V-G"\n', "[[towns]] n. 1, code = \"V-G\""),
    ('[[towns]]\nname = "A"\nistat = "018182"\n[[towns]]\nname = "B"\nistat = "018182"\n', "stesso codice"),
    ('[[partners]]\ncode = "a"\nname = "A"\naliases = "x"\n[[categories]]\ncode = "c"\nlabel_it = "C"\n',
     '[[partners]] n. 1, aliases = "x": deve essere una lista'),
    ('[[partners]]\ncode = "a"\nname = "A"\n[[categories]]\ncode = "c"\nlabel_it = "C"\npartners = ["b"]\n',
     "la categoria 'c' nomina l'associazione 'b'"),
    ('[[partners]]\ncode = "a"\nname = "A"\n[[categories]]\ncode = "c"\nlabel_it = "C"\ndenominator = "x"\n',
     "[[categories]] n. 1, denominator = \"x\": scegliere tra 'population', 'pop_65'"),
    ('[[partners]]\ncode = "a"\nname = "A"\n[[categories]]\nlabel_it = "C"\n', "[[categories]] n. 1: manca 'code'"),
    ("[privacy]\nthreshold = 5\n[privacy]\nthreshold = 6\n", "non è un file TOML valido"),
]


@pytest.mark.parametrize(("text", "said"), HOSTILE)
def test_a_hostile_project_file_gets_a_plain_message(tmp_path: Path, text: str, said: str) -> None:
    p = write(tmp_path, text)
    if not text.startswith("["):  # top-level keys come before any table
        p.write_text(text + ("" if text.startswith("towns") else TOWN) + NETWORK, encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}: ") and said in msg, msg
    for leak in ("Traceback", "pydantic", "For further information", "Input should"):
        assert leak not in msg


def test_every_fault_of_a_file_is_listed_at_once(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(write(tmp_path, "[privacy]\nthreshold = 1\n[classification]\nk = 1\n"))
    msg = str(err.value)
    assert "impostazioni non valide" in msg and "privacy.threshold = 1" in msg and "classification.k = 1" in msg


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    p = tmp_path / "fragmap.toml"
    p.write_bytes("[project]\nname = \"Rete Fragilità\"\n".encode("cp1252"))
    with pytest.raises(SettingsError, match="UTF-8"):
        load_settings(p)
