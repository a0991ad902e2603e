"""Optional online geocoding through geopy (Nominatim, or a self-hosted Nominatim/Photon).

OFF by default (``[geocoding] online = false``). When on, it is asked only for the
addresses the offline gazetteer cannot place, after the cache (an address missed
offline in an earlier run is retried online: the cache records the backends tried); it sends at most one
request per ``min_delay_s`` seconds (1 s minimum for the public Nominatim, its usage
policy), identifies itself with ``user_agent``, retries with backoff, and keeps
answers only inside the towns' bounding box.
"""

from __future__ import annotations

import time
from typing import Any

from fragmap._errors import GeocodingError, NetworkDisabledError
from fragmap.geocode.match import Match
from fragmap.settings import Settings


class OnlineBackend:
    """geopy geocoder with rate limit, retries and a bounding box.

    Parameters
    ----------
    settings : Settings
        ``settings.geocoding`` gives backend, url, user_agent and min_delay_s.
    bbox : tuple
        ``(min_lon, min_lat, max_lon, max_lat)`` of the towns; answers outside are ignored.
    geocoder : object, optional
        A geopy geocoder to use instead of building one (tests pass a mock).

    Raises
    ------
    NetworkDisabledError
        If the settings keep the online backend off.
    """

    def __init__(self, settings: Settings, *, bbox: tuple[float, float, float, float],
                 geocoder: Any = None, retries: int = 3, sleep: Any = time.sleep) -> None:
        g = settings.geocoding
        if not g.online:
            raise NetworkDisabledError(
                "online geocoding is off: set [geocoding] online = true in fragmap.toml to use it"
            )
        self.bbox = bbox
        self.retries = retries
        self.sleep = sleep
        self.min_delay = max(g.min_delay_s, 1.0 if not g.url else 0.0)
        self._last = 0.0
        if geocoder is None:
            # identify the project (the services' usage policy): its own name when none is set
            agent = g.user_agent if g.user_agent not in ("", "fragmap") else f"fragmap ({settings.name})"
            geocoder = _build(g.backend, g.url, agent)
        self.geocoder = geocoder

    def lookup(self, address: str, town: str | None) -> Match | None:
        """One query, rate-limited and retried; None if nothing usable was found."""
        from geopy.exc import GeocoderServiceError, GeocoderTimedOut, GeocoderUnavailable

        query = f"{address}, {town}, Italia" if town else f"{address}, Italia"
        min_lon, min_lat, max_lon, max_lat = self.bbox
        for attempt in range(self.retries):
            wait = self.min_delay - (time.monotonic() - self._last)
            if wait > 0:
                self.sleep(wait)
            self._last = time.monotonic()
            try:
                loc = self.geocoder.geocode(query, exactly_one=True, addressdetails=True,
                                            viewbox=[(min_lat, min_lon), (max_lat, max_lon)], bounded=True)
                break
            except (GeocoderTimedOut, GeocoderUnavailable) as exc:
                if attempt == self.retries - 1:
                    raise GeocodingError(
                        f"online geocoder unreachable ({exc}); are you offline? set [geocoding] "
                        "online = false to geocode offline only"
                    ) from exc
                self.sleep(2 ** attempt)
            except GeocoderServiceError as exc:
                raise GeocodingError(f"online geocoder refused the request: {exc}") from exc
        else:  # pragma: no cover
            return None
        if loc is None:
            return None
        if not (min_lat <= loc.latitude <= max_lat and min_lon <= loc.longitude <= max_lon):
            return None
        raw = getattr(loc, "raw", {}) or {}
        has_number = bool((raw.get("address") or {}).get("house_number"))
        level = "civico" if has_number else "via"
        return Match(loc.latitude, loc.longitude, level, 80.0, str(loc.address), "online",
                     uncertainty_m=_uncertainty(raw, level), town=town or "")


#: Uncertainty (m) of an online answer without a bounding box: an address point, or a street.
ONLINE_CIVICO_M = 25.0
ONLINE_VIA_M = 500.0


def _uncertainty(raw: dict[str, Any], level: str) -> float:
    """Half the diagonal of the answer's bounding box (Nominatim ``boundingbox``), in metres."""
    from fragmap.geocode.gazetteer import metres

    floor = ONLINE_CIVICO_M if level == "civico" else 50.0
    try:
        south, north, west, east = (float(v) for v in raw["boundingbox"])
    except (KeyError, TypeError, ValueError):
        return ONLINE_CIVICO_M if level == "civico" else ONLINE_VIA_M
    return round(max(float(metres(west, south, east, north)) / 2, floor), 1)


def _build(backend: str, url: str, user_agent: str) -> Any:
    from urllib.parse import urlparse

    from geopy.geocoders import Nominatim, Photon

    if backend == "photon":
        u = urlparse(url) if url else None
        return Photon(user_agent=user_agent, domain=u.netloc if u else "photon.komoot.io",
                      scheme=u.scheme if u else "https")
    if url:
        u = urlparse(url)
        return Nominatim(user_agent=user_agent, domain=u.netloc + u.path.rstrip("/"), scheme=u.scheme or "https")
    return Nominatim(user_agent=user_agent)
