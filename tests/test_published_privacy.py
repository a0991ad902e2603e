"""Nothing personal leaves its input file (issue #14, items 4 and the planting test).

The published manifest is audited like every other published file and holds no input
names, hashes or report counts; 14 personal values planted in every place a partner
could put them (cells, headers, file names) are found nowhere fragmap writes, the
published folder, the private store and the terminal included."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from fragmap import privacy
from fragmap.cli import main
from factories import demo_defaults

from factories import demo_project_file, demo_project_settings

ROOT = Path(__file__).resolve().parent.parent

#: The planted values: e-mails, tax codes, an IBAN, phones, names, a birth date.
PLANTED = (
    "mario.rossi@example.it", "giulia.verdi@pec.it", "RSSMRA80A01G388X", "VRDGLI85M41F205Z",
    "IT60X0542811101000000123456", "3331234567", "+39 333 765 4321", "0382 526677",
    "Mario Rossi", "Giuseppina Bianchi", "sig.ra Ferrari", "la figlia Giulia", "c/o Colombo",
    "12/03/1941",
)
HEADER = "ID segnalazione;Data;Indirizzo;Comune;Categoria;Associazione;Azione;Extra"
CLEAN = [
    "{p}-1;03/10/2026;Corso Cavour 20;Pavia;Anziani;Auser Vigevano;sportello;",
    "{p}-2;04/10/2026;Strada Nuova 50;Pavia;Anziani;Auser Vigevano;sportello;",
    "{p}-3;05/10/2026;Viale Matteotti 12;Pavia;Disabilità;Anffas Pavia;laboratorio;",
]


def _file(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def plant(folder: Path) -> list[Path]:
    """One file per value and place: id, address, category, extra column, header, file name."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, v in enumerate(PLANTED):
        p = f"P{i:02d}"
        clean = [r.format(p=p) for r in CLEAN]
        row = f"{p}-9;06/10/2026;Via Roma 3;Pavia;Anziani;Auser Vigevano;sportello;"
        cells = row.split(";")
        for place, col in (("id", 0), ("indirizzo", 2), ("categoria", 4), ("extra", 7)):
            planted = list(cells)
            planted[col] = v if col in (0, 7) else f"{cells[col]} - {v}"
            _file(folder, f"{p}_{place}.csv", [HEADER, *clean, ";".join(planted)])
        _file(folder, f"{p}_intestazione.csv", [f"{HEADER};{v}", *[c + ";" for c in clean]])
        if "/" not in v:  # a file name cannot hold a slash
            _file(folder, f"segnalazioni_{v}.csv", [HEADER, *[c.replace(p, p + "F") for c in clean]])
    return sorted(folder.iterdir())


def test_the_old_full_manifest_would_fail_the_audit(tmp_path: Path) -> None:
    private_file = tmp_path / "segnalazioni_RSSMRA80A01G388X.csv"
    private_file.write_text("x", encoding="utf-8")
    from fragmap.io.publish import file_sha256

    digest = file_sha256(private_file)
    old = {
        "month": "2026-10",
        "inputs": [{"file": f"dati/{private_file.name}", "sha256": digest, "bytes": 1}],
        "counts": {"read": 4, "accepted": 3, "rejected": 1, "fuori_dai_quartieri": 2,
                   "geocoded_by_level": {"civico": 3}, "unassigned_by_reason": {"fuori": 2},
                   "quarters": 40, "published_cells": 900, "suppressed_cells": 120},
    }
    folder = tmp_path / "maps"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(old), encoding="utf-8")
    fp = privacy.fingerprint(pd.DataFrame({"lat": [], "lon": []}), private_files=[private_file.name],
                             private_hashes=[digest])
    res = privacy.audit_folder(folder, fp, demo_defaults(ROOT))
    kinds = {f.kind for f in res.findings}
    assert {"personal data", "private file name", "private file hash", "count under threshold"} <= kinds
    assert all("RSSMRA" not in str(f) and digest not in str(f) for f in res.findings)
    # what is published instead passes
    (folder / "manifest.json").write_text(json.dumps(privacy.public_manifest(old)), encoding="utf-8")
    assert privacy.audit_folder(folder, fp, demo_defaults(ROOT)).ok


