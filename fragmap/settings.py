"""Project settings: typed defaults, read from a TOML project file, validated.

A project is one ``fragmap.toml`` file. Every relative path in it is resolved
against the folder that holds the file, so a coordinator can move the whole
project folder. Everything not in the file takes the defaults below.

Example
-------
>>> from fragmap.settings import load_settings
>>> s = load_settings("fragmap.toml")            # doctest: +SKIP
>>> s.privacy.threshold                          # doctest: +SKIP
5

Validation refuses unsafe values outright (for instance a privacy threshold
below 3, the Italian statistical rule) instead of warning about them.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fragmap._errors import SettingsError

#: The smallest privacy threshold the law and the network accept.
MIN_PRIVACY_THRESHOLD = 3
#: Languages with a full translation table.
LANGUAGES = ("it", "en")
#: What one run may publish (``[project] levels``): the whole network, and each town alone.
LEVELS = ("rete", "comuni")

_NO_TOWNS = {
    "it": "{where}il progetto non elenca nessun comune. Aggiungere nel file di progetto un blocco per "
          "ogni comune, per esempio:\n\n  [[towns]]\n  name = \"Voghera\"\n  istat = \"018182\"\n\n"
          "oppure creare un progetto nuovo, con confini e popolazione, in un solo comando:\n\n"
          "  fragmap nuovo CARTELLA --rete \"Nome della rete\" --comune 018182 --comune Mortara",
    "en": "{where}the project lists no comune. Add one block per comune to the project file, e.g.:\n\n"
          "  [[towns]]\n  name = \"Voghera\"\n  istat = \"018182\"\n\n"
          "or create a new project, with boundaries and population, in one command:\n\n"
          "  fragmap nuovo FOLDER --rete \"Network name\" --comune 018182 --comune Mortara",
}


_NO_NETWORK = {
    "it": "{where}il progetto non elenca {what}: ogni rete ha i suoi, nel file di progetto, per esempio:\n\n"
          "{example}\n(`fragmap nuovo` scrive un file di progetto completo)",
    "en": "{where}the project lists no {what}: every network has its own, in the project file, e.g.:\n\n"
          "{example}\n(`fragmap nuovo` writes a complete project file)",
}
_NETWORK_PARTS = {
    "partners": ({"it": "associazioni ([[partners]])", "en": "partners ([[partners]])"},
                 '  [[partners]]\n  code = "auser"\n  name = "Auser"\n'),
    "categories": ({"it": "categorie ([[categories]])", "en": "categories ([[categories]])"},
                   '  [[categories]]\n  code = "anziani"\n  label_it = "Anziani"\n  label_en = "Older people"\n'),
}


def _table_list(data: dict[str, Any], key: str, needed: tuple[str, ...], path: Path) -> list[dict[str, Any]]:
    """The ``[[key]]`` blocks of a project file, each with its ``needed`` keys, or a clear error."""
    items = data.pop(key)
    if not isinstance(items, list):
        raise SettingsError(f"{path}: {key} deve essere una lista di blocchi [[{key}]]")
    for i, item in enumerate(items, start=1):
        missing = [k for k in needed if not isinstance(item, dict) or k not in item]
        if missing:
            raise SettingsError(f"{path} [[{key}]] n. {i}: manca {', '.join(missing)}")
    return items


def require_towns(s: Settings, where: str | Path | None = None) -> None:
    """Raise :class:`SettingsError` saying how to add them when the project lists no towns,
    partners or categories (the library has none of its own).

    Examples
    --------
    >>> require_towns(default_settings("."))
    Traceback (most recent call last):
    ...
    fragmap._errors.SettingsError: il progetto non elenca nessun comune...
    """
    lang = s.language if s.language in LANGUAGES else "it"
    prefix = f"{where}: " if where else ""
    if not s.towns:
        raise SettingsError(_NO_TOWNS[lang].format(where=prefix))
    for part in ("partners", "categories"):
        if not getattr(s, part):
            what, example = _NETWORK_PARTS[part]
            raise SettingsError(_NO_NETWORK[lang].format(where=prefix, what=what[lang], example=example))


@dataclass(frozen=True)
class Town:
    """A comune covered by the project.

    Parameters
    ----------
    name : str
        Canonical name, as in the boundary file (e.g. ``"Voghera"``).
    istat : str
        Six-digit ISTAT code, zero-padded (e.g. ``"018182"``).
    cap : tuple of str
        Postal codes of the town, used by the address normaliser.
    code : str
        Short code that prefixes the town's area ids (``VOG-H0304``); default the
        ISTAT code. Letters, digits, ``_`` only.
    """

    name: str
    istat: str
    cap: tuple[str, ...] = ()
    code: str = ""

    @property
    def area_code(self) -> str:
        """The prefix of this town's area ids: ``code`` when given, else the ISTAT code."""
        return self.code or self.istat


