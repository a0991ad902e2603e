from __future__ import annotations

from pathlib import Path

import pytest

from factories import demo_network_toml
from fragmap import OutputFolderError, SettingsError
from fragmap.io.publish import MARKER, recover, replace_folder, staging_folder, swap_in, write_json
from fragmap.settings import load_settings


def test_swap_replaces_the_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    (out / MARKER).write_text("")
    (out / "old.html").write_text("old")
    with staging_folder(out) as tmp:
        (tmp / "new.html").write_text("new")
        swap_in(tmp, out)
    assert (out / "new.html").read_text() == "new"
    assert not (out / "old.html").exists()
    assert (out / "README.md").exists() and (out / MARKER).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["maps"]  # no leftovers
    with staging_folder(out) as tmp:  # and the next run may replace what this one published
        swap_in(tmp, out)


def test_the_swap_never_deletes_a_folder_fragmap_did_not_publish(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    (out / "store.sqlite").write_bytes(b"reports")
    with staging_folder(out) as tmp:
        with pytest.raises(OutputFolderError, match="store.sqlite"):
            swap_in(tmp, out)
    assert (out / "store.sqlite").read_bytes() == b"reports"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps"]
    staged = tmp_path / "staged"
    staged.mkdir()
    with pytest.raises(OutputFolderError, match="non è una cartella pubblicata da fragmap"):
        replace_folder(staged, out)
    assert (out / "store.sqlite").exists() and staged.exists()


@pytest.mark.parametrize(
    ("paths", "why"),
    [
        ('output = "data/private"', "è la cartella privata"),
        ('output = "."', "è la cartella del progetto"),
        ('output = ".."', "contiene la cartella del progetto"),
        ('output = "/"', "contiene la cartella del progetto"),
        ('output = "data"', "è la cartella dei dati"),
        ('output = "data/pubblico"', "sta dentro la cartella dei dati"),
        ('output = "data/private/cache"', "è la cache"),
        ('output = "maps"\nstore = "maps/archivio.sqlite"', "è la cartella privata"),
        ('output = "maps"\ncache_dir = "maps/cache"', "contiene la cache"),
        ('output = "maps"\ngeodata = "maps/geodati"', "contiene la cartella dei geodati"),
        ('output = "esportazioni"\nreports = ["esportazioni/*.csv"]', "è i file delle segnalazioni"),
        ('output = "esportazioni/mappe"\nreports = ["esportazioni/*.csv"]', "sta dentro i file delle segnalazioni"),
        ('output = "riferimenti"\nboundaries = "riferimenti/comuni.geojson"', "contiene un file di input"),
    ],
)
def test_an_output_folder_that_would_delete_data_is_refused_at_load(tmp_path: Path, paths: str, why: str) -> None:
    (tmp_path / "fragmap.toml").write_text(f"[paths]\n{paths}\n" + demo_network_toml(), encoding="utf-8")
    with pytest.raises(SettingsError, match=why):
        load_settings(tmp_path / "fragmap.toml")


def test_a_safe_output_folder_loads(tmp_path: Path) -> None:
    (tmp_path / "fragmap.toml").write_text('[paths]\noutput = "pubblicazione/maps"\n' + demo_network_toml(),
                                           encoding="utf-8")
    assert load_settings(tmp_path / "fragmap.toml").paths.output == tmp_path / "pubblicazione" / "maps"


def test_a_failed_build_leaves_the_published_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    (out / "index.html").write_text("last month")
    with pytest.raises(RuntimeError):
        with staging_folder(out) as tmp:
            (tmp / "index.html").write_text("half built")
            raise RuntimeError("audit failed")
    assert (out / "index.html").read_text() == "last month"
    assert [p.name for p in tmp_path.iterdir()] == ["maps"]


def test_recover_restores_after_an_interrupted_swap(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    previous = tmp_path / ".maps.previous"
    previous.mkdir()
    (previous / "index.html").write_text("last month")
    assert recover(out)
    assert (out / "index.html").read_text() == "last month"
    assert not recover(out)


def test_write_json_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_json(a, {"b": 1, "a": [1, 2]})
    write_json(b, {"a": [1, 2], "b": 1})
    assert a.read_bytes() == b.read_bytes()


def test_run_refuses_an_output_folder_with_files_it_did_not_write(settings) -> None:
    from fragmap.pipeline import run

    out = settings.paths.output
    out.mkdir(parents=True)
    (out / "tesi.docx").write_bytes(b"someone's work")
    with pytest.raises(OutputFolderError, match="tesi.docx"):
        run(settings)
    assert (out / "tesi.docx").read_bytes() == b"someone's work"
