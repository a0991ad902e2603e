"""The planners' notebooks run top to bottom on the shipped demo data, offline, and show figures.

The notebooks share one temporary project folder (store, gazetteer, geocoding cache), as a
planner's notebooks share ``data/private/``: the first one ingests and geocodes, the others
find the work done. Each notebook still ingests on its own (idempotent), so each also runs
alone on a clean clone.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from factories import demo_project_file, demo_project_settings

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Figures each notebook must show (at least).
MIN_IMAGES = {"01_giro_dei_dati": 2, "02_dove_cresce_la_fragilita": 6, "03_servizi_e_copertura": 2,
              "04_porta_i_tuoi_dati": 2}
#: Calls that read report-level (private) data: only after a "Sezione privata" heading.
PRIVATE_CALLS = re.compile(r"\.(report_points|geocoded|reports|assigned|cube|fingerprint)\(")
#: A cell whose value is a matplotlib object prints its repr (end the cell with ";" or assign it).
REPR = re.compile(r"^(\[?<matplotlib\.|Text\(|<Figure size|<Axes)")


def test_there_are_four_notebooks_with_outputs_stripped() -> None:
    assert [p.stem for p in NOTEBOOKS] == sorted(MIN_IMAGES)
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert set(nb.metadata) <= {"kernelspec", "language_info"}, f"{path.name}: keep notebook metadata minimal"
        for cell in nb.cells:
            assert not {k for k in cell.metadata if k not in ("tags",)}, f"{path.name}: cell metadata"
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: strip outputs before committing"


def test_private_data_only_in_labelled_private_sections() -> None:
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        private = False
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
                private = "Sezione privata" in cell.source.splitlines()[0]
            if cell.cell_type == "code" and PRIVATE_CALLS.search(cell.source):
                assert private, f"{path.name}: private data read outside a 'Sezione privata' section:\n{cell.source}"


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped demo project with its private folder and output in one temporary folder."""
    return demo_project_file(demo_project_settings(tmp_path_factory.mktemp("notebooks")))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, demo_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGMAP_CONFIG", str(demo_config))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the notebooks choose the inline backend themselves
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [(c, o) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    images = sum(1 for _, o in outputs if "image/png" in o.get("data", {}))
    assert images >= MIN_IMAGES[path.stem], f"{path.name}: {images} figure(s) shown"
    for cell, o in outputs:
        if o.output_type == "stream" and o.name == "stderr":
            assert "Warning" not in o.text, f"{path.name}: a warning is shown to the planner:\n{o.text}"
        if o.output_type == "execute_result":
            text = o.get("data", {}).get("text/plain", "")
            assert not REPR.match(text), f"{path.name}: the cell prints {text[:60]!r}:\n{cell.source}"
