"""Project settings: typed defaults, read from a TOML project file, validated.

A project is one ``fragmap.toml`` file. Every relative path in it is resolved
against the folder that holds the file, so a coordinator can move the whole
project folder. Everything not in the file takes the defaults below.

Example
-------
>>> from fragmap.settings import load_settings
>>> s = load_settings("fragmap.toml")            # the demo project of the repository
>>> s.privacy.threshold
5

Validation refuses unsafe values outright (for instance a privacy threshold
below 3, the Italian statistical rule) instead of warning about them.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import tomllib
import typing
from dataclasses import field
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

from fragmap import _settings_errors
from fragmap._errors import SettingsError
from fragmap.i18n import translate

#: The smallest privacy threshold the law and the network accept.
MIN_PRIVACY_THRESHOLD = 3
#: Languages with a full translation table.
Language = Literal["it", "en"]
LANGUAGES: tuple[str, ...] = typing.get_args(Language)
#: What one run may publish (``[project] levels``): the whole network, and each town alone.
Level = Literal["rete", "comuni"]
LEVELS: tuple[str, ...] = typing.get_args(Level)

#: Every settings class is a frozen pydantic dataclass: built from a project file or in Python,
#: each value is checked on construction (also by ``dataclasses.replace``). Strict: no silent
#: coercion (``"5"`` is not 5, ``"no"`` is not false); unknown keys are refused.
_CONFIG = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


def _as_tuple(value: Any) -> Any:
    """A list as a tuple (TOML and Python callers write lists); anything else unchanged."""
    return tuple(value) if isinstance(value, list) else value


def _postal_codes(value: Any) -> Any:
    """``cap = "27100"`` or ``27100`` is one postal code, not five digits; integers as 5 digits."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, (list, tuple)):
        return tuple(str(v).zfill(5) if isinstance(v, int) and not isinstance(v, bool) else v for v in value)
    return value


def _istat(value: Any) -> Any:
    """An ISTAT code written as a number (``18182``) or without its leading zeros: six digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.isdigit() and len(value) < 6:
        value = value.zfill(6)
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("fragmap_date", "not a date (YYYY-MM-DD)") from None
    return value


Texts = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
Ints = Annotated[tuple[Annotated[int, Field(gt=0)], ...], BeforeValidator(_as_tuple)]
IsoDate = Annotated[str, pydantic.AfterValidator(_iso_date)]
Levels = Annotated[tuple[Level, ...], BeforeValidator(_as_tuple), Field(min_length=1)]

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


@dataclass(frozen=True, config=_CONFIG)
class Town:
    """A comune covered by the project.

    Parameters
    ----------
    name : str
        Canonical name, as in the boundary file (e.g. ``"Voghera"``).
    istat : str
        Six-digit ISTAT code, zero-padded (e.g. ``"018182"``).
    cap : tuple of str
        Postal codes of the town, used by the address normaliser (``cap = "27100"`` in the
        project file is one code).
    code : str
        Short code that prefixes the town's area ids (``VOG-H0304``); default the
        ISTAT code. Letters, digits, ``_`` only.
    """

    name: Annotated[str, Field(min_length=1)]
    istat: Annotated[str, BeforeValidator(_istat), Field(pattern=r"^[0-9]{6}$")]
    cap: Annotated[tuple[str, ...], BeforeValidator(_postal_codes)] = ()
    code: Annotated[str, Field(pattern=r"^\w*$")] = ""

    @property
    def area_code(self) -> str:
        """The prefix of this town's area ids: ``code`` when given, else the ISTAT code."""
        return self.code or self.istat


#: Rate denominators a category may name (columns the quarters carry).
Denominator = Literal["population", "pop_65"]
DENOMINATORS: tuple[str, ...] = typing.get_args(Denominator)


