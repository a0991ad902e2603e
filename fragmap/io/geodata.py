"""The geodata folder: download (Overpass, only with consent), local import, storage, reading.

One path for both sources: a download asks the Overpass API for OSM XML, one request
per layer and one at a time, saving each answer as an ``.osm`` file as it arrives
(in ``<folder>/scarico/``, skipped on the next try, so a failed download resumes);
then the saved files are read by the same reader as a local extract
(:func:`fragmap.io.osm.read_osm`), turned into layers (:func:`fragmap.geodata.extract_layers`)
and a walking network (osmnx), and written with :func:`write_geodata`, which records
date, source, comuni, size and SHA-256 of every file and the ODbL attribution in
``geodati.json``. :func:`read_geodata` gives the layers to the rest of fragmap.

The HTTP call is a parameter (``transport``), so tests replay hand-built answers.

Examples
--------
>>> result = download_geodata(settings, consent=True)          # doctest: +SKIP
>>> result = import_geodata(settings, ["pavia.osm.pbf"])        # doctest: +SKIP
>>> gd = read_geodata(settings.paths.geodata)                   # doctest: +SKIP
>>> gd["strade"].head()                                         # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd

from fragmap._errors import DownloadError, InputFileError, NetworkDisabledError
from fragmap._geo import UTM
from fragmap.geodata import (
    ATTRIBUTION,
    FILES,
    METADATA_FILE,
    NETWORK_FILE,
    GeoData,
    clip_streets,
    empty_layer,
    extract_layers,
    overpass_queries,
)
from fragmap.i18n import translate
from fragmap.io.osm import MESSAGES as OSM_MESSAGES
from fragmap.io.osm import sort_osm_xml

#: Sub-folder of the geodata folder holding the Overpass answers of a download in progress.
DOWNLOAD_DIR = "scarico"
#: The public Overpass instance osmnx uses by default.
DEFAULT_ENDPOINT = "https://overpass-api.de/api/interpreter"
LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
#: Metres around the comuni kept in the walking network (walks that cross the border).
NETWORK_BUFFER_M = 300.0

Progress = Callable[[str], None]

MESSAGES: dict[str, dict[str, str]] = {
    "no_consent": {
        "it": "scaricamento non autorizzato: nulla è stato scaricato. Per scaricare i geodati da "
              "OpenStreetMap serve il consenso esplicito (fragmap geodati scarica --si).",
        "en": "download not authorised: nothing was downloaded. Downloading the geodata from "
              "OpenStreetMap needs explicit consent (fragmap geodati scarica --yes).",
    },
    "offline": {
        "it": "impossibile raggiungere il server OpenStreetMap (Overpass {endpoint}): {why}. Sei "
              "collegato a Internet? I dati già scaricati ({done}) restano in {folder}: rilancia lo stesso "
              "comando più tardi e riprenderà da lì. Senza Internet: fragmap geodati importa FILE "
              "(un estratto .osm.pbf scaricato altrove, es. da download.geofabrik.de).",
        "en": "cannot reach the OpenStreetMap server (Overpass {endpoint}): {why}. Are you online? "
              "What was already downloaded ({done}) stays in {folder}: run the same command later and it "
              "resumes from there. Without internet: fragmap geodati importa FILE (a .osm.pbf extract "
              "downloaded elsewhere, e.g. from download.geofabrik.de).",
    },
    "server_failed": {
        "it": "il server OpenStreetMap (Overpass {endpoint}) non ha dato i dati: {why}. Spesso è solo occupato: "
              "rilancia lo stesso comando più tardi e riprenderà da dove si è fermato (già arrivati: {done}, in "
              "{folder}). Oppure: fragmap geodati importa FILE (un estratto .osm.pbf, es. da download.geofabrik.de).",
        "en": "the OpenStreetMap server (Overpass {endpoint}) did not give the data: {why}. It is often just busy: "
              "run the same command later and it resumes where it stopped (already here: {done}, in {folder}). "
              "Or: fragmap geodati importa FILE (a .osm.pbf extract, e.g. from download.geofabrik.de).",
    },
    "busy": {"it": "il server ha risposto {status}", "en": "the server answered {status}"},
    "bad_answer": {"it": "risposta incompleta o con errore del server", "en": "incomplete or failed answer"},
    "layer_cached": {"it": "{layer}: già scaricato, salto", "en": "{layer}: already downloaded, skipped"},
    "layer_get": {"it": "{layer}: richiesta {i}/{n} a {endpoint}...", "en": "{layer}: request {i}/{n} to {endpoint}..."},
    "layer_done": {"it": "{layer}: {size} ricevuti", "en": "{layer}: {size} received"},
    "retry": {"it": "{layer}: {why}; nuovo tentativo tra {wait} s ({attempt}/{attempts})",
              "en": "{layer}: {why}; retrying in {wait} s ({attempt}/{attempts})"},
    "reading": {"it": "lettura di {files}...", "en": "reading {files}..."},
    "layers": {"it": "strati: {counts}", "en": "layers: {counts}"},
    "network": {"it": "rete pedonale: {nodes} nodi, {edges} archi", "en": "walking network: {nodes} nodes, {edges} edges"},
    "no_network": {"it": "rete pedonale: nessuna strada percorribile a piedi trovata",
                   "en": "walking network: no walkable street found"},
    "saved": {"it": "salvati in {folder}", "en": "saved in {folder}"},
    "bad_meta": {"it": "{path}: file illeggibile ({error}); rifai fragmap geodati scarica o importa",
                 "en": "{path}: unreadable ({error}); run fragmap geodati scarica or importa again"},
    "consent_text": {
        "it": "Scarico da OpenStreetMap (server Overpass {endpoint}) per i comuni {comuni}: rete pedonale e tutte "
              "le strade con nome, numeri civici, nomi di luoghi e quartieri, acque (il Ticino), ferrovie, parchi, "
              "edifici residenziali (dove vivono i residenti). "
              "{n} richieste, una alla volta: in tutto circa 20-80 MB, qualche minuto. I file (circa 10-40 MB) "
              "vanno in {folder}. Dati © OpenStreetMap contributors, licenza ODbL 1.0.",
        "en": "Downloading from OpenStreetMap (Overpass server {endpoint}) for the comuni {comuni}: the walking "
              "network and every named street, house numbers, place and quarter names, water (the Ticino), "
              "railways, parks, residential buildings (where residents live). {n} requests, one at a time: about 20-80 MB in all, a few minutes. The files "
              "(about 10-40 MB) go to {folder}. Data © OpenStreetMap contributors, ODbL 1.0 licence.",
    },
}


def _t(key: str, language: str, /, **values: Any) -> str:
    return translate(MESSAGES, key, language, **values)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


# -- transport ----------------------------------------------------------------------------------

class Transport(Protocol):
    """The one HTTP call of a download: POST ``query`` to ``url``, return ``(status, body)``.

    Raises ``OSError`` (``ConnectionError``, ``TimeoutError``...) when the server cannot be reached.
    Tests pass a function replaying hand-built answers.
    """

    def __call__(self, url: str, query: str, *, timeout: float) -> tuple[int, bytes]: ...


def http_transport(url: str, query: str, *, timeout: float) -> tuple[int, bytes]:
    """POST an Overpass query with ``requests`` (a dependency of osmnx); network errors as OSError."""
    import requests

    from fragmap import __version__

    headers = {"User-Agent": f"fragmap/{__version__} (one-time geodata set-up)"}
    try:
        r = requests.post(url, data={"data": query}, timeout=timeout, headers=headers)
    except requests.Timeout as exc:
        raise TimeoutError(str(exc)) from exc
    except requests.RequestException as exc:
        raise ConnectionError(str(exc)) from exc
    return r.status_code, r.content


def _complete(body: bytes) -> bool:
    """An Overpass XML answer that arrived whole and without a runtime error."""
    head, tail = body[:2000], body[-200:].rstrip()
    if b"<osm" not in head or not tail.endswith(b"</osm>"):
        return False
    return b"runtime error" not in body[:5000] and b"runtime error" not in body[-5000:]


@dataclass
class DownloadPolicy:
    """How politely a download asks: timeouts, attempts and backoff (seconds).

    Examples
    --------
    >>> DownloadPolicy().waits()
    [15.0, 30.0, 60.0]
    """

    timeout_s: float = 240.0
    query_timeout_s: int = 180
    attempts: int = 4
    backoff_s: float = 15.0
    pause_s: float = 2.0

    def waits(self) -> list[float]:
        """The pause before each retry: exponential backoff."""
        return [self.backoff_s * 2**i for i in range(self.attempts - 1)]


def _fetch(layer: str, query: str, target: Path, *, endpoint: str, transport: Transport, policy: DownloadPolicy,
           sleep: Callable[[float], None], progress: Progress, language: str) -> None:
    """One request, retried with exponential backoff; the answer is written to ``target`` atomically."""
    last: str = ""
    reached = False  # the server answered at least once (busy or refusing, not offline)
    waits = policy.waits()
    for attempt in range(1, policy.attempts + 1):
        try:
            status, body = transport(endpoint, query, timeout=policy.timeout_s)
        except OSError as exc:
            status, body, last = 0, b"", f"{type(exc).__name__}: {exc}"
        else:
            reached = True
            if status == 200 and _complete(body):
                tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
                tmp.write_bytes(body)
                sort_osm_xml(tmp)
                os.replace(tmp, target)
                return
            last = _t("busy", language, status=status) if status != 200 else _t("bad_answer", language)
            if 400 <= status < 500 and status not in (408, 429):
                break  # the request itself is refused: asking again would not help
        if attempt < policy.attempts:
            wait = waits[attempt - 1]
            progress(_t("retry", language, layer=layer, why=last, wait=f"{wait:.0f}", attempt=attempt + 1,
                        attempts=policy.attempts))
            sleep(wait)
    raise _ServerError(last) if reached else ConnectionError(last)


class _ServerError(OSError):
    """The server answered, but not with the data (busy, refused, cut short)."""


# -- results ------------------------------------------------------------------------------------

@dataclass
class GeodataResult:
    """What a download or import wrote: the folder, the metadata, layer counts, network size."""

    folder: Path
    meta: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    network: tuple[int, int] | None = None


def geodata_folder(settings: Any) -> Path:
    """The geodata folder of a project (``[paths] geodata``, default ``data/geodati``)."""
    p = getattr(settings.paths, "geodata", None)
    return Path(p) if p is not None else Path(settings.root) / "data" / "geodati"


def consent_text(settings: Any, *, endpoint: str | None = None) -> str:
    """What a download fetches, from where and roughly how much (shown before asking consent)."""
    comuni = ", ".join(f"{t.name} ({t.istat})" for t in settings.towns)
    return _t("consent_text", settings.language, endpoint=endpoint or default_endpoint(), comuni=comuni,
              n=len(overpass_request_names()), folder=geodata_folder(settings))


def overpass_request_names() -> list[str]:
    """The names of the requests of a download, in order."""
    from fragmap.geodata import _QUERIES

    return list(_QUERIES)


def default_endpoint() -> str:
    """osmnx's configured Overpass endpoint (``ox.settings.overpass_url``), or the public default."""
    try:
        import osmnx as ox

        url = str(ox.settings.overpass_url).rstrip("/")
        return url if url.endswith("/interpreter") else url + "/interpreter"
    except Exception:  # pragma: no cover - osmnx is a dependency
        return DEFAULT_ENDPOINT


