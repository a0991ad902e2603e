"""Geographic constants shared by the pure modules (one door for each rule)."""

from __future__ import annotations

#: The project's metric working CRS: WGS 84 / UTM zone 32N (EPSG:32632), in metres. Every
#: area, distance and buffer is computed in it. Pavia and Vigevano lie well inside zone 32;
#: for a project elsewhere in Italy the zone-edge distortion stays small, so this is one
#: project-wide constant, not a setting.
UTM = 32632