@dataclass(frozen=True)
class Category:
    """A fragility category of the network, with the partners that report it."""

    code: str
    label_it: str
    label_en: str
    partners: tuple[str, ...] = ()
    #: The residents its rates are per 1,000 of: ``"population"`` (all) or ``"pop_65"`` (aged 65+).
    denominator: str = "population"


#: Rate denominators a category may name (columns the quarters carry).
DENOMINATORS = ("population", "pop_65")


@dataclass(frozen=True)
class Partner:
    """A partner association. ``code`` is what the store and tables keep."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()


#: Every network names its own towns, partners and categories in its project file
#: (``[[towns]]``, ``[[partners]]``, ``[[categories]]``); only generic actions have a default.
DEFAULT_ACTIONS = ("sportello", "laboratorio")
DEFAULT_AGE_BANDS = ("0-17", "18-34", "35-64", "65-74", "75+")


@dataclass(frozen=True)
class Paths:
    """Where inputs are read and outputs written (absolute after loading)."""

    reports: tuple[Path, ...] = ()
    boundaries: Path = Path("data/reference/comuni.geojson")
    population: Path = Path("data/reference/popolazione_eta_sesso.csv")
    streets: Path = Path("data/reference/stradario.csv")
    quarters: Path | None = None
    quarter_population: Path | None = None
    services: tuple[Path, ...] = ()
    street_network: Path | None = None
    candidate_sites: Path | None = None
    # points named "STREET CrossStreet" (bus stops) that place streets offline; a missing file is skipped
    street_points: Path | None = None
    # named places for area names (fragmap.io.places); a missing file is skipped
    quarter_landmarks: Path = Path("data/reference/quartieri_punti_riferimento.csv")
    localities: Path = Path("data/reference/localita_istat.csv")
    places: Path = Path("data/reference/luoghi.geojson")
    gazetteer: Path = Path("data/private/gazetteer.gpkg")
    store: Path = Path("data/private/store.sqlite")
    cache_dir: Path = Path("data/private/cache")
    output: Path = Path("maps")
    #: OpenStreetMap layers and walking network of the one-time set-up (``fragmap geodati``).
    geodata: Path = Path("data/geodati")


@dataclass(frozen=True)
class Privacy:
    """Statistical disclosure control.

    threshold : counts below it are never published (default 5, never below 3).
    show_zero : whether a true zero may be shown as 0.
    min_quarter_population : quarters with fewer residents are merged or hidden.
    """

    threshold: int = 5
    show_zero: bool = True
    min_quarter_population: int = 250


@dataclass(frozen=True)
class Quarters:
    """How quarters are obtained when the project supplies no boundary file.

    landmarks : a table "town; quartiere; landmark" (relative to the project file): the
    quarters are drawn around its landmarks (approximate boundaries) instead of hexagons.
    """

    name_column: str = "name"
    hex_size_m: float = 500.0
    landmarks: str = ""


@dataclass(frozen=True)
class Classification:
    """Choropleth classes (mapclassify scheme name and number of classes)."""

    scheme: str = "quantiles"
    k: int = 5


@dataclass(frozen=True)
class Geocoding:
    """Geocoder options. The online backend is off unless set here."""

    online: bool = False
    backend: str = "nominatim"
    url: str = ""
    user_agent: str = "fragmap"
    min_delay_s: float = 1.0
    min_score: float = 85.0


@dataclass(frozen=True)
class Access:
    """Walking access options."""

    walking_speed_kmh: float = 4.5
    elderly_speed_ms: float = 0.8
    detour_factor: float = 1.3
    thresholds_min: tuple[int, ...] = (5, 10, 15)
    download_network: bool = False


@dataclass(frozen=True)
class Settings:
    """All settings of a project. Build it with :func:`load_settings` or :func:`default_settings`.

    Examples
    --------
    >>> s = default_settings(".")
    >>> s.privacy.threshold, s.language
    (5, 'it')
    >>> s = s.replace(categories=(Category("anziani", "Anziani", "Older people"),))
    >>> s.replace(language="en").category_label("anziani")
    'Older people'
    """

    name: str = "Rete"
    #: The network's name in English (default: ``name``).
    name_en: str = ""
    #: What one run publishes: ``"rete"`` (the whole network, in ``paths.output``) and/or
    #: ``"comuni"`` (each town alone, in ``paths.output / <town slug>``).
    levels: tuple[str, ...] = ("rete",)
    language: str = "it"
    start_date: str = "2024-01-01"
    synthetic: bool = False
    root: Path = Path(".")
    towns: tuple[Town, ...] = ()
    categories: tuple[Category, ...] = ()
    partners: tuple[Partner, ...] = ()
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    age_bands: tuple[str, ...] = DEFAULT_AGE_BANDS
    paths: Paths = field(default_factory=Paths)
    privacy: Privacy = field(default_factory=Privacy)
    quarters: Quarters = field(default_factory=Quarters)
    classification: Classification = field(default_factory=Classification)
    geocoding: Geocoding = field(default_factory=Geocoding)
    access: Access = field(default_factory=Access)

    @property
    def town_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.towns)

    @property
    def town_codes(self) -> dict[str, str]:
        """Town name -> the prefix of its area ids (see :attr:`Town.area_code`)."""
        return {t.name: t.area_code for t in self.towns}

    @property
    def display_name(self) -> str:
        """The network's name in the project language."""
        return (self.name_en or self.name) if self.language == "en" else self.name

    @property
    def category_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    @property
    def partner_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.partners)

    def denominators(self) -> dict[str, str]:
        """``category -> population column`` its rates are per 1,000 of (see :data:`DENOMINATORS`)."""
        return {c.code: c.denominator for c in self.categories}

    def category_label(self, code: str) -> str:
        """Label of a category in the project language (the code itself if unknown)."""
        for c in self.categories:
            if c.code == code:
                return c.label_en if self.language == "en" else c.label_it
        return code

    def partner_name(self, code: str) -> str:
        """Display name of a partner (the code itself if unknown)."""
        for p in self.partners:
            if p.code == code:
                return p.name
        return code

    def replace(self, **changes: Any) -> Settings:
        """A validated copy with some top-level fields changed."""
        new = dataclasses.replace(self, **changes)
        validate(new)
        return new