def _comuni(settings: Any) -> gpd.GeoDataFrame:
    from fragmap.io.geo import read_boundaries

    return read_boundaries(settings.paths.boundaries, towns=settings.town_names)


def describe_source(path: str | Path, label: str) -> dict[str, Any]:
    """``label, file, bytes, sha256, modified`` of a source file (the gazetteer's and the geodata's record)."""
    path = Path(path)
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    st = path.stat()
    modified = dt.datetime.fromtimestamp(st.st_mtime, tz=dt.timezone.utc).date().isoformat()
    return {"label": label, "file": path.name, "bytes": int(st.st_size), "sha256": h.hexdigest(), "modified": modified}


def download_geodata(settings: Any, *, consent: bool, transport: Transport | None = None,
                     endpoint: str | None = None, policy: DownloadPolicy | None = None,
                     sleep: Callable[[float], None] | None = None, progress: Progress | None = None) -> GeodataResult:
    """Download the geodata of the configured comuni from OpenStreetMap and store them.

    One Overpass request per layer, one at a time, with a pause between them; each answer
    is saved in ``<folder>/scarico/`` as it arrives, and a later call skips what is there
    (a failed download resumes). When all have arrived they are read like a local file
    (:func:`build_geodata`) and the ``scarico`` folder is removed.

    Parameters
    ----------
    settings : Settings
        Comuni, boundaries, ``[paths] geodata``, language.
    consent : bool
        The user's explicit consent to go online now. Without it nothing is fetched.
    transport : callable, optional
        ``transport(url, query, timeout=...) -> (status, body)``; default :func:`http_transport`.
    endpoint : str, optional
        Overpass interpreter URL (default: :func:`default_endpoint`).
    policy : DownloadPolicy, optional
        Timeouts, attempts, backoff.
    sleep, progress : callable, optional
        Injected for tests; ``progress`` receives one line per step.

    Returns
    -------
    GeodataResult

    Raises
    ------
    NetworkDisabledError
        Without consent (nothing is fetched).
    DownloadError
        The server cannot be reached or keeps failing; the message says what to do.

    Examples
    --------
    >>> download_geodata(settings, consent=True, progress=print)     # doctest: +SKIP
    """
    lang = settings.language
    if not consent:
        raise NetworkDisabledError(_t("no_consent", lang))
    transport = transport or http_transport
    sleep = sleep or time.sleep
    policy = policy or DownloadPolicy()
    endpoint = endpoint or default_endpoint()
    say = progress or (lambda _m: None)
    folder = geodata_folder(settings)
    cache = folder / DOWNLOAD_DIR
    cache.mkdir(parents=True, exist_ok=True)
    queries = overpass_queries(_comuni(settings), timeout_s=policy.query_timeout_s)
    files: list[Path] = []
    for i, (layer, query) in enumerate(queries.items(), start=1):
        target = cache / f"{layer}.osm"
        files.append(target)
        if target.exists():
            say(_t("layer_cached", lang, layer=layer))
            continue
        say(_t("layer_get", lang, layer=layer, i=i, n=len(queries), endpoint=endpoint))
        try:
            _fetch(layer, query, target, endpoint=endpoint, transport=transport, policy=policy, sleep=sleep,
                   progress=say, language=lang)
        except OSError as exc:
            done = ", ".join(p.stem for p in files[:-1]) or "-"
            key = "server_failed" if isinstance(exc, _ServerError) else "offline"
            raise DownloadError(_t(key, lang, endpoint=endpoint, why=exc, done=done, folder=cache)) from exc
        say(_t("layer_done", lang, layer=layer, size=_size(target.stat().st_size)))
        if i < len(queries):
            sleep(policy.pause_s)
    source = {"kind": "overpass", "endpoint": endpoint, "queries": queries}
    result = build_geodata(settings, files, source=source, progress=say)
    shutil.rmtree(cache, ignore_errors=True)
    return result


