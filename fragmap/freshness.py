"""Whether a monthly run has anything to do: the run key and the manifests it is compared with.

Light on purpose (no pandas, geopandas or renderers): ``fragmap run`` on an unchanged month
decides here and stops before importing the pipeline (:func:`unchanged_manifest`).
:func:`fragmap.pipeline.run` makes the same decision with the same functions.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from fragmap import __version__
from fragmap.settings import Settings


def expand_inputs(patterns: tuple[Path, ...]) -> list[Path]:
    """Expand glob patterns in input paths; sorted, without duplicates."""
    out: set[Path] = set()
    for pat in patterns:
        if any(ch in str(pat) for ch in "*?["):
            out.update(Path(p) for p in glob.glob(str(pat)))
        else:
            out.add(Path(pat))
    return sorted(out)


def run_key(settings: Settings, month: str | None) -> str:
    """A fingerprint of everything a run depends on: input bytes, settings, version, month.

    Two runs with the same key publish byte-identical maps and atlas (except the
    manifest's build time), so the second can be skipped.
    """
    import dataclasses
    import hashlib

    from fragmap.io.publish import file_sha256

    h = hashlib.sha256()
    h.update(__version__.encode())
    h.update(str(month).encode())
    # Settings without the project root, so moving the folder does not force a rebuild.
    h.update(repr(dataclasses.replace(settings, root=Path("."))).replace(str(settings.root), "").encode())
    for f in _input_files(settings):
        f = Path(f)
        h.update(f.name.encode())
        h.update(file_sha256(f).encode() if f.exists() else b"missing")
    return h.hexdigest()


def _input_files(settings: Settings) -> list[Path]:
    """Every file a run reads: reports, reference data, services and the optional inputs."""
    p = settings.paths
    files = [*expand_inputs(p.reports), p.boundaries, p.population, p.streets, *p.services]
    files += [f for f in (p.quarters, p.quarter_population, p.street_network, p.candidate_sites) if f is not None]
    geodata = getattr(p, "geodata", None)  # as fragmap.io.geodata.geodata_folder
    if (Path(geodata) if geodata is not None else Path(settings.root) / "data" / "geodati").is_dir():
        from fragmap.io.geodata import geodata_files  # heavy (geopandas): only when the folder exists

        files += geodata_files(settings)  # the one-time OpenStreetMap set-up, when present
    files += [p.quarter_landmarks, p.localities, p.places]
    if settings.quarters.landmarks:
        files.append(_landmark_table(settings))
    return [Path(f) for f in files]


def _landmark_table(settings: Settings) -> Path:
    """``[quarters] landmarks``, relative to the project folder."""
    path = Path(settings.quarters.landmarks).expanduser()
    return path if path.is_absolute() else settings.root / path


def _previous_manifest(output: Path) -> dict[str, Any] | None:
    import json

    path = Path(output) / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _private_manifest_path(settings: Settings, month: str) -> Path:
    """The full manifest of a run, PRIVATE (input names, hashes, every count)."""
    return settings.paths.store.parent / f"manifest-{month}.json"


def _private_manifest(settings: Settings, public: dict[str, Any] | None) -> dict[str, Any] | None:
    """The private manifest of the run that published ``public`` (same month and build time).

    None when there is no published folder or its private twin is missing or belongs to
    another build (a run killed between the two writes): the next run then rebuilds.
    """
    import json

    if not public or not public.get("month"):
        return None
    path = _private_manifest_path(settings, str(public["month"]))
    try:
        private = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if private.get("built_at") != public.get("built_at"):
        return None
    return private


def unchanged_manifest(settings: Settings, month: str | None = None, *, tiles: str | None = None) -> dict[str, Any] | None:
    """The private manifest of the last run when nothing changed since, else None.

    Does under the project's run lock what :func:`fragmap.pipeline.run` does before deciding
    (finish an interrupted swap, check the output folder, remove stale builds), then compares
    the run keys. Without the desk's address corrections only (their key needs the pipeline).

    Examples
    --------
    >>> manifest = unchanged_manifest(load_settings("fragmap.toml"))   # doctest: +SKIP
    """
    from fragmap.io import publish as io_publish
    from fragmap.io.guard import plain_failures, run_lock
    from fragmap.settings import require_towns

    with run_lock(settings.paths.store.parent, language=settings.language), \
            plain_failures(settings.language):
        require_towns(settings)
        output = settings.paths.output
        io_publish.recover(output)
        io_publish.check_replaceable(output, settings.language)
        io_publish.clean_stale_builds(output)
        key = run_key(settings, month) + (f":{tiles}" if tiles else "")
        previous = _private_manifest(settings, _previous_manifest(output))
        return previous if previous is not None and previous.get("run_key") == key else None