@dataclass(frozen=True, config=_CONFIG)
class Category:
    """A fragility category of the network, with the partners that report it.

    ``label_en`` defaults to ``label_it`` (a project file may leave it out).
    """

    code: Annotated[str, Field(min_length=1)]
    label_it: str
    label_en: str = ""
    partners: Texts = ()
    #: The residents its rates are per 1,000 of: ``"population"`` (all) or ``"pop_65"`` (aged 65+).
    denominator: Denominator = "population"

    def __post_init__(self) -> None:
        if not self.label_en:
            object.__setattr__(self, "label_en", self.label_it)


@dataclass(frozen=True, config=_CONFIG)
class Partner:
    """A partner association. ``code`` is what the store and tables keep."""

    code: Annotated[str, Field(min_length=1)]
    name: str
    aliases: Texts = ()


#: Every network names its own towns, partners and categories in its project file
#: (``[[towns]]``, ``[[partners]]``, ``[[categories]]``); only generic actions have a default.
DEFAULT_ACTIONS = ("sportello", "laboratorio")
DEFAULT_AGE_BANDS = ("0-17", "18-34", "35-64", "65-74", "75+")


@dataclass(frozen=True, config=_CONFIG)
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

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _paths(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        """``""`` as no file (optional paths); in Python, text as a path and a list as a tuple
        (a project file's text and lists are JSON's, which pydantic reads as paths and tuples)."""
        if value == "":
            return None
        if info.mode == "json":
            return _as_tuple(value)
        if isinstance(value, str):
            return Path(value)
        if isinstance(value, list | tuple):
            return tuple(Path(v) if isinstance(v, str) else v for v in value)
        return value


@dataclass(frozen=True, config=_CONFIG)
class Privacy:
    """Statistical disclosure control.

    threshold : counts below it are never published (default 5, never below 3).
    show_zero : whether a true zero may be shown as 0.
    min_quarter_population : quarters with fewer residents are merged or hidden.
    """

    threshold: Annotated[int, Field(ge=MIN_PRIVACY_THRESHOLD)] = 5
    show_zero: bool = True
    min_quarter_population: Annotated[int, Field(ge=0)] = 250


@dataclass(frozen=True, config=_CONFIG)
class Quarters:
    """How quarters are obtained when the project supplies no boundary file.

    landmarks : a table "town; quartiere; landmark" (relative to the project file): the
    quarters are drawn around its landmarks (approximate boundaries) instead of hexagons.
    """

    name_column: str = "name"
    hex_size_m: Annotated[float, Field(gt=0)] = 500.0
    landmarks: str = ""


@dataclass(frozen=True, config=_CONFIG)
class Classification:
    """Choropleth classes (mapclassify scheme name and number of classes, 2 to 9)."""

    scheme: str = "quantiles"
    k: Annotated[int, Field(ge=2, le=9)] = 5


@dataclass(frozen=True, config=_CONFIG)
class Geocoding:
    """Geocoder options. The online backend is off unless set here."""

    online: bool = False
    backend: str = "nominatim"
    url: str = ""
    user_agent: str = "fragmap"
    min_delay_s: Annotated[float, Field(ge=0)] = 1.0
    min_score: Annotated[float, Field(ge=0, le=100)] = 85.0


@dataclass(frozen=True, config=_CONFIG)
class Access:
    """Walking access options."""

    walking_speed_kmh: Annotated[float, Field(gt=0)] = 4.5
    elderly_speed_ms: Annotated[float, Field(gt=0)] = 0.8
    detour_factor: Annotated[float, Field(ge=1)] = 1.3
    thresholds_min: Ints = (5, 10, 15)
    download_network: bool = False


@dataclass(frozen=True, config=_CONFIG)
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
    levels: Levels = ("rete",)
    language: Language = "it"
    start_date: IsoDate = "2024-01-01"
    synthetic: bool = False
    root: Path = Path(".")
    towns: Annotated[tuple[Town, ...], BeforeValidator(_as_tuple)] = ()
    categories: Annotated[tuple[Category, ...], BeforeValidator(_as_tuple)] = ()
    partners: Annotated[tuple[Partner, ...], BeforeValidator(_as_tuple)] = ()
    actions: Texts = DEFAULT_ACTIONS
    age_bands: Texts = DEFAULT_AGE_BANDS
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
        try:
            new = dataclasses.replace(self, **changes)
        except pydantic.ValidationError as exc:
            raise SettingsError(_settings_errors.explain(exc, Settings, self.language)) from exc
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


_PROBLEMS = {
    "same_code": {"it": "towns: due comuni hanno lo stesso codice {codes} (dare a ognuno un `code` diverso)",
                  "en": "towns: two towns have the same code {codes} (set a different `code` for each)"},
    "same_category": {"it": "categories: codice ripetuto {codes}", "en": "categories: duplicate code {codes}"},
    "unknown_partner": {"it": "la categoria {cat!r} nomina l'associazione {p!r}, che non è tra le [[partners]] "
                              "({known})",
                        "en": "category {cat!r} names partner {p!r}, who is not among the [[partners]] ({known})"},
    "nominatim_delay": {"it": "geocoding.min_delay_s = {d}: il servizio pubblico Nominatim chiede almeno 1 s "
                              "tra due richieste (sue regole d'uso)",
                        "en": "geocoding.min_delay_s = {d}: the public Nominatim service asks for at least 1 s "
                              "between requests (its usage policy)"},
    "threshold": {"it": "privacy.threshold = {t!r}: i conteggi sotto 3 possono identificare una persona (regola "
                        "statistica italiana); usare 3 o più (predefinito 5)",
                  "en": "privacy.threshold = {t!r}: counts under 3 may identify a person (Italian statistical "
                        "rule); use 3 or more (default 5)"},
    "many": {"it": "impostazioni non valide:", "en": "invalid settings:"},
}


def validate(s: Settings) -> None:
    """Raise :class:`SettingsError` listing every unsafe setting that involves more than one value.

    Each value alone is checked by its type when the settings are built (a privacy threshold
    under 3 cannot be built at all); this checks what no single field can: codes unique,
    categories naming known partners, the output folder apart from the data (:func:`output_problem`).
    """
    lang = s.language if s.language in LANGUAGES else "it"

    def say(key: str, **values: object) -> str:
        return translate(_PROBLEMS, key, lang, **values)

    def repeated(codes: list[str]) -> str:
        return ", ".join(sorted({repr(c) for c in codes if codes.count(c) > 1}))

    problems: list[str] = []
    threshold = s.privacy.threshold
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < MIN_PRIVACY_THRESHOLD:
        # the type refuses it on construction; checked again for an object changed around it
        problems.append(say("threshold", t=threshold))
    area_codes = [t.area_code for t in s.towns]
    if len(set(area_codes)) != len(area_codes):
        problems.append(say("same_code", codes=repeated(area_codes)))
    why = output_problem(s)
    if why:
        problems.append(why)
    if s.geocoding.min_delay_s < 1.0 and s.geocoding.backend == "nominatim" and not s.geocoding.url:
        problems.append(say("nominatim_delay", d=s.geocoding.min_delay_s))
    codes = [c.code for c in s.categories]
    if len(set(codes)) != len(codes):
        problems.append(say("same_category", codes=repeated(codes)))
    known_partners = {p.code for p in s.partners}
    for c in s.categories:
        for p in c.partners:
            if p not in known_partners:
                problems.append(say("unknown_partner", cat=c.code, p=p, known=", ".join(sorted(known_partners))))
    if len(problems) == 1:
        raise SettingsError(problems[0])
    if problems:
        raise SettingsError(say("many") + "\n  - " + "\n  - ".join(problems))


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


@dataclass(frozen=True, config=_CONFIG)
class _Project:
    """The ``[project]`` table of a project file (defaults as :class:`Settings`)."""

    name: str = "Rete"
    name_en: str = ""
    levels: Levels = ("rete",)
    language: Language = "it"
    start_date: IsoDate = "2024-01-01"
    synthetic: bool = False


@dataclass(frozen=True, config=_CONFIG)
class _ProjectFile:
    """What a ``fragmap.toml`` may hold: each table and key, its type and bounds."""

    project: _Project = field(default_factory=_Project)
    towns: tuple[Town, ...] = ()
    categories: tuple[Category, ...] = ()
    partners: tuple[Partner, ...] = ()
    actions: Texts = DEFAULT_ACTIONS
    age_bands: Texts = DEFAULT_AGE_BANDS
    paths: Paths = field(default_factory=Paths)
    privacy: Privacy = field(default_factory=Privacy)
    quarters: Quarters = field(default_factory=Quarters)
    classification: Classification = field(default_factory=Classification)
    geocoding: Geocoding = field(default_factory=Geocoding)
    access: Access = field(default_factory=Access)


@functools.cache
def _project_file_adapter() -> TypeAdapter[_ProjectFile]:
    return TypeAdapter(_ProjectFile)


_LOAD_MESSAGES = {
    "no_file": {"it": "fragmap.toml non trovato nella cartella corrente: indicarlo con --config, oppure creare "
                      "un progetto con `fragmap nuovo CARTELLA --rete \"Nome della rete\" --comune 018182`",
                "en": "fragmap.toml not found in the current folder: name it with --config, or create a project "
                      "with `fragmap nuovo FOLDER --rete \"Network name\" --comune 018182`"},
    "not_found": {"it": "file di progetto non trovato", "en": "project file not found"},
    "not_toml": {"it": "non è un file TOML valido ({why})", "en": "not a valid TOML file ({why})"},
    "unreadable": {"it": "il file non si legge come testo UTF-8 ({why})", "en": "the file is not UTF-8 text ({why})"},
}


def _load_message(key: str, language: str, **values: object) -> str:
    return translate(_LOAD_MESSAGES, key, language, **values)


def _file_language(data: Any) -> str:
    """The language a project file asks for, to word its own errors (Italian when unclear)."""
    project = data.get("project") if isinstance(data, dict) else None
    lang = project.get("language") if isinstance(project, dict) else None
    return lang if lang in LANGUAGES else "it"


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
        If the file is malformed or a value is unsafe; the message names the file, the key
        (``privacy.threshold``, ``[[towns]] n. 2``) and what is expected, in Italian (English
        when the file says ``language = "en"``).

    Examples
    --------
    >>> s = load_settings("fragmap.toml")
    >>> s.paths.output.name                   # an absolute path, next to the project file
    'maps'
    """
    if path is None:
        candidate = Path("fragmap.toml")
        if not candidate.exists():
            raise SettingsError(_load_message("no_file", "it"))
        path = candidate
    path = Path(path)
    if not path.is_file():
        raise SettingsError(f"{path}: {_load_message('not_found', 'it')}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: {_load_message('unreadable', 'it', why=exc.reason)}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {_load_message('not_toml', 'it', why=exc)}") from exc
    lang = _file_language(data)
    try:
        # TOML's values are JSON's plus dates: validated as JSON, lists become tuples and text
        # becomes paths while every other value keeps its strict type
        text = json.dumps(data, default=lambda v: v.isoformat(), allow_nan=True)
        parsed = _project_file_adapter().validate_json(text)
    except pydantic.ValidationError as exc:
        raise SettingsError(f"{path}: {_settings_errors.explain(exc, _ProjectFile, lang)}") from exc
    root = path.resolve().parent
    project = {f.name: getattr(parsed.project, f.name) for f in dataclasses.fields(parsed.project)}
    sections = {f.name: getattr(parsed, f.name) for f in dataclasses.fields(parsed) if f.name != "project"}
    s = Settings(root=root, **project, **sections)
    s = dataclasses.replace(s, paths=_resolve_paths(s.paths, root))
    require_towns(s, path)
    try:
        validate(s)
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    return s