def import_geodata(settings: Any, paths: Sequence[str | Path], *, progress: Progress | None = None) -> GeodataResult:
    """Store the geodata from local OpenStreetMap files (.osm, .osm.pbf, .graphml).

    Examples
    --------
    >>> import_geodata(settings, ["nord-ovest-latest.osm.pbf"], progress=print)    # doctest: +SKIP
    """
    lang = settings.language
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.exists():
            raise InputFileError(translate(OSM_MESSAGES, "not_found", lang, path=p))
    files = [{k: v for k, v in describe_source(p, "OpenStreetMap").items() if k != "label"} for p in paths]
    return build_geodata(settings, paths, source={"kind": "file", "files": files}, progress=progress)


def build_geodata(settings: Any, paths: Sequence[Path], *, source: dict[str, Any],
                  progress: Progress | None = None) -> GeodataResult:
    """Read OSM files (.osm/.osm.pbf, and .graphml for the network), extract the layers, store them.

    A .graphml file gives the walking network (cut to the comuni) and, when no .osm/.pbf
    file is given, the street lines from its named edges.
    """
    import shapely

    from fragmap.io.osm import clip_graph, graph_streets, lean_graph, read_graphml, read_osm, walking_graph

    lang = settings.language
    say = progress or (lambda _m: None)
    comuni = _comuni(settings)
    utm = comuni.to_crs(UTM)
    around = shapely.union_all(utm.buffer(NETWORK_BUFFER_M).to_crs(4326).geometry.to_numpy())
    osm_files = [p for p in paths if p.suffix.lower() != ".graphml"]
    graph_files = [p for p in paths if p.suffix.lower() == ".graphml"]
    for p in paths:
        if p.suffix.lower() not in (".osm", ".xml", ".pbf", ".graphml"):
            raise InputFileError(translate(OSM_MESSAGES, "format", lang, path=p))
    names = ", ".join(p.name for p in paths[:3]) + (f" (+{len(paths) - 3})" if len(paths) > 3 else "")
    say(_t("reading", lang, files=names))
    graph = None
    if osm_files:
        osm = read_osm(osm_files, bbox=around.bounds, language=lang)
        layers = extract_layers(osm.features, comuni)
        graph = walking_graph(osm, around)
    else:
        layers = {name: empty_layer(name) for name in FILES}
    for p in graph_files:
        graph = clip_graph(read_graphml(p, language=lang), around)
        if not osm_files and graph is not None:
            layers["strade"] = clip_streets(graph_streets(graph), comuni)
        graph = None if graph is None else lean_graph(graph)
    counts = {k: len(v) for k, v in layers.items()}
    say(_t("layers", lang, counts=", ".join(f"{k} {v}" for k, v in counts.items())))
    if graph is None:
        say(_t("no_network", lang))
    else:
        say(_t("network", lang, nodes=graph.number_of_nodes(), edges=graph.number_of_edges()))
    folder = geodata_folder(settings)
    meta = write_geodata(folder, layers, graph, source=source,
                         comuni=[{"name": t.name, "istat": t.istat} for t in settings.towns])
    say(_t("saved", lang, folder=folder))
    return GeodataResult(folder, meta, counts,
                         None if graph is None else (graph.number_of_nodes(), graph.number_of_edges()))


