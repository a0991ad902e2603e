from __future__ import annotations

from pathlib import Path

import pytest

from fragmap.io.publish import recover, staging_folder, swap_in, write_json


def test_swap_replaces_the_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    (out / "old.html").write_text("old")
    with staging_folder(out) as tmp:
        (tmp / "new.html").write_text("new")
        swap_in(tmp, out)
    assert (out / "new.html").read_text() == "new"
    assert not (out / "old.html").exists()
    assert (out / "README.md").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["maps"]  # no leftovers


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
