"""Helpers shared by the benchmark scripts (timing and a settings object with private paths in tmp)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fragmap.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def demo_settings(tmp: Path) -> Settings:
    s = load_settings(ROOT / "fragmap.toml")
    return dataclasses.replace(s, paths=dataclasses.replace(
        s.paths, store=tmp / "private" / "store.sqlite", gazetteer=tmp / "private" / "gazetteer.gpkg",
        cache_dir=tmp / "private" / "cache", output=tmp / "maps"))


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"{label:<60} {dt:8.2f} s")
    return out, dt