# -- storage ------------------------------------------------------------------------------------

def write_geodata(folder: str | Path, layers: dict[str, gpd.GeoDataFrame], graph: Any | None, *,
                  source: dict[str, Any], comuni: list[dict[str, str]]) -> dict[str, Any]:
    """Write the layers (GeoJSON, EPSG:4326), the network (GraphML) and ``geodati.json``.

    Every file is written beside its final name and moved into place; ``geodati.json``
    last, so a folder with a metadata file is complete. A network file from an earlier
    set is removed when this one has no network.

    Returns
    -------
    dict
        The metadata written to ``geodati.json``.
    """
    import osmnx as ox

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    written: dict[str, Path] = {}
    for name, file in FILES.items():
        gdf = layers.get(name)
        gdf = empty_layer(name) if gdf is None else gdf
        tmp = folder / f".{tag}.{file}"
        gdf.to_crs(4326).to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options={"COORDINATE_PRECISION": 7,
                                                                                          "RFC7946": "YES"})
        written[file] = tmp
    if graph is not None:
        tmp = folder / f".{tag}.{NETWORK_FILE}"
        ox.save_graphml(graph, tmp)
        written[NETWORK_FILE] = tmp
    for file, tmp in written.items():
        os.replace(tmp, folder / file)
    if graph is None and (folder / NETWORK_FILE).exists():
        (folder / NETWORK_FILE).unlink()
    files = {}
    for file in written:
        d = describe_source(folder / file, file)
        entry: dict[str, Any] = {"bytes": d["bytes"], "sha256": d["sha256"]}
        if file.endswith(".geojson"):
            entry["features"] = int(len(layers.get(_layer_of(file), ())))
        else:
            entry["nodes"], entry["edges"] = graph.number_of_nodes(), graph.number_of_edges()
        files[file] = entry
    meta = {
        "format": 1,
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "source": source,
        "comuni": comuni,
        "crs": "EPSG:4326",
        "files": files,
        "attribution": ATTRIBUTION,
        "licence": LICENCE_URL,
    }
    tmp = folder / f".{tag}.{METADATA_FILE}"
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, folder / METADATA_FILE)
    return meta


