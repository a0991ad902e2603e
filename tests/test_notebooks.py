"""The planners' notebooks run top to bottom on the shipped demo data, offline."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from test_pipeline import _config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_four_notebooks_with_outputs_stripped() -> None:
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: strip outputs before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, demo_settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGMAP_CONFIG", str(_config(_with_store_dir(demo_settings))))
    monkeypatch.setenv("FRAGMAP_HEADLESS", "1")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    images = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {}))
    tables = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs if "text/html" in o.get("data", {}))
    assert images + tables >= 2, "a notebook should show figures or tables"


def _with_store_dir(s):
    s.paths.store.parent.mkdir(parents=True, exist_ok=True)
    return s