_OUTPUT_MESSAGES = {
    "it": "paths.output = {out!r} è rifiutata: la cartella pubblicata viene sostituita per intero a "
          "ogni esecuzione, e questa {how} {what} ({path}). Scegliere una cartella a parte, per esempio "
          "\"maps\".",
    "en": "paths.output = {out!r} is refused: the published folder is replaced as a whole at every "
          "run, and this one {how} {what} ({path}). Choose a folder of its own, e.g. \"maps\".",
}
_OUTPUT_HOW = {
    "same": {"it": "è", "en": "is"},
    "contains": {"it": "contiene", "en": "contains"},
    "inside": {"it": "sta dentro", "en": "is inside"},
}
_OUTPUT_WHAT = {
    "root": {"it": "la cartella del progetto", "en": "the project folder"},
    "data": {"it": "la cartella dei dati", "en": "the data folder"},
    "private": {"it": "la cartella privata", "en": "the private folder"},
    "store": {"it": "l'archivio delle segnalazioni", "en": "the report store"},
    "cache": {"it": "la cache", "en": "the cache"},
    "gazetteer": {"it": "lo stradario geocodificato", "en": "the gazetteer"},
    "geodata": {"it": "la cartella dei geodati", "en": "the geodata folder"},
    "reports": {"it": "i file delle segnalazioni", "en": "the report files"},
    "input": {"it": "un file di input", "en": "an input file"},
}