def _layer_of(file: str) -> str:
    return next(k for k, v in FILES.items() if v == file)


def read_metadata(folder: str | Path, *, language: str = "it") -> dict[str, Any]:
    """``geodati.json`` of a folder ({} when missing)."""
    path = Path(folder) / METADATA_FILE
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise InputFileError(_t("bad_meta", language, path=path, error=exc)) from exc


def read_geodata(folder: str | Path, *, language: str = "it") -> GeoData:
    """The layers of a geodata folder; a missing file reads as an empty layer.

    Parameters
    ----------
    folder : path
        The geodata folder (``[paths] geodata``; see :func:`geodata_folder`).

    Returns
    -------
    GeoData
        ``gd["strade"]``, ``gd.civici``... (EPSG:4326), ``gd.network_path``, ``gd.meta``.

    Examples
    --------
    >>> gd = read_geodata("data/geodati")          # doctest: +SKIP
    >>> gd.empty, gd.attribution                   # doctest: +SKIP
    """
    folder = Path(folder)
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name, file in FILES.items():
        path = folder / file
        if not path.exists():
            layers[name] = empty_layer(name)
            continue
        try:
            gdf = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # pyogrio raises its own errors on a broken file
            raise InputFileError(_t("bad_meta", language, path=path, error=exc)) from exc
        gdf = gdf.set_crs(4326) if gdf.crs is None else gdf.to_crs(4326)
        if not len(gdf):
            gdf = empty_layer(name)
        layers[name] = gdf
    network = folder / NETWORK_FILE
    return GeoData(layers, network if network.exists() else None, read_metadata(folder, language=language))


