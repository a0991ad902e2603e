"""A visible private line: project.private warns once and labels; a publication cannot be edited (#19.7)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from fragmap import PrivacyError
from fragmap.private import PrivateDataWarning

from test_privacy import published  # noqa: F401  (module fixture: a suppressed publication)


def test_publication_tables_are_read_only(published) -> None:  # noqa: F811
    pub = published[3]
    hidden = pub.table.index[pub.table["suppressed"]][0]
    with pytest.raises(ValueError, match="read-only"):
        pub.table.loc[hidden, "value"] = 2.0
    with pytest.raises(ValueError, match="read-only"):
        pub.table.loc[hidden, "suppressed"] = False
    pub.verify()  # untouched: passes


def test_save_figure_refuses_a_publication_changed_in_place(published, tmp_path: Path) -> None:  # noqa: F811
    """The issue's attack: unlock a hidden cell, give it 2, draw, save. The figure is refused."""
    from fragmap.explore import plot_choropleth, save_figure

    pub = published[3]
    t = pub.table
    for block in t._mgr.blocks:  # what a determined user could do
        block.values.flags.writeable = True
    try:
        i = t.index[t["suppressed"] & (t["level"] == "quarter") & (t["month"] == pub.month)][0]
        t.loc[i, ["value", "suppressed", "reason"]] = [2.0, False, ""]
        fig = plot_choropleth(pub, column="value")
        with pytest.raises(PrivacyError):
            save_figure(fig, tmp_path, "x", project=None)
        assert not list(tmp_path.iterdir())
    finally:
        t.loc[i, ["value", "suppressed", "reason"]] = [float("nan"), True, "primary"]


def test_private_namespace_warns_once_and_labels(tmp_path: Path) -> None:
    from factories import demo_project_settings

    from fragmap.pipeline import Project

    p = Project(demo_project_settings(tmp_path))
    p.ingest()
    with pytest.warns(PrivateDataWarning, match="project.private"):
        pts = p.private.report_points("2026-10")
    assert pts.attrs["fragmap"].startswith("PRIVATO")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrivateDataWarning)  # once per project, not at every call
        cube = p.private.cube("2026-10")
    assert cube.attrs["fragmap"].startswith("PRIVATO") and ((cube["count"] > 0) & (cube["count"] < 5)).any()
    assert "PRIVATE" in repr(p.private)