def _absolute(p: Path, root: Path) -> Path:
    p = Path(p).expanduser()
    return (p if p.is_absolute() else Path(root) / p).resolve()


def _glob_base(pattern: Path) -> Path:
    """The folder part of a report pattern before its first wildcard."""
    parts = []
    for part in Path(pattern).parts:
        if any(ch in part for ch in "*?["):
            break
        parts.append(part)
    base = Path(*parts) if parts else Path(".")
    return base if len(parts) < len(Path(pattern).parts) else base.parent


def output_problem(s: Settings, output: Path | None = None) -> str | None:
    """Why ``output`` must not be a folder that fragmap replaces as a whole, or None when safe.

    The published folder is swapped in whole at every run, so it must never be, contain or
    lie inside the data folder, the private folder, the store, the cache, the gazetteer or
    the report inputs, and never be or contain the project folder or an input file.

    Parameters
    ----------
    s : Settings
        The project settings (paths resolved against ``s.root``).
    output : Path, optional
        The folder to check (default ``s.paths.output``); relative to ``s.root``.

    Returns
    -------
    str or None
        The reason in the project language, or None.

    Examples
    --------
    >>> s = default_settings(".")
    >>> output_problem(s) is None
    True
    >>> "cartella privata" in output_problem(s, Path("data/private"))
    True
    """
    root = Path(s.root).resolve()
    raw = output if output is not None else s.paths.output
    out = _absolute(raw, root)
    lang = s.language if s.language in ("it", "en") else "it"
    p = s.paths
    # (what, path, refuse when output is inside it too)
    guarded: list[tuple[str, Path, bool]] = [("root", root, False), ("data", root / "data", True),
                                             ("private", _absolute(p.store, root).parent, True),
                                             ("store", _absolute(p.store, root), True),
                                             ("cache", _absolute(p.cache_dir, root), True),
                                             ("gazetteer", _absolute(p.gazetteer, root), True),
                                             ("geodata", _absolute(p.geodata, root), True)]
    guarded += [("reports", _absolute(_glob_base(r), root), True) for r in p.reports]
    inputs = [p.boundaries, p.population, p.streets, p.quarters, p.quarter_population,
              p.street_network, p.candidate_sites, *p.services]
    guarded += [("input", _absolute(f, root), False) for f in inputs if f is not None]
    def found(what: str, path: Path, how: str) -> str:
        return _OUTPUT_MESSAGES[lang].format(out=str(raw), how=_OUTPUT_HOW[how][lang],
                                             what=_OUTPUT_WHAT[what][lang], path=path)

    for what, path, _ in guarded:
        if out == path:
            return found(what, path, "same")
    for what, path, _ in guarded:
        if path.is_relative_to(out):
            return found(what, path, "contains")
    around = [(len(path.parts), what, path) for what, path, no_inside in guarded
              if no_inside and out.is_relative_to(path)]
    if around:  # name the closest folder it lies in
        _, what, path = max(around)
        return found(what, path, "inside")
    return None