def read_layer(folder: str | Path, name: str, *, language: str = "it") -> gpd.GeoDataFrame | None:
    """One layer of a geodata folder (EPSG:4326), or None when its file is not there.

    Examples
    --------
    >>> homes = read_layer("data/geodati", "edifici")     # doctest: +SKIP
    """
    path = Path(folder) / FILES[name]
    if not path.exists():
        return None
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises its own errors on a broken file
        raise InputFileError(_t("bad_meta", language, path=path, error=exc)) from exc
    return gdf.set_crs(4326) if gdf.crs is None else gdf.to_crs(4326)


def geodata_files(settings: Any) -> list[Path]:
    """The files of the project's geodata set that exist (metadata, layers, network)."""
    folder = geodata_folder(settings)
    names = [METADATA_FILE, NETWORK_FILE, *FILES.values()]
    return [folder / n for n in names if (folder / n).exists()]


def geodata_status(settings: Any) -> dict[str, Any]:
    """What the geodata folder holds: date, source, comuni, each file's size and count, a pending download.

    Examples
    --------
    >>> status = geodata_status(settings)     # doctest: +SKIP
    """
    folder = geodata_folder(settings)
    meta = read_metadata(folder, language=settings.language)
    files = []
    for name in [NETWORK_FILE, *FILES.values()]:
        p = folder / name
        recorded = meta.get("files", {}).get(name, {})
        files.append({"file": name, "present": p.exists(), "bytes": p.stat().st_size if p.exists() else 0,
                      "features": recorded.get("features"), "nodes": recorded.get("nodes"),
                      "edges": recorded.get("edges")})
    pending = sorted(p.stem for p in (folder / DOWNLOAD_DIR).glob("*.osm")) if (folder / DOWNLOAD_DIR).exists() else []
    return {"folder": folder, "present": bool(meta), "date": meta.get("date"), "source": meta.get("source", {}),
            "comuni": meta.get("comuni", []), "attribution": meta.get("attribution"), "files": files,
            "pending_download": pending}