def test_every_published_file_is_audited_and_a_failed_build_leaves_maps_untouched(tmp_path: Path, monkeypatch) -> None:
    """The pipeline writes the manifest and README before the audit, so the audit sees them."""
    from fragmap import pipeline

    seen: list[set[str]] = []
    real = privacy.audit_folder

    def spy(folder, *a, **k):  # type: ignore[no-untyped-def]
        seen.append({p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file()})
        return real(folder, *a, **k)

    monkeypatch.setattr(privacy, "audit_folder", spy)
    s = demo_project_settings(tmp_path)
    result = pipeline.run(s)
    published = {p.relative_to(s.paths.output).as_posix() for p in s.paths.output.rglob("*") if p.is_file()}
    assert seen and published == seen[-1]
    assert {"manifest.json", "README.md"} <= published
    public = json.loads((s.paths.output / "manifest.json").read_text(encoding="utf-8"))
    assert public == privacy.public_manifest(result.manifest)
    # a killed run left a staging folder: the next run removes it; an unchanged run is skipped
    stale = s.paths.output.parent / ".maps.build-killed"
    stale.mkdir()
    again = pipeline.run(s)
    assert again.up_to_date and not stale.exists()
    # a full disk while building: a plain message, maps/ as it was, no staging left behind
    import errno

    from fragmap import atlas
    from fragmap._errors import StoreError

    before = {p: p.read_bytes() for p in s.paths.output.rglob("*") if p.is_file()}

    def full_disk(*a, **k):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device", "maps/atlas/index.html")

    monkeypatch.setattr(atlas, "render_atlas", full_disk)
    with pytest.raises(StoreError, match="disco è pieno"):
        pipeline.run(s, force=True)
    assert {p: p.read_bytes() for p in s.paths.output.rglob("*") if p.is_file()} == before
    assert not list(s.paths.output.parent.glob(".maps.build-*"))


@pytest.mark.slow
def test_planted_personal_values_are_found_nowhere_fragmap_writes(tmp_path: Path) -> None:
    s = demo_project_settings(tmp_path / "progetto")
    planted_dir = tmp_path / "consegne"
    files = plant(planted_dir)
    assert len(files) > 70
    root = ROOT
    cfg = demo_project_file(s, **{
        f'reports = ["{root}/data/synthetic/segnalazioni_sintetiche_*"]':
            f'reports = ["{root}/data/synthetic/segnalazioni_sintetiche_*", "{planted_dir}/*.csv"]',
    })
    assert str(planted_dir) in cfg.read_text(encoding="utf-8")
    runner = CliRunner()
    ingested = runner.invoke(main, ["ingest", *map(str, files), "--config", str(cfg)])
    assert ingested.exit_code == 0, ingested.output
    ran = runner.invoke(main, ["run", "--config", str(cfg), "--quiet"])
    assert ran.exit_code == 0, ran.output
    terminal = ingested.output + ran.output
    assert "RIFIUTATO" in terminal
    written = [p for p in tmp_path.rglob("*") if p.is_file() and planted_dir not in p.parents]
    assert any(p.name == "manifest.json" for p in written) and any(p.suffix == ".sqlite" for p in written)
    assert any(p.name == "scarti.csv" for p in written)
    leaks = []
    for value in PLANTED:
        needle = value.encode("utf-8")
        for p in written:
            if needle.lower() in p.read_bytes().lower():
                leaks.append((value, str(p.relative_to(tmp_path))))
        if value.lower() in terminal.lower():
            leaks.append((value, "terminal"))
    assert leaks == [], sorted(set(leaks))
    # and the files were really read: their clean rows are in the store
    from fragmap.io.store import Store

    stored = Store(s.paths.store).reports()
    assert stored["source_file"].str.startswith("P08_").any()  # "Mario Rossi": only its rows rejected


@pytest.mark.parametrize("planted,kind", [
    ("scrivere a mario.rossi@example.it", "e-mail"), ("cf RSSMRA80A01G388X", "tax code"),
    ("IBAN IT60X0542811101000000123456", "IBAN"), ("tel. 333 123 4567.", "phone"),
    ("+39 0382 526677", "phone"),
])
def test_the_audit_finds_personal_values_in_any_published_text(planted: str, kind: str) -> None:
    fp = privacy.fingerprint(pd.DataFrame({"lat": [], "lon": []}))
    found = privacy.audit_text("pagina.html", f"<p>{planted}</p>", fp, threshold=5)
    assert [(f.kind, f.what) for f in found] == [("personal data", kind)]
    assert all(planted not in str(f) for f in found)


def test_drawings_and_coordinates_are_not_taken_for_phone_numbers() -> None:
    fp = privacy.fingerprint(pd.DataFrame({"lat": [], "lon": []}))
    svg = ('<svg viewBox="0 0 3331 2345"><path d="M 353 922 353 1747 Q 333 1234 5678 -91"/>'
           '<text x="333" y="123">2026</text></svg>')
    js = '{"coordinates": [[9.1533312345, 45.3331234567]], "id": "q-3331234567x"}'
    assert privacy.audit_text("f.svg", svg, fp, threshold=5) == []
    assert privacy.audit_text("f.json", js, fp, threshold=5) == []