def validate(s: Settings) -> None:
    """Raise :class:`SettingsError` listing every unsafe or malformed setting."""
    problems: list[str] = []
    if not isinstance(s.privacy.threshold, int) or isinstance(s.privacy.threshold, bool):
        problems.append("privacy.threshold must be a whole number")
    elif s.privacy.threshold < MIN_PRIVACY_THRESHOLD:
        problems.append(
            f"privacy.threshold = {s.privacy.threshold} is refused: counts under 3 may identify "
            f"a person (Italian statistical rule); use {MIN_PRIVACY_THRESHOLD} or more (default 5)"
        )
    if s.privacy.min_quarter_population < 0:
        problems.append("privacy.min_quarter_population must be 0 or more")
    if s.language not in LANGUAGES:
        problems.append(f"language = {s.language!r}: choose one of {', '.join(LANGUAGES)}")
    area_codes = [t.area_code for t in s.towns]
    if len(set(area_codes)) != len(area_codes):
        problems.append("towns: two towns have the same code (set a different `code` for each)")
    bad = [c for c in area_codes if not c.replace("_", "").isalnum()]
    if bad:
        problems.append(f"towns: code(s) {', '.join(map(repr, bad))} may hold only letters, digits and _")
    unknown_levels = [lv for lv in s.levels if lv not in LEVELS]
    if unknown_levels or not s.levels:
        problems.append(f"levels = {list(s.levels)!r}: choose one or more of {', '.join(LEVELS)}")
    why = output_problem(s)
    if why:
        problems.append(why)
    if s.quarters.hex_size_m <= 0:
        problems.append("quarters.hex_size_m must be positive")
    if not 2 <= s.classification.k <= 9:
        problems.append("classification.k must be between 2 and 9")
    if s.access.walking_speed_kmh <= 0 or s.access.elderly_speed_ms <= 0:
        problems.append("access: walking speeds must be positive")
    if s.access.detour_factor < 1:
        problems.append("access.detour_factor must be 1 or more")
    if s.geocoding.min_delay_s < 1.0 and s.geocoding.backend == "nominatim" and not s.geocoding.url:
        problems.append(
            "geocoding.min_delay_s must be at least 1 s for the public Nominatim service "
            "(its usage policy)"
        )
    codes = [c.code for c in s.categories]
    if len(set(codes)) != len(codes):
        problems.append("categories: duplicate codes")
    known_partners = {p.code for p in s.partners}
    for c in s.categories:
        for p in c.partners:
            if p not in known_partners:
                problems.append(f"category {c.code!r} names unknown partner {p!r}")
        if c.denominator not in DENOMINATORS:
            problems.append(f"category {c.code!r}: denominator = {c.denominator!r}: choose one of "
                            f"{', '.join(DENOMINATORS)}")
    try:
        import datetime as _dt

        _dt.date.fromisoformat(s.start_date)
    except ValueError:
        problems.append(f"start_date = {s.start_date!r} is not a date (YYYY-MM-DD)")
    if problems:
        raise SettingsError("invalid settings:\n  - " + "\n  - ".join(problems))


def default_settings(root: str | Path = ".") -> Settings:
    """Defaults with paths resolved against ``root``.

    Parameters
    ----------
    root : str or Path
        The project folder: relative paths are resolved against it.

    Returns
    -------
    Settings

    The defaults name no town, partner or category: those come from the project file
    (see :func:`load_settings`), or add them with :meth:`Settings.replace`.

    Examples
    --------
    >>> default_settings(".").town_names
    ()
    >>> from fragmap.settings import Town
    >>> default_settings(".").replace(towns=(Town("Voghera", "018182"),)).town_codes
    {'Voghera': '018182'}
    """
    s = Settings(root=Path(root).resolve())
    s = dataclasses.replace(s, paths=_resolve_paths(s.paths, s.root))
    validate(s)
    return s


def _resolve(p: Path | None, root: Path) -> Path | None:
    if p is None:
        return None
    p = Path(p).expanduser()
    return p if p.is_absolute() else (root / p)


def _resolve_paths(paths: Paths, root: Path) -> Paths:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(paths):
        v = getattr(paths, f.name)
        if isinstance(v, tuple):
            out[f.name] = tuple(_resolve(Path(x), root) for x in v)
        else:
            out[f.name] = _resolve(v, root)
    return Paths(**out)


def _coerce(expected: Any, value: Any) -> tuple[Any, str | None]:
    """``value`` as the field's type, or an explanation of why it is not one."""
    if expected is bool:
        return value, None if isinstance(value, bool) else "must be true or false"
    if expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return value, None if ok else "must be a whole number"
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return (float(value), None) if ok else (value, "must be a number")
    if expected is str:
        return value, None if isinstance(value, str) else "must be text in quotes"
    if typing.get_origin(expected) is tuple:
        item = typing.get_args(expected)[0]
        if not isinstance(value, list):
            return value, "must be a list, e.g. [5, 10, 15]"
        coerced = [_coerce(item, x) for x in value]
        bad = next((why for _, why in coerced if why), None)
        return tuple(x for x, _ in coerced), (f"every item {bad}" if bad else None)
    return value, None


def _section(cls: type, data: dict[str, Any], where: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise SettingsError(
            f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(names))}"
        )
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    problems: list[str] = []
    for k, v in data.items():
        if cls is Paths:
            if isinstance(v, list):
                v = tuple(Path(x) for x in v)
            elif isinstance(v, str):
                v = Path(v) if v else None
        else:
            v, why = _coerce(hints[k], v)
            if why:
                problems.append(f"{k} = {v!r} {why}")
        kwargs[k] = v
    if problems:
        raise SettingsError(f"{where}: " + "; ".join(problems))
    return cls(**kwargs)


def load_settings(path: str | Path | None = None) -> Settings:
    """Read a ``fragmap.toml`` project file and return validated settings.

    Parameters
    ----------
    path : str or Path, optional
        The project file. ``None`` looks for ``fragmap.toml`` in the current folder.
        The file must list its towns (``[[towns]]``); names, partners, categories and
        titles all come from it.

    Returns
    -------
    Settings

    Raises
    ------
    SettingsError
        If the file is malformed or a value is unsafe; the message names the key.

    Examples
    --------
    >>> s = load_settings("fragmap.toml")     # doctest: +SKIP
    >>> s.paths.output                        # doctest: +SKIP
    PosixPath('/percorso/progetto/maps')
    """
    if path is None:
        candidate = Path("fragmap.toml")
        if not candidate.exists():
            raise SettingsError(
                "fragmap.toml non trovato nella cartella corrente: indicarlo con --config, oppure "
                "creare un progetto con `fragmap nuovo CARTELLA --rete \"Nome della rete\" --comune 018182`"
            )
        path = candidate
    path = Path(path)
    if not path.exists():
        raise SettingsError(f"{path}: project file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from exc
    root = path.resolve().parent
    top: dict[str, Any] = {}
    project = data.pop("project", {})
    hints = typing.get_type_hints(Settings)
    for key in ("name", "name_en", "levels", "language", "start_date", "synthetic"):
        if key in project:
            top[key], why = _coerce(hints[key], project.pop(key))
            if why:
                raise SettingsError(f"{path} [project]: {key} = {top[key]!r} {why}")
    if project:
        raise SettingsError(f"{path}: [project] has unknown key(s) {', '.join(sorted(project))}")
    if "towns" in data:
        for i, t in enumerate(data["towns"], start=1):
            if not isinstance(t, dict) or "name" not in t or "istat" not in t:
                raise SettingsError(f"{path} [[towns]] n. {i}: servono name (il nome del comune) e istat "
                                    "(il codice ISTAT a 6 cifre, es. \"018182\")")
        top["towns"] = tuple(
            Town(t["name"], str(t["istat"]).zfill(6), tuple(str(c) for c in t.get("cap", ())), str(t.get("code", "")))
            for t in data.pop("towns")
        )
    if "categories" in data:
        top["categories"] = tuple(
            Category(c["code"], c["label_it"], c.get("label_en", c["label_it"]), tuple(c.get("partners", ())),
                     c.get("denominator", "population"))
            for c in _table_list(data, "categories", ("code", "label_it"), path)
        )
    if "partners" in data:
        top["partners"] = tuple(
            Partner(p["code"], p["name"], tuple(p.get("aliases", ())))
            for p in _table_list(data, "partners", ("code", "name"), path)
        )
    for key in ("actions", "age_bands"):
        if key in data:
            top[key] = tuple(data.pop(key))
    sections = {
        "paths": Paths,
        "privacy": Privacy,
        "quarters": Quarters,
        "classification": Classification,
        "geocoding": Geocoding,
        "access": Access,
    }
    for key, cls in sections.items():
        if key in data:
            top[key] = _section(cls, data.pop(key), f"{path} [{key}]")
    if data:
        raise SettingsError(f"{path}: unknown section(s) {', '.join(sorted(data))}")
    s = Settings(root=root, **top)
    s = dataclasses.replace(s, paths=_resolve_paths(s.paths, root))
    require_towns(s, path)
    try:
        validate(s)
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    return s
